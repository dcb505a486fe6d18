import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Injectable, Logger } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import {
  checkTaxonomy,
  invalidTaxonomyError,
  type CompiledTaxonomy,
  DomainError,
  findDefaultTaxonomyPath,
  type LintFinding,
  loadTaxonomy,
} from '@countersign/domain';
import { GroupsRepository } from '@countersign/people';
import { TaxonomyRepository, type TaxonomyVersionRecord, type TaxonomyVersionSummary } from './taxonomy.repository';

/** How stale an instance's compiled taxonomy may be after another instance applies a new version. */
export const TAXONOMY_REFRESH_MS = 2_000;

export interface ActiveTaxonomy {
  version: number;
  taxonomy: CompiledTaxonomy;
}

export interface AppliedTaxonomy {
  version: number;
  checksum: string;
  /** Lint warnings: reported, not blocking. */
  warnings: LintFinding[];
  tests: { total: number; passed: number };
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
    private readonly groups: GroupsRepository,
  ) {}

  /** The directory's group names, read through the people library: lint warns about a `group:` entry naming another. */
  knownGroups(): Promise<string[]> {
    return this.groups.names();
  }

  /**
   * Lints the document and runs its own tests (lint errors and failing tests refuse it with a DomainError
   * 'invalid_taxonomy' whose `errors` carry line numbers), then stores it as the next immutable version and
   * activates it. Nothing is written when it is refused.
   */
  async apply(actor: Actor, source: string, comment?: string): Promise<AppliedTaxonomy> {
    const { warnings, tests } = admit(source, await this.knownGroups());
    const checksum = 'sha256:' + createHash('sha256').update(source).digest('hex');
    const version = await this.database.transaction(async (tx) => {
      await this.versions.lock(tx);
      const next = (await this.versions.latestVersion(tx)) + 1;
      await this.versions.insertActive(tx, { version: next, source, checksum, createdBy: actorLabel(actor), comment: comment ?? null });
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.TaxonomyApplied,
          subject: { type: 'taxonomy', id: String(next) },
          data: { version: next, checksum, comment: comment ?? null },
        },
      ]);
      return next;
    });
    this.checkedAt = 0;
    return { version, checksum, warnings, tests };
  }

  /**
   * Makes a stored version the active one again (a rollback, or a roll forward), audited with who and why. The
   * version passes the same checks as an apply first: it must still load, and its own tests must still pass.
   */
  async activate(actor: Actor, version: number, reason: string): Promise<{ version: number; previousVersion: number | null }> {
    if (reason.trim() === '')
      throw new DomainError('invalid_request', 'say why this version is being activated (a reason is required)', { field: 'reason' });
    const record = await this.versions.find(version);
    if (!record) throw new DomainError('not_found', `there is no taxonomy version ${version}`);
    admit(record.source);
    const previousVersion = await this.database.transaction(async (tx) => {
      await this.versions.lock(tx);
      const previous = await this.versions.activeVersionNumber(tx);
      if (previous === version) throw new DomainError('conflict', `taxonomy version ${version} is already active`);
      await this.versions.activate(tx, version);
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.TaxonomyActivated,
          subject: { type: 'taxonomy', id: String(version) },
          data: { version, previous_version: previous, checksum: record.checksum, reason },
        },
      ]);
      return previous;
    });
    this.checkedAt = 0;
    return { version, previousVersion };
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
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.TaxonomyApplied,
          subject: { type: 'taxonomy', id: '1' },
          data: { version: 1, checksum, comment: 'default taxonomy' },
        },
      ]);
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

  list(): Promise<TaxonomyVersionSummary[]> {
    return this.versions.list();
  }

  async get(version: number): Promise<TaxonomyVersionRecord> {
    const record = await this.versions.find(version);
    if (!record) throw new DomainError('not_found', `there is no taxonomy version ${version}`);
    return record;
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

/** The gate every version passes before it can be active: no lint errors, and its own tests pass. */
function admit(source: string, knownGroups?: readonly string[]): Pick<AppliedTaxonomy, 'warnings' | 'tests'> {
  const check = checkTaxonomy(source, { runTests: true, knownGroups });
  if (check.lint.errors > 0) {
    throw invalidTaxonomyError(check.lint);
  }
  const tests = check.tests ?? { total: 0, passed: 0, failures: [] };
  if (tests.failures.length > 0) {
    const errors = tests.failures.map((failure) => ({
      line: failure.line ?? 0,
      column: 1,
      path: failure.path,
      message: `test "${failure.name}" fails: expected ${failure.mismatches.map((field) => `${field} ${String(failure.expected[field])}`).join(', ')}; got ${failure.mismatches.map((field) => `${field} ${String(failure.actual[field])}`).join(', ')} (decided by ${failure.decided_by})`,
    }));
    throw new DomainError('invalid_taxonomy', `${tests.failures.length} of ${tests.total} taxonomy tests fail`, {
      errors,
      test_failures: tests.failures,
    });
  }
  return { warnings: check.lint.findings, tests: { total: tests.total, passed: tests.passed } };
}

function actorLabel(actor: Actor): string {
  return actor.id ? `${actor.type}:${actor.id}` : actor.type;
}
