import { Injectable } from '@nestjs/common';
import { AgentEntity, Database, postgresErrorCode, type Tx } from '@countersign/database';

export interface AgentRecord {
  id: string;
  name: string;
  clientId: string;
  secretHash: string;
  status: 'active' | 'suspended';
  capabilities: string[];
  requestsPerMinute: number | null;
  maxPending: number | null;
  callbackSecretEnc: string | null;
  createdAt: Date;
}

@Injectable()
export class AgentRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the name is taken. */
  async insert(tx: Tx, agent: Omit<AgentRecord, 'id' | 'createdAt' | 'status'>): Promise<AgentRecord | null> {
    try {
      const result = await this.database.manager(tx).createQueryBuilder().insert().into(AgentEntity).values(agent).returning('id').execute();
      const id = (result.raw as Array<{ id: string }>)[0].id;
      return this.database.manager(tx).findOneByOrFail(AgentEntity, { id });
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  findById(id: string): Promise<AgentRecord | null> {
    return this.database.manager().findOneBy(AgentEntity, { id });
  }

  findByClientId(clientId: string): Promise<AgentRecord | null> {
    return this.database.manager().findOneBy(AgentEntity, { clientId });
  }

  /** By client id or name, for the CLI. */
  async findByReference(reference: string): Promise<AgentRecord | null> {
    return this.database
      .manager()
      .createQueryBuilder(AgentEntity, 'a')
      .where('a.client_id = :reference OR a.name = :reference', { reference })
      .getOne();
  }

  /** Returns whether the status changed (false when it already had it). */
  async setStatus(tx: Tx, id: string, status: AgentRecord['status']): Promise<boolean> {
    const result = await this.database
      .manager(tx)
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ status })
      .where('id = :id AND status <> :status', { id, status })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  list(): Promise<AgentRecord[]> {
    return this.database.manager().find(AgentEntity, { order: { createdAt: 'ASC' } });
  }
}
