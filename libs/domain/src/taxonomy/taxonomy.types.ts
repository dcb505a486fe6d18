import type { BlastRadius, Reversibility, Tier } from './tiers';

export type Decision = 'auto_approve' | 'approve' | 'deny';
export type StepUp = 'none' | 'passkey';
/** Every channel a person can be reached on: the one list (the taxonomy's schema, planning and preferences derive from it). */
export const CHANNEL_TYPES = ['slack', 'web_push', 'email', 'teams'] as const;
export type NotificationChannelType = (typeof CHANNEL_TYPES)[number];

/** `"slack", "web_push", "email" and "teams"`: the channels, as refusals name them. */
export function listOfChannels(): string {
  const quoted = CHANNEL_TYPES.map((type) => JSON.stringify(type));
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}` : quoted.join('');
}

export interface AutoApproveTierConfig {
  decision: 'auto_approve';
  token_ttl?: string;
}

export interface ApproveTierConfig {
  decision: 'approve';
  approvals?: number;
  /** "on_behalf_of", "role:<role>", "group:<name>" or "person:<id or email>". */
  approvers?: string[];
  /** Of the `approvals`, how many must come from members of a group: `{ "group:finance": 2 }`. */
  approvals_from?: Record<string, number>;
  step_up?: StepUp;
  channels?: NotificationChannelType[];
  ttl?: string;
  token_ttl?: string;
  remind_after?: string;
  /** The one-step form of `escalation` (kept working: it compiles to a ladder of one step). */
  escalate_after?: string;
  escalate_to?: string[];
  /** The escalation ladder: steps in order of their delays, each adding approvers. Not together with escalate_after. */
  escalation?: EscalationStepConfig[];
  fast_decision_seconds?: number;
}

/** One rung of a tier's escalation ladder, as written in the taxonomy. */
export interface EscalationStepConfig {
  /** How long after the request this step fires (a duration). */
  after: string;
  /** Approver entries the step adds: "on_behalf_of", "role:<role>", "group:<name>", "person:<id or email>", or "manager". */
  to: string[];
  /** The channels to reach the added approvers on; the tier's channels when left out. */
  channels?: NotificationChannelType[];
}

/** One compiled step of the ladder (`Requirement.escalation`). */
export interface EscalationStep {
  after_seconds: number;
  /** As written; `manager` and `group:` entries are resolved when the step fires. */
  to: string[];
  channels: NotificationChannelType[];
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

/** What a test case expects; every field given is compared, the rest are not. */
export interface TaxonomyTestExpectation {
  tier: Tier;
  decision?: Decision;
  approvals?: number;
  step_up?: StepUp;
  reversibility?: Reversibility;
  blast_radius?: BlastRadius;
  /** The deciding rule: its id ("payments.transfer#rules[0]", "payments.transfer", "unknown_action") or its name. */
  rule?: string;
}

/** One case of a taxonomy's `tests:` section: an action as an agent would send it, and the expected outcome. */
export interface TaxonomyTestCase {
  name?: string;
  action: { type: string; resource?: string; args?: Record<string, unknown> };
  provenance?: string[];
  agent?: Partial<ClassificationInput['agent']>;
  person?: Partial<ClassificationInput['person']>;
  expect: TaxonomyTestExpectation;
}

export interface TaxonomyDocument {
  description?: string;
  trusted_provenance: string[];
  unknown_action: Tier;
  tiers: Record<Tier, TierConfig>;
  matrix: Record<Reversibility, Record<BlastRadius, Tier>>;
  actions: TaxonomyAction[];
  tests?: TaxonomyTestCase[];
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
  /** Only when the tier sets it: of the approvals, how many from the recorded members of each `group:` entry. */
  approvals_from?: Record<string, number>;
  step_up: StepUp;
  channels: NotificationChannelType[];
  /** How long the request may stay pending; 0 for tiers that are decided at once (auto_approve, deny). */
  ttl_seconds: number;
  /** Lifetime of the approval token; 0 when no token is ever issued (deny). */
  token_ttl_seconds: number;
  remind_after_seconds: number | null;
  /** The first step of `escalation` (what was the one escalation before the ladder); null without a ladder. */
  escalate_after_seconds: number | null;
  /** The first step's entries; empty without a ladder. */
  escalate_to: string[];
  /**
   * The escalation ladder, in firing order. Absent from requirements stored before the ladder existed: read it
   * through `escalationLadder()`, which derives it from `escalate_after_seconds`/`escalate_to`.
   */
  escalation?: EscalationStep[];
  /** Only when the tier sets it: decisions sooner than this after the person was shown the request are flagged (default FAST_DECISION_MS). */
  fast_decision_seconds?: number;
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
  /** The action entry an action type resolves to (exact first, then the most specific glob), or null if none. */
  matchAction(type: string): TaxonomyAction | null;
}
