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

export type TaxonomyVersionSummary = Omit<TaxonomyVersionRecord, 'source'>;

// An arbitrary constant naming the lock that serializes taxonomy applies and activations.
const TAXONOMY_LOCK = 7_214_003;

@Injectable()
export class TaxonomyRepository {
  constructor(private readonly database: Database) {}

  async lock(tx: Tx): Promise<void> {
    await this.database.manager(tx).query('SELECT pg_advisory_xact_lock($1)', [TAXONOMY_LOCK]);
  }

  async latestVersion(tx: Tx): Promise<number> {
    const rows: Array<{ max: number | null }> = await this.database
      .manager(tx)
      .query('SELECT max(version)::int AS max FROM taxonomy_versions');
    return rows[0]?.max ?? 0;
  }

  /** Inserts the version as the active one; the partial unique index guarantees only one is active. */
  async insertActive(tx: Tx, version: Omit<TaxonomyVersionRecord, 'active' | 'createdAt'>): Promise<void> {
    const manager = this.database.manager(tx);
    await manager.query('UPDATE taxonomy_versions SET active = false WHERE active');
    await manager.insert(TaxonomyVersionEntity, { ...version, active: true });
  }

  /** Makes a stored version the active one; the version itself is never changed. */
  async activate(tx: Tx, version: number): Promise<void> {
    const manager = this.database.manager(tx);
    await manager.query('UPDATE taxonomy_versions SET active = false WHERE active');
    await manager.query('UPDATE taxonomy_versions SET active = true WHERE version = $1', [version]);
  }

  active(): Promise<TaxonomyVersionRecord | null> {
    return this.database.manager().findOneBy(TaxonomyVersionEntity, { active: true });
  }

  async activeVersionNumber(tx?: Tx): Promise<number | null> {
    const rows: Array<{ version: number }> = await this.database.manager(tx).query('SELECT version FROM taxonomy_versions WHERE active');
    return rows[0]?.version ?? null;
  }

  find(version: number): Promise<TaxonomyVersionRecord | null> {
    return this.database.manager().findOneBy(TaxonomyVersionEntity, { version });
  }

  /** Newest first, without the sources (a version's source is read one at a time). */
  list(): Promise<TaxonomyVersionSummary[]> {
    return this.database.manager().find(TaxonomyVersionEntity, {
      select: { version: true, checksum: true, active: true, createdBy: true, comment: true, createdAt: true },
      order: { version: 'DESC' },
    });
  }
}
