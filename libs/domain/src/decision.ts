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
  /** A disabled person never decides, whatever an entry or a delegation says (absent: enabled). */
  status?: 'active' | 'disabled';
}

/**
 * The members of each `group:` entry as they were resolved (at the request, or at the escalation step that added
 * the entry), by group name: the snapshot eligibility reads, so a later membership change widens or narrows nobody.
 */
export type GroupMembers = Readonly<Record<string, readonly string[]>>;

/** What the rules read of a stored approval. */
export interface DecidableApproval {
  status: ApprovalStatus;
  expiresAt: Date;
  onBehalfOfId: string;
  tier: string;
  actionDigest: string;
  /** Approver entries added when the approval was escalated. */
  escalatedTo: readonly string[];
  groupMembers: GroupMembers;
  requirement: Pick<Requirement, 'approvers' | 'approvals_required' | 'approvals_from' | 'step_up' | 'fast_decision_seconds'>;
}

type Eligibility = Pick<DecidableApproval, 'onBehalfOfId' | 'requirement' | 'escalatedTo' | 'groupMembers'>;

/**
 * Who may decide an approval: the requirement's `approvers` plus the `escalate_to` entries once it was escalated.
 * The one place eligibility reads; the inbox query mirrors it in SQL.
 */
export function eligibleEntries(approval: Pick<DecidableApproval, 'requirement' | 'escalatedTo'>): string[] {
  return [...approval.requirement.approvers, ...approval.escalatedTo];
}

/**
 * Whether `person` may decide an approval whose requirement lists `approvers` (taxonomy syntax):
 * `on_behalf_of` (the person the agent acts for), `role:<role>`, `person:<id or email>`, and `group:<name>`, which
 * matches the members recorded for that group when the entry was resolved (`groupMembers`), not today's members:
 * a group with no record, or an empty one, matches nobody (fail closed). A disabled person matches nothing.
 */
export function isEligibleApprover(
  person: Approver,
  onBehalfOfId: string,
  approvers: readonly string[],
  groupMembers: GroupMembers = {},
): boolean {
  if (person.status === 'disabled') return false;
  return approvers.some((entry) => {
    if (entry === 'on_behalf_of') return person.id === onBehalfOfId;
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    if (kind === 'role') return person.role === value;
    if (kind === 'person') return value === person.id || value.toLowerCase() === person.email.toLowerCase();
    if (kind === 'group') return Object.hasOwn(groupMembers, value) && groupMembers[value].includes(person.id);
    return false;
  });
}

/** Whether `person` may decide the approval in their own right (not through a delegation). */
export function mayDecide(person: Approver, approval: Eligibility): boolean {
  return isEligibleApprover(person, approval.onBehalfOfId, eligibleEntries(approval), approval.groupMembers);
}

/** The group names of `group:` entries. */
export function groupNames(entries: readonly string[]): string[] {
  return [...new Set(entries.filter((entry) => entry.startsWith('group:')).map((entry) => entry.slice('group:'.length)))];
}

/** Everyone the `group:` entries among `entries` name, by the approval's recorded members (for notifying them). */
export function groupMembersNamed(entries: readonly string[], groupMembers: GroupMembers): string[] {
  return [...new Set(groupNames(entries).flatMap((name) => (Object.hasOwn(groupMembers, name) ? groupMembers[name] : [])))];
}

/** A person's approvals handed to another for a period (docs/adr/0018-groups-and-delegation.md). */
export interface Delegation {
  id: string;
  delegator: Approver;
  startsAt: Date;
  endsAt: Date;
  revokedAt: Date | null;
}

/** The longest a delegation may last: an absence, not a standing grant. */
export const MAX_DELEGATION_DAYS = 90;

/** In force at `now`: started, not ended, not revoked. Checked at decision time; no job ends a delegation. */
export function isActiveDelegation(delegation: Pick<Delegation, 'startsAt' | 'endsAt' | 'revokedAt'>, now: Date): boolean {
  return delegation.revokedAt === null && delegation.startsAt.getTime() <= now.getTime() && now.getTime() < delegation.endsAt.getTime();
}

/** In whose right a person decides: their own (`via` null), or a delegator's. */
export interface DecidingCapacity {
  via: Delegation | null;
}

/**
 * Whether, and in whose right, `person` may decide: in their own right first (a delegate who is also eligible
 * decides once, as themselves); otherwise through the first delegation to them (oldest start first) that is in force
 * at `now` and whose enabled delegator may decide. A delegation grants nothing on a request made on the delegate's
 * own behalf (no self-approval through delegation). Null: the person may not decide it.
 */
