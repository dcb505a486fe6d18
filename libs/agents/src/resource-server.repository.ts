import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, ResourceServerEntity, type Tx } from '@countersign/database';

export interface ResourceServerRecord {
  id: string;
  audience: string;
  clientId: string;
  secretHash: string;
  status: 'active' | 'disabled';
  createdAt: Date;
}

@Injectable()
export class ResourceServerRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the audience is taken. */
  async insert(tx: Tx, server: Pick<ResourceServerRecord, 'audience' | 'clientId' | 'secretHash'>): Promise<ResourceServerRecord | null> {
    try {
      const result = await this.database
        .manager(tx)
        .createQueryBuilder()
        .insert()
        .into(ResourceServerEntity)
        .values(server)
        .returning('id')
        .execute();
      const id = (result.raw as Array<{ id: string }>)[0].id;
      return this.database.manager(tx).findOneByOrFail(ResourceServerEntity, { id });
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  findByClientId(clientId: string): Promise<ResourceServerRecord | null> {
    return this.database.manager().findOneBy(ResourceServerEntity, { clientId });
  }

  list(): Promise<ResourceServerRecord[]> {
    return this.database.manager().find(ResourceServerEntity, { order: { createdAt: 'ASC' } });
  }
}
