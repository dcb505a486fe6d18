import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Injectable, Logger } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { type CompiledTaxonomy, findDefaultTaxonomyPath, loadTaxonomy } from '@countersign/domain';
import { TaxonomyRepository, type TaxonomyVersionRecord } from './taxonomy.repository';

/** How stale an instance's compiled taxonomy may be after another instance applies a new version. */
export const TAXONOMY_REFRESH_MS = 2_000;

export interface ActiveTaxonomy {
  version: number;
  taxonomy: CompiledTaxonomy;
}

@Injectable()
export class TaxonomyService {
  private readonly logger = new Logger(TaxonomyService.name);
  private current?: ActiveTaxonomy;
  private checkedAt = 0;
  private refreshing?: Promise<ActiveTaxonomy>;

  constructor(
    private readonly database: Database,
    private readonly versions: TaxonomyRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Validates (schema, CEL, semantics; line-numbered errors in a DomainError 'invalid_taxonomy'), then stores the
   * document as the next immutable version and activates it. Nothing is written when validation fails.
   */
  async apply(actor: Actor, source: string, comment?: string): Promise<{ version: number; checksum: string }> {
    loadTaxonomy(source);
    const checksum = 'sha256:' + createHash('sha256').update(source).digest('hex');
    const version = await this.database.transaction(async (tx) => {
      await this.versions.lock(tx);
      const next = (await this.versions.latestVersion(tx)) + 1;
      await this.versions.insertActive(tx, { version: next, source, checksum, createdBy: actorLabel(actor), comment: comment ?? null });
      await this.audit.append(tx, actor, [{ type: AuditEventType.TaxonomyApplied, subject: { type: 'taxonomy', id: String(next) }, data: { version: next, checksum, comment: comment ?? null } }]);
      return next;
    });
    this.checkedAt = 0;
    return { version, checksum };
  }

  /** On first start, the shipped default taxonomy becomes version 1. Safe when several processes start at once. */
  async ensureBootstrapped(actor: Actor): Promise<void> {
    const source = readFileSync(findDefaultTaxonomyPath(), 'utf8');
    loadTaxonomy(source);
    const applied = await this.database.transaction(async (tx) => {
      await this.versions.lock(tx);
      if ((await this.versions.latestVersion(tx)) > 0) return false;
      const checksum = 'sha256:' + createHash('sha256').update(source).digest('hex');
      await this.versions.insertActive(tx, { version: 1, source, checksum, createdBy: actorLabel(actor), comment: 'default taxonomy' });
      await this.audit.append(tx, actor, [{ type: AuditEventType.TaxonomyApplied, subject: { type: 'taxonomy', id: '1' }, data: { version: 1, checksum, comment: 'default taxonomy' } }]);
      return true;
    });
    if (applied) this.logger.log('applied the default taxonomy as version 1');
  }

  /** The active compiled taxonomy; re-checks the active version number at most every TAXONOMY_REFRESH_MS. */
  async active(): Promise<ActiveTaxonomy> {
    if (this.current && Date.now() - this.checkedAt < TAXONOMY_REFRESH_MS) return this.current;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  list(): Promise<TaxonomyVersionRecord[]> {
    return this.versions.list();
  }

  private async refresh(): Promise<ActiveTaxonomy> {
    const number = await this.versions.activeVersionNumber();
    if (number === null) throw new Error('no active taxonomy: the API applies the default one at start-up');
    if (this.current?.version !== number) {
      const record = await this.versions.active();
      if (!record) throw new Error('the active taxonomy changed while loading; retry');
      this.current = { version: record.version, taxonomy: loadTaxonomy(record.source) };
    }
    this.checkedAt = Date.now();
    return this.current;
  }
}

function actorLabel(actor: Actor): string {
  return actor.id ? `${actor.type}:${actor.id}` : actor.type;
}
