// The admin API's shapes (the wire contract's), and its one non-JSON call: a taxonomy file as a YAML body.
import { type LintFinding } from '@countersign/contract';
import { ApiError, type ApprovalStatus, requestText } from '../api';

/** An approval's status, as the overview counts it. */
export type Outcome = ApprovalStatus;
export const OUTCOMES: Outcome[] = ['approved', 'denied', 'expired', 'cancelled', 'pending'];

// The admin API's shapes are the wire contract (libs/contract): the server's views are the same types.
export type {
  ActivatedTaxonomy,
  Agent,
  AppliedTaxonomy,
  ResourceServers,
  AgentApprovalSummary as AgentApproval,
  AgentApprovals,
  Agents,
  AuditPage,
  AuditEvent,
  ChainCheck,
  CreatedAgent,
  CreatedResourceServer,
  EnrollmentLink,
  FieldChange,
  GroupDetail,
  Groups,
  GroupSummary,
  Invitation,
  LintFinding,
  Overview,
  People,
  Person as AdminPerson,
  ResourceServer,
  SuspendedAgent,
  TaxonomyCheck,
  TaxonomyDiff,
  TaxonomyVersion,
  TaxonomyVersionSummary,
  TierChange,
} from '@countersign/contract';

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
      code: finding.code ?? 'invalid_taxonomy',
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
