import { createHash } from 'node:crypto';
import { DomainError } from './errors';
import { type Requirement } from './taxonomy/taxonomy.types';

/*
 * The rules of deciding an approval, in one place: the state machine, who may decide, when a decision is refused,
 * the quorum, and what a decision records. Pure: the decision service reads the rows and applies these.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
export type ApprovalEvent = 'approve' | 'deny' | 'expire' | 'cancel';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'cancelled'];

/** Only a pending approval moves; every outcome is final, and expiry stays distinct from denial. */
export function nextStatus(current: ApprovalStatus, event: ApprovalEvent): ApprovalStatus {
  if (current !== 'pending') {
    throw new DomainError('invalid_transition', `approval is already ${current}; cannot ${event}`, { current, event });
  }
  switch (event) {
    case 'approve':
      return 'approved';
    case 'deny':
      return 'denied';
    case 'expire':
      return 'expired';
    case 'cancel':
      return 'cancelled';
  }
}

export function isFinal(status: ApprovalStatus): boolean {
  return status !== 'pending';
}

export type Verdict = 'approve' | 'deny';

/** Who is deciding: what the requirement's `approvers` entries are matched against. */
export interface Approver {
  id: string;
  email: string;
  role: string;
}

/** What the rules read of a stored approval. */
export interface DecidableApproval {
  status: ApprovalStatus;
  expiresAt: Date;
  onBehalfOfId: string;
  tier: string;
  actionDigest: string;
  /** Approver entries added when the approval was escalated. */
  escalatedTo: readonly string[];
  requirement: Pick<Requirement, 'approvers' | 'approvals_required' | 'step_up' | 'fast_decision_seconds'>;
}

/**
 * Who may decide an approval: the requirement's `approvers` plus the `escalate_to` entries once it was escalated.
 * The one place eligibility reads; the inbox query mirrors it in SQL.
 */
export function eligibleEntries(approval: Pick<DecidableApproval, 'requirement' | 'escalatedTo'>): string[] {
  return [...approval.requirement.approvers, ...approval.escalatedTo];
}

/**
 * Whether `person` may decide an approval whose requirement lists `approvers` (taxonomy syntax):
 * `on_behalf_of` (the person the agent acts for), `role:<role>`, `person:<id or email>`. `group:<name>` matches
 * nobody until people have groups, so a tier that names only a group stays undecidable rather than open to all.
 */
export function isEligibleApprover(person: Approver, onBehalfOfId: string, approvers: readonly string[]): boolean {
  return approvers.some((entry) => {
    if (entry === 'on_behalf_of') return person.id === onBehalfOfId;
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    if (kind === 'role') return person.role === value;
    if (kind === 'person') return value === person.id || value.toLowerCase() === person.email.toLowerCase();
    return false;
  });
}

export function mayDecide(person: Approver, approval: Pick<DecidableApproval, 'onBehalfOfId' | 'requirement' | 'escalatedTo'>): boolean {
  return isEligibleApprover(person, approval.onBehalfOfId, eligibleEntries(approval));
}

/** The `approvers` entries that name this person other than through `on_behalf_of` (for queries). */
export function approverEntriesFor(person: Approver): string[] {
  return [`role:${person.role}`, `person:${person.id}`, `person:${person.email.toLowerCase()}`];
}

/** A decision a person sends: the verdict, and the action digest their passkey step-up signed, if any. */
export interface DecisionAttempt {
  verdict: Verdict;
  stepUp: { actionDigest: string } | null;
}

/**
 * The refusals, in the order a person meets them. An approval the person may not decide (or none at all) is
 * `not_found`, as if it did not exist (no enumeration). Past its expiry it is `expired` even before the expiry job
 * ran. Approving a step-up tier needs the step-up, and the step-up must have signed the action as it is now.
 */
export function assertDecidable<A extends DecidableApproval>(
  person: Approver,
  approval: A | null,
  attempt: DecisionAttempt,
  now: Date,
): asserts approval is A {
  if (!approval || !mayDecide(person, approval)) throw new DomainError('not_found', 'no such approval');
  if (approval.status === 'expired' || (approval.status === 'pending' && approval.expiresAt.getTime() <= now.getTime())) {
    throw new DomainError('expired', 'the approval expired before this decision');
  }
  if (approval.status !== 'pending')
    throw new DomainError('already_decided', `the approval is already ${approval.status}`, { current_status: approval.status });
  if (attempt.verdict === 'approve' && approval.requirement.step_up === 'passkey' && !attempt.stepUp) {
    throw new DomainError(
      'step_up_required',
      `tier ${approval.tier} needs a passkey confirmation: POST …/step-up for options, then send the assertion as step_up`,
    );
  }
  if (attempt.stepUp && attempt.stepUp.actionDigest !== approval.actionDigest)
    throw new DomainError('step_up_invalid', 'the approval changed while the step-up was checked');
}

