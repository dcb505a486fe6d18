import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type Actor, type AuditEntry, AuditEventType, AuditService } from '@countersign/audit';
import { type Tx } from '@countersign/database';
import { approverEntriesFor, canStillBeApproved, nextStatus } from '@countersign/domain';
import { Deprovisioning, type DeprovisioningOutcome, type DeprovisioningStep, type PersonRecord } from '@countersign/people';
import { ApprovalTokenService } from '@countersign/tokens';
import { ApprovalEscalation, type StepTaken } from './approval-escalation';
import { type ApprovalRecord, ApprovalRepository } from './approval.repository';
import { DecisionRepository } from './decision.repository';

/** What deprovisioning did to approvals, for the follow-ups after the commit. */
export interface ApprovalsDeprovisioned {
  /** Now final (cancelled, expired): their agents are told, their messages show the outcome. */
  finished: ApprovalRecord[];
  /** Escalated one step: the added approvers are reached, and the step after it is scheduled. */
  escalated: StepTaken[];
}

/** The work that needs Redis (wake waiters, callbacks, notify escalated approvers); provided where Redis is loaded. */
export type ApprovalsFollowUps = (done: ApprovalsDeprovisioned) => Promise<void>;

/**
 * The approvals' part of disabling a person (docs/adr/0020-deprovisioning.md), in the transaction that disables them,
 * Postgres only (the CLI runs it without Redis):
 * - approvals requested on their behalf that are pending are cancelled, and the unconsumed tokens of approved ones
 *   revoked: an agent acting for someone who left gets nothing more done;
 * - their decisions on pending approvals are deleted (each audited with what it was): the quorum needs others;
 * - an approval that can no longer reach its quorum with the enabled people left is escalated now, or expired at
 *   once when there is no escalation left.
 * The locks are DecisionService's, in its order: the person's row (held by PeopleService.update), then approvals.
 */
@Injectable()
export class PersonDeprovisioningService implements DeprovisioningStep, OnModuleInit {
  private followUps: ApprovalsFollowUps | null = null;

  constructor(
    private readonly deprovisioning: Deprovisioning,
    private readonly approvals: ApprovalRepository,
    private readonly decisions: DecisionRepository,
    private readonly escalation: ApprovalEscalation,
    private readonly tokens: ApprovalTokenService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.deprovisioning.register('approvals', this);
  }

  /** Where Redis is loaded (the API, the CLI with Redis), the approvals module hands in what follows the commit. */
  useFollowUps(followUps: ApprovalsFollowUps): void {
    this.followUps = followUps;
  }

  async deprovision(tx: Tx, actor: Actor, person: PersonRecord): Promise<DeprovisioningOutcome> {
    const why = `${person.email} was disabled`;
    const involved = await this.approvals.lockPendingInvolving(tx, person.id, approverEntriesFor(person));
    const entries: AuditEntry[] = [];
    const finished: ApprovalRecord[] = [];
    const escalated: ApprovalsDeprovisioned['escalated'] = [];

    const cancelReason = `cancelled: ${why} (the person it was requested for)`;
    for (const id of involved.onBehalfOf) {
      const cancelled = await this.approvals.transitionFromPending(tx, id, nextStatus('pending', 'cancel'), cancelReason);
      if (!cancelled) continue;
      finished.push(cancelled);
      entries.push(statusChanged(id, 'cancelled', cancelReason));
    }
    const revokedTokens = await this.tokens.revokeUnconsumed(tx, await this.approvals.approvedIdsOnBehalfOf(tx, person.id));

    const voided = await this.decisions.voidDecisionsOf(tx, person.id, involved.approving);
    for (const decision of voided) {
      entries.push({
        type: AuditEventType.DecisionVoided,
        subject: { type: 'approval', id: decision.approvalId },
        data: {
          person_id: person.id,
          verdict: decision.verdict,
          channel: decision.channel,
          decided_at: decision.decidedAt.toISOString(),
          reason: `no longer counts: ${why}`,
        },
      });
    }

    // Escalate what can no longer be approved, and look again: expire what the escalation cannot save either.
    let stranded = (await this.approvals.quorumState(tx, involved.approving)).filter((quorum) => !canStillBeApproved(quorum));
    while (stranded.length > 0) {
      const expireNow: string[] = [];
      for (const quorum of stranded) {
        const step = quorum.canEscalate ? await this.escalateNow(tx, actor, quorum.id, why) : null;
        if (step) escalated.push(step);
        else expireNow.push(quorum.id);
      }
      const expireReason = `expired: no enabled approver remains (${why})`;
      for (const id of expireNow) {
        const expired = await this.approvals.transitionFromPending(tx, id, nextStatus('pending', 'expire'), expireReason);
        if (!expired) continue;
        finished.push(expired);
        entries.push(statusChanged(id, 'expired', expireReason));
      }
      const escalatedNow = stranded.filter((quorum) => !expireNow.includes(quorum.id)).map((quorum) => quorum.id);
      stranded = (await this.approvals.quorumState(tx, escalatedNow)).filter((quorum) => !canStillBeApproved(quorum));
    }
    await this.audit.append(tx, actor, entries);

    const followUps = this.followUps;
    const done: ApprovalsDeprovisioned = { finished, escalated };
    return {
      summary: {
        cancelled_approvals: finished.filter((approval) => approval.status === 'cancelled').map((approval) => approval.id),
        revoked_tokens: revokedTokens,
        voided_decisions: voided.map((decision) => decision.approvalId),
        escalated_approvals: escalated.map((step) => step.approval.id),
        expired_approvals: finished.filter((approval) => approval.status === 'expired').map((approval) => approval.id),
      },
      afterCommit: followUps && (finished.length > 0 || escalated.length > 0) ? () => followUps(done) : undefined,
    };
  }

  /**
   * The one place deprovisioning escalates: the ladder's next step, now (the loop above asks again until the
   * approval can be approved or has no step left).
   */
  private escalateNow(tx: Tx, actor: Actor, approvalId: string, why: string): Promise<StepTaken | null> {
    return this.escalation.takeNextStep(tx, actor, approvalId, `no enabled approver remains (${why})`);
  }
}

function statusChanged(id: string, to: string, reason: string): AuditEntry {
  return { type: AuditEventType.ApprovalStatusChanged, subject: { type: 'approval', id }, data: { from: 'pending', to, reason } };
}