export function decidingCapacity(
  person: Approver,
  approval: Eligibility,
  delegations: readonly Delegation[],
  now: Date,
): DecidingCapacity | null {
  if (person.status === 'disabled') return null;
  if (mayDecide(person, approval)) return { via: null };
  if (approval.onBehalfOfId === person.id) return null;
  const via = [...delegations]
    .filter((delegation) => isActiveDelegation(delegation, now) && delegation.delegator.id !== person.id)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
    .find((delegation) => mayDecide(delegation.delegator, approval));
  return via ? { via } : null;
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
  delegations: readonly Delegation[] = [],
): asserts approval is A {
  if (!approval || !decidingCapacity(person, approval, delegations, now)) throw new DomainError('not_found', 'no such approval');
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
  /** Set when the person decided for a delegator: whose right the decision used. */
  viaDelegationOf?: string | null;
}

/** Whose right a decision used: the delegator's when it went through a delegation, else the person's own. */
export function decidingFor(decision: Pick<RecordedVerdict, 'personId' | 'viaDelegationOf'>): string {
  return decision.viaDelegationOf ?? decision.personId;
}

/**
 * One decision per person, and one per right: `earlier` are the approval's decisions read under its row lock. A
 * delegator whose delegate already decided for them, or a delegate whose delegator already decided, is refused, so
 * one person's right is never counted twice.
 */
export function assertFirstDecision(person: Approver, earlier: readonly RecordedVerdict[], viaDelegationOf: string | null = null): void {
  if (earlier.some((decision) => decision.personId === person.id))
    throw new DomainError('already_decided', 'you have already decided this approval');
  const right = viaDelegationOf ?? person.id;
  if (earlier.some((decision) => decidingFor(decision) === right))
    throw new DomainError(
      'already_decided',
      viaDelegationOf
        ? 'the person you stand in for has already decided this approval'
        : 'a delegate has already decided this approval for you',
    );
}

/** What the quorum reads of an approval: how many, and how many from each group (`approvals_from`). */
export interface Quorum {
  approvalsRequired: number;
  approvalsFrom?: Readonly<Record<string, number>>;
  groupMembers?: GroupMembers;
}

/**
 * The quorum rule, after a new decision has been added to `decisions` (one per person and per right, enforced
 * before this): any deny decides `denied`; approvals in `approvalsRequired` distinct rights (a decision through a
 * delegation counts as the delegator's), and for each `group:NAME: N` of `approvalsFrom` N of them by the group's
 * recorded members, decide `approved`; otherwise the approval stays pending and waits for more people.
 */
export function outcomeOf(decisions: readonly RecordedVerdict[], quorum: number | Quorum): ApprovalStatus {
  const { approvalsRequired, approvalsFrom = {}, groupMembers = {} } = typeof quorum === 'number' ? { approvalsRequired: quorum } : quorum;
  if (decisions.some((decision) => decision.verdict === 'deny')) return 'denied';
  const rights = new Set(decisions.filter((decision) => decision.verdict === 'approve').map(decidingFor));
  if (rights.size < Math.max(1, approvalsRequired)) return 'pending';
  for (const [entry, needed] of Object.entries(approvalsFrom)) {
    const name = entry.slice('group:'.length);
    const members = Object.hasOwn(groupMembers, name) ? groupMembers[name] : [];
    if ([...rights].filter((id) => members.includes(id)).length < needed) return 'pending';
  }
  return 'approved';
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
  /** The delegator's email when the decision went through a delegation. */
  viaEmail?: string | null;
}

/** "bob@example.com", or "bob@example.com for alice@example.com" through a delegation. */
export function deciderLabel(decision: Pick<CastDecision, 'email' | 'viaEmail'>): string {
  return decision.viaEmail ? `${decision.email} for ${decision.viaEmail}` : decision.email;
}

/** The move a decision makes, with the reason stored on the approval. */
export interface Settlement {
  to: ApprovalStatus;
  reason: string;
}

/** What the decisions so far (the new one last) do to a pending approval: null while it waits for more people. */
export function settlementOf(
  approval: Pick<DecidableApproval, 'status' | 'requirement' | 'groupMembers'>,
  decisions: readonly CastDecision[],
): Settlement | null {
  const outcome = outcomeOf(decisions, {
    approvalsRequired: approval.requirement.approvals_required,
    approvalsFrom: approval.requirement.approvals_from,
    groupMembers: approval.groupMembers,
  });
  if (outcome === 'pending') return null;
  const to = nextStatus(approval.status, outcome === 'approved' ? 'approve' : 'deny');
  if (to === 'approved') return { to, reason: `approved by ${decisions.map(deciderLabel).join(', ')}` };
  const denial = decisions.find((decision) => decision.verdict === 'deny')!;
  return { to, reason: `denied by ${deciderLabel(denial)}${denial.reason ? `: ${denial.reason}` : ''}` };
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