export interface RecordedVerdict {
  personId: string;
  verdict: Verdict;
}

/** One decision per person: `earlier` are the approval's decisions read under its row lock. */
export function assertFirstDecision(person: Approver, earlier: readonly RecordedVerdict[]): void {
  if (earlier.some((decision) => decision.personId === person.id))
    throw new DomainError('already_decided', 'you have already decided this approval');
}

/**
 * The quorum rule, after a new decision has been added to `decisions` (one per person, enforced before this):
 * any deny decides `denied`; approvals from `approvalsRequired` distinct people decide `approved`; otherwise the
 * approval stays pending and waits for more people.
 */
export function outcomeOf(decisions: readonly RecordedVerdict[], approvalsRequired: number): ApprovalStatus {
  if (decisions.some((decision) => decision.verdict === 'deny')) return 'denied';
  const approvers = new Set(decisions.filter((decision) => decision.verdict === 'approve').map((decision) => decision.personId));
  return approvers.size >= Math.max(1, approvalsRequired) ? 'approved' : 'pending';
}

/**
 * Whether a pending approval can still reach its quorum: the approvals that still count, plus one from each enabled
 * eligible person who has not decided yet, must reach `approvalsRequired`. Deprovisioning asks this after taking a
 * person away; an approval that cannot is escalated, or expired when there is no escalation left.
 */
export function canStillBeApproved(quorum: { approvalsRequired: number; approvalsCounted: number; eligibleUndecided: number }): boolean {
  return quorum.approvalsCounted + quorum.eligibleUndecided >= Math.max(1, quorum.approvalsRequired);
}

export interface CastDecision extends RecordedVerdict {
  email: string;
  reason: string | null;
}

/** The move a decision makes, with the reason stored on the approval. */
export interface Settlement {
  to: ApprovalStatus;
  reason: string;
}

/** What the decisions so far (the new one last) do to a pending approval: null while it waits for more people. */
export function settlementOf(
  approval: Pick<DecidableApproval, 'status' | 'requirement'>,
  decisions: readonly CastDecision[],
): Settlement | null {
  const outcome = outcomeOf(decisions, approval.requirement.approvals_required);
  if (outcome === 'pending') return null;
  const to = nextStatus(approval.status, outcome === 'approved' ? 'approve' : 'deny');
  if (to === 'approved') return { to, reason: `approved by ${decisions.map((decision) => decision.email).join(', ')}` };
  const denial = decisions.find((decision) => decision.verdict === 'deny')!;
  return { to, reason: `denied by ${denial.email}${denial.reason ? `: ${denial.reason}` : ''}` };
}

/** A reason as stored: at most this long, trimmed, and none when blank. */
export const MAX_DECISION_REASON = 1_000;

export function decisionReason(text: string | null | undefined): string | null {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/**
 * The step-up challenge (dynamic linking): SHA-256(nonce || action digest), so the passkey signs over exactly
 * this action. The nonce is single use and kept server side with the digest it was issued for.
 */
export function stepUpChallenge(nonce: Buffer, actionDigest: string): Buffer {
  return createHash('sha256').update(nonce).update(actionDigest, 'utf8').digest();
}

/**
 * A decision this soon after the person was shown the request (the web page first opened, the Slack DM delivered)
 * was probably not read: flagged, not refused. A tier may set its own (`fast_decision_seconds`).
 */
export const FAST_DECISION_MS = 2_000;

export function isFastDecision(shownAt: Date | null, decidedAt: Date, thresholdMs = FAST_DECISION_MS): boolean {
  return shownAt !== null && decidedAt.getTime() - shownAt.getTime() < thresholdMs;
}

/** How long the person looked (null when never shown on this channel) and whether that was too fast for the tier. */
export function decisionLatency(
  shownAt: Date | null,
  decidedAt: Date,
  requirement: Pick<Requirement, 'fast_decision_seconds'>,
): { latencyMs: number | null; fast: boolean } {
  const threshold = requirement.fast_decision_seconds === undefined ? FAST_DECISION_MS : requirement.fast_decision_seconds * 1000;
  return { latencyMs: shownAt ? decidedAt.getTime() - shownAt.getTime() : null, fast: isFastDecision(shownAt, decidedAt, threshold) };
}
