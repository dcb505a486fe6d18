import { createHash } from 'node:crypto';
import { type ApprovalStatus } from './approval-state';

export type Verdict = 'approve' | 'deny';

/** Who is deciding: what the requirement's `approvers` entries are matched against. */
export interface Approver {
  id: string;
  email: string;
  role: string;
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

/** The `approvers` entries that name this person other than through `on_behalf_of` (for queries). */
export function approverEntriesFor(person: Approver): string[] {
  return [`role:${person.role}`, `person:${person.id}`, `person:${person.email.toLowerCase()}`];
}

export interface RecordedVerdict {
  personId: string;
  verdict: Verdict;
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
