import { Injectable } from '@nestjs/common';
import {
  checkTaxonomy,
  invalidTaxonomyError,
  type CompiledTaxonomy,
  diffTaxonomies,
  DomainError,
  type LintReport,
  loadTaxonomy,
  ReplayComparison,
  type ReplayReport,
  replayRelaxes,
  type TaxonomyDiff,
  type TaxonomyTestReport,
} from '@countersign/domain';
import { ApprovalHistoryRepository, type HistoryCursor } from './approval-history.repository';
import { TaxonomyRepository } from './taxonomy.repository';
import { TaxonomyService } from './taxonomy.service';

const REPLAY_PAGE = 5_000;
export const REPLAY_MAX_APPROVALS = 1_000_000;
/** How far back the reviews look at most, in days. */
export const REVIEW_MAX_DAYS = 3650;
const DAY_MS = 86_400_000;
const UNKNOWN_ACTIONS_LIMIT = 200;

/** A replay's window: the newest `last` approvals, those of the last `days` days, or both limits at once. */
export interface ReplayWindow {
  last?: number;
  days?: number;
}

export interface ReplayResult extends ReplayReport {
  window: ReplayWindow;
  /** True when any replayed approval would get less oversight: the relax guard. */
  relaxes: boolean;
}

export interface UnknownActionsReport {
  days: number;
  actions: Array<{ action_type: string; count: number; last_seen: string; agents: string[]; matched_now: string | null }>;
}

/** Reviewing a taxonomy before and after it is applied: check, diff, replay against history, unknown actions. */
@Injectable()
export class TaxonomyReviewService {
  constructor(
    private readonly taxonomies: TaxonomyService,
    private readonly versions: TaxonomyRepository,
    private readonly history: ApprovalHistoryRepository,
  ) {}

  /** Lint findings (`group:` entries checked against the directory's groups) and the file's own test results. */
  async check(source: string): Promise<{ lint: LintReport; tests: TaxonomyTestReport | null }> {
    const { lint, tests } = checkTaxonomy(source, { runTests: true, knownGroups: await this.taxonomies.knownGroups() });
    return { lint, tests };
  }

  /** What changes from one stored version to another; `to` defaults to the active version. */
  async diffVersions(from: number, to?: number): Promise<TaxonomyDiff & { from: number; to: number }> {
    const target = to ?? (await this.taxonomies.active()).version;
    return { ...diffTaxonomies(await this.compiledVersion(from), await this.compiledVersion(target)), from, to: target };
  }

  /** What a candidate file changes from a stored version (the active one unless `against` is given). */
  async diffCandidate(source: string, against?: number): Promise<TaxonomyDiff & { from: number }> {
    const candidate = compileCandidate(source);
    const from = against ?? (await this.taxonomies.active()).version;
    return { ...diffTaxonomies(await this.compiledVersion(from), candidate), from };
  }

  /**
   * Classifies stored approvals, newest first, with the candidate and compares with what each got when it was
   * requested. Pages through the table, so memory stays flat however many rows are replayed.
   */
  async replay(source: string, window: ReplayWindow, onProgress?: (replayed: number) => void): Promise<ReplayResult> {
    const last = window.last ?? (window.days === undefined ? 1_000 : REPLAY_MAX_APPROVALS);
    if (!Number.isInteger(last) || last < 1 || last > REPLAY_MAX_APPROVALS)
      throw new DomainError('invalid_request', `last must be 1-${REPLAY_MAX_APPROVALS}`, { field: 'last' });
    if (window.days !== undefined && !(window.days > 0))
      throw new DomainError('invalid_request', 'days must be a positive number', { field: 'days' });
    const comparison = new ReplayComparison(compileCandidate(source));
    const since = window.days === undefined ? null : new Date(Date.now() - window.days * DAY_MS);
    let before: HistoryCursor | null = null;
    let remaining = last;
    while (remaining > 0) {
      const limit = Math.min(REPLAY_PAGE, remaining);
      const page = await this.history.page({ before, since, limit });
      for (const approval of page) comparison.add(approval);
      remaining -= page.length;
      onProgress?.(last - remaining);
      if (page.length < limit) break;
      const tail = page[page.length - 1];
      before = { createdAt: tail.createdAt, id: tail.id };
    }
    const report = comparison.result();
    return { ...report, window: { last: window.last, days: window.days }, relaxes: replayRelaxes(report) };
  }

  /** Action types requested in the last `days` days that matched nothing, and what the active taxonomy does now. */
  async unknownActions(days: number): Promise<UnknownActionsReport> {
    if (!(days > 0 && days <= REVIEW_MAX_DAYS))
      throw new DomainError('invalid_request', `days must be between 1 and ${REVIEW_MAX_DAYS}`, { field: 'days' });
    const rows = await this.history.unknownActions(new Date(Date.now() - days * DAY_MS), UNKNOWN_ACTIONS_LIMIT);
    const { taxonomy } = await this.taxonomies.active();
    return {
      days,
      actions: rows.map((row) => ({
        action_type: row.actionType,
        count: row.count,
        last_seen: row.lastSeen.toISOString(),
        agents: row.agents,
        matched_now: taxonomy.matchAction(row.actionType)?.type ?? null,
      })),
    };
  }

  private async compiledVersion(version: number): Promise<CompiledTaxonomy> {
    const record = await this.versions.find(version);
    if (!record) throw new DomainError('not_found', `there is no taxonomy version ${version}`);
    return loadTaxonomy(record.source);
  }
}

/** A candidate must at least be valid to be compared; its tests and warnings are `check`'s business. */
function compileCandidate(source: string): CompiledTaxonomy {
  const { lint, taxonomy } = checkTaxonomy(source, { runTests: false });
  if (taxonomy === null) {
    throw invalidTaxonomyError(lint);
  }
  return taxonomy;
}
