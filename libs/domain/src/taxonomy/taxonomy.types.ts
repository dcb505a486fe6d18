import type { BlastRadius, Reversibility, Tier } from './tiers';

export type Decision = 'auto_approve' | 'approve' | 'deny';
export type StepUp = 'none' | 'passkey';
export type NotificationChannelType = 'slack' | 'web_push';

export interface AutoApproveTierConfig {
  decision: 'auto_approve';
  token_ttl?: string;
}

export interface ApproveTierConfig {
  decision: 'approve';
  approvals?: number;
  /** "on_behalf_of", "role:<role>", "group:<name>" or "person:<id or email>". */
  approvers?: string[];
  step_up?: StepUp;
  channels?: NotificationChannelType[];
  ttl?: string;
  token_ttl?: string;
  remind_after?: string;
  escalate_after?: string;
  escalate_to?: string[];
}

export interface DenyTierConfig {
  decision: 'deny';
}

export type TierConfig = AutoApproveTierConfig | ApproveTierConfig | DenyTierConfig;

export interface TaxonomyRule {
  name?: string;
  description?: string;
  /** CEL over `action`, `args`, `agent`, `person`, `context`. */
  when: string;
  tier?: Tier;
  reversibility?: Reversibility;
  blast_radius?: BlastRadius;
  audience?: string;
}

export interface TaxonomyAction {
  /** Exact action type or glob ("payments.*"). */
  type: string;
  description?: string;
  reversibility: Reversibility;
  blast_radius: BlastRadius;
  audience?: string;
  sensitive_args?: string[];
  rules?: TaxonomyRule[];
}

export interface TaxonomyDocument {
  description?: string;
  trusted_provenance: string[];
  unknown_action: Tier;
  tiers: Record<Tier, TierConfig>;
  matrix: Record<Reversibility, Record<BlastRadius, Tier>>;
  actions: TaxonomyAction[];
}

export interface TaxonomyError {
  line: number;
  column: number;
  /** Dot path into the document, e.g. "actions[0].rules[1].when". */
  path: string;
  message: string;
}

export type TaxonomyParseResult = { ok: true; taxonomy: TaxonomyDocument } | { ok: false; errors: TaxonomyError[] };

export interface Requirement {
  decision: Decision;
  approvals_required: number;
  approvers: string[];
  step_up: StepUp;
  channels: NotificationChannelType[];
  /** How long the request may stay pending; 0 for tiers that are decided at once (auto_approve, deny). */
  ttl_seconds: number;
  /** Lifetime of the approval token; 0 when no token is ever issued (deny). */
  token_ttl_seconds: number;
  remind_after_seconds: number | null;
  escalate_after_seconds: number | null;
  escalate_to: string[];
}

export interface ClassificationInput {
  action: { type: string; resource: string; args: Record<string, unknown> };
  agent: { id: string; client_id: string; name: string };
  person: { id: string; email: string; role: string };
  context: { provenance: string[] };
}

export interface Classification {
  tier: Tier;
  reversibility: Reversibility | null;
  blast_radius: BlastRadius | null;
  /** "payments.transfer", "payments.transfer#rules[0]" or "unknown_action". */
  rule: string;
  reasons: string[];
  requirement: Requirement;
  audience: string | null;
  sensitive_args: string[];
  matched_action: string | null;
}

export interface CompiledTaxonomy {
  readonly document: TaxonomyDocument;
  classify(input: ClassificationInput): Classification;
  requirementFor(tier: Tier): Requirement;
}
