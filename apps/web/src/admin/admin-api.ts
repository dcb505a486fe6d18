// The admin API's shapes as the console uses them, and its one non-JSON call: a taxonomy file as a YAML body.
import { ApiError, type ApprovalStatus, type Person, requestText } from '../api';

/** An approval's status, as the overview counts it. */
export type Outcome = ApprovalStatus;
export const OUTCOMES: Outcome[] = ['approved', 'denied', 'expired', 'cancelled', 'pending'];

export interface Overview {
  period: { days: number; since: string; until: string };
  approvals: {
    total: number;
    by_outcome: Record<Outcome, number>;
    by_tier: Array<{ tier: string; total: number } & Record<Outcome, number>>;
  };
  time_to_decision: { decided: number; p50_seconds: number | null; p90_seconds: number | null };
  decisions: {
    total: number;
    fast: number;
    fast_threshold_seconds: number;
    recent_fast: Array<{
      approval_id: string;
      action_type: string;
      tier: string;
      person: string;
      verdict: 'approve' | 'deny';
      channel: string;
      decided_at: string;
    }>;
  };
  deliveries_failing: {
    total: number;
    by_channel: Array<{ channel: string; failed: number; gone: number; unreachable: number; total: number }>;
  };
  pending_now: { total: number; by_tier: Array<{ tier: string; count: number }> };
}

/** A person as the admin API lists them: the same shape as `/v1/me`'s person. */
export type AdminPerson = Person;

export interface EnrollmentLink {
  url: string;
  expires_at: string;
}

export interface Agent {
  id: string;
  name: string;
  clientId: string;
  status: 'active' | 'suspended';
  capabilities: string[];
  requestsPerMinute: number;
  maxPending: number;
  createdAt: string;
}

export interface AgentApproval {
  id: string;
  status: Outcome;
  status_reason: string | null;
  tier: string;
  action: { type: string; resource: string };
  on_behalf_of: { id: string; email: string };
  created_at: string;
  decided_at: string | null;
}

export interface ResourceServer {
  id: string;
  audience: string;
  clientId: string;
  status: string;
  createdAt: string;
}

export interface TaxonomyVersion {
  version: number;
  active: boolean;
  checksum: string;
  createdBy: string;
  comment: string | null;
  createdAt: string;
  source?: string;
}

export interface LintFinding {
  severity: 'error' | 'warning';
  code?: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface TaxonomyCheck {
  lint: { errors: number; warnings: number; findings: LintFinding[] };
  tests: { total: number; passed: number; failures: Array<{ name: string; line?: number; path: string; mismatches: string[] }> } | null;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface TierChange {
  before: string | null;
  after: string | null;
  move: 'up' | 'down' | 'unchanged';
}

export interface TaxonomyDiff {
  unknown_action: TierChange | null;
  trusted_provenance: { added: string[]; removed: string[] };
  tiers: Array<{ tier: string; fields: FieldChange[]; strictness: string }>;
  matrix: Array<{ reversibility: string; blast_radius: string; tier: TierChange }>;
  actions: Array<{
    type: string;
    change: 'added' | 'removed' | 'changed';
    fields: FieldChange[];
    tier: TierChange;
    rules: Array<{ rule: string; change: string; fields: FieldChange[]; tier: TierChange }>;
  }>;
  tests: { before: number; after: number };
  summary: Record<string, number>;
}

export interface AuditEvent {
  seq: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  type: string;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  hash: string;
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  broken: { seq: string; problem: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' } | null;
  verified_at: string;
}

/** A refusal with the API's line-numbered taxonomy errors (400 invalid_taxonomy). */
export class TaxonomyRefused extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly errors: LintFinding[],
  ) {
    super(status, code, message);
    this.name = 'TaxonomyRefused';
  }
}

/** POSTs a taxonomy file as `application/yaml`; a refusal carries the API's line-numbered errors. */
export async function postYaml<T>(path: string, source: string): Promise<T> {
  try {
    return await requestText<T>('POST', path, 'application/yaml', source);
  } catch (error) {
    // Status 0: the API was not reached, so there is nothing of the taxonomy's to show.
    if (!(error instanceof ApiError) || error.status === 0) throw error;
    const found = Array.isArray(error.problem?.errors) ? (error.problem.errors as Array<Partial<LintFinding>>) : [];
    const errors = found.map((finding) => ({
      severity: 'error' as const,
      line: finding.line ?? 0,
      column: finding.column ?? 1,
      path: finding.path ?? '',
      message: finding.message ?? '',
    }));
    throw new TaxonomyRefused(error.status, error.code, error.message, errors);
  }
}

/** "a, b c" → ["a", "b", "c"]: patterns typed in one field. */
export function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
