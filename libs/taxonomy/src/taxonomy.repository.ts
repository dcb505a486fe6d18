import { Injectable } from '@nestjs/common';
import { Database, TaxonomyVersionEntity, type Tx } from '@countersign/database';

export interface TaxonomyVersionRecord {
  version: number;
  source: string;
  checksum: string;
  active: boolean;
  createdBy: string;
  comment: string | null;
  createdAt: Date;
}

// An arbitrary constant naming the lock that serializes taxonomy applies.
const TAXONOMY_LOCK = 7_214_003;

@Injectable()
export class TaxonomyRepository {
  constructor(private readonly database: Database) {}

  async lock(tx: Tx): Promise<void> {
    await this.database.manager(tx).query('SELECT pg_advisory_xact_lock($1)', [TAXONOMY_LOCK]);
  }

  async latestVersion(tx: Tx): Promise<number> {
    const rows: Array<{ max: number | null }> = await this.database.manager(tx).query('SELECT max(version)::int AS max FROM taxonomy_versions');
    return rows[0]?.max ?? 0;
  }

  /** Inserts the version as the active one; the partial unique index guarantees only one is active. */
  async insertActive(tx: Tx, version: Omit<TaxonomyVersionRecord, 'active' | 'createdAt'>): Promise<void> {
    const manager = this.database.manager(tx);
    await manager.query('UPDATE taxonomy_versions SET active = false WHERE active');
    await manager.insert(TaxonomyVersionEntity, { ...version, active: true });
  }

  active(): Promise<TaxonomyVersionRecord | null> {
    return this.database.manager().findOneBy(TaxonomyVersionEntity, { active: true });
  }

  async activeVersionNumber(): Promise<number | null> {
    const rows: Array<{ version: number }> = await this.database.manager().query('SELECT version FROM taxonomy_versions WHERE active');
    return rows[0]?.version ?? null;
  }

  list(): Promise<TaxonomyVersionRecord[]> {
    return this.database.manager().find(TaxonomyVersionEntity, { order: { version: 'DESC' } });
  }
}
