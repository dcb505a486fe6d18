import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm';
import { Database, SigningKeyEntity, type Tx } from '@countersign/database';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKeyEnc: string;
  state: 'active' | 'retiring' | 'retired';
  publishUntil: Date | null;
}

const KEY_LOCK = 7_214_001;

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly database: Database) {}

  async lock(tx: Tx): Promise<void> {
    await this.database.manager(tx).query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
  }

  async active(tx?: Tx): Promise<SigningKeyRecord | null> {
    return this.database.manager(tx).findOneBy(SigningKeyEntity, { state: 'active' });
  }

  async published(now: Date): Promise<SigningKeyRecord[]> {
    return this.database
      .manager()
      .createQueryBuilder(SigningKeyEntity, 'k')
      .where("k.state = 'active' OR (k.state = 'retiring' AND k.publish_until > :now)", { now })
      .orderBy('k.created_at', 'DESC')
      .getMany();
  }

  async insert(tx: Tx, key: SigningKeyRecord): Promise<void> {
    await this.database.manager(tx).insert(SigningKeyEntity, key as QueryDeepPartialEntity<SigningKeyEntity>);
  }

  async retire(tx: Tx, kid: string, publishUntil: Date): Promise<void> {
    await this.database.manager(tx).update(SigningKeyEntity, { kid }, { state: 'retiring', publishUntil });
  }
}
