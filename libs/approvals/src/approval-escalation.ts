import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { type Tx } from '@countersign/database';
import {
  directoryNeeds,
  eligibleEntries,
  escalationLadder,
  type EscalationStep,
  mergeGroupMembers,
  resolveStepEntries,
} from '@countersign/domain';
import { GroupsRepository } from '@countersign/people';
import { type ApprovalRecord, ApprovalRepository } from './approval.repository';

/** An escalation step that fired: the approval after it, and what the step added. */
export interface EscalationStepTaken {
  approval: ApprovalRecord;
  /** 1-based: the approval's `escalation_step` now. */
  step: number;
  /** The entries the step added to `escalated_to` (`manager` already resolved to `person:<id>`). */
  added: string[];
  /** The channels the step reaches its approvers on. */
  channels: EscalationStep['channels'];
  /** The people the step resolved from the directory: the manager, the members of the groups it added. */
  people: string[];
}

/** A step as taken in the transaction, with the step after it (if any), which the caller schedules after the commit. */
export type StepTaken = EscalationStepTaken & { next: EscalationStep | undefined };

/**
 * Taking one step of an approval's escalation ladder, in the caller's transaction (Postgres only, so the CLI's
 * deprovisioning can do it): the step's approvers become eligible (`group:` entries resolved to their enabled
 * members now, `manager` to the on-behalf-of person's enabled manager), audited. The one place an escalation step
 * happens: the scheduled job, the early one, and deprovisioning all come here (docs/adr/0019-escalation-ladder.md).
 */
@Injectable()
export class ApprovalEscalation {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly groups: GroupsRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Step `which` (1-based), or the one after the last taken (`'next'`); null when it was taken already, an earlier
   * one was not, there is no such step, or the approval is final. `next` is the step after it, if any, for the
   * caller to schedule.
   */
  async takeStep(
    tx: Tx,
    actor: Actor,
    approvalId: string,
    which: number | 'next',
    options: { early?: boolean; reason?: string } = {},
  ): Promise<StepTaken | null> {
    const claimed = await this.approvals.claimEscalationStep(tx, approvalId, which);
    if (!claimed) return null;
    const step = claimed.escalationStep;
    const ladder = escalationLadder(claimed.requirement);
    const rung = ladder[step - 1];
    const needs = directoryNeeds(rung);
    const members = await this.groups.enabledMembers(tx, needs.groups);
    const managerId = needs.manager ? await this.groups.enabledManagerOf(tx, claimed.onBehalfOfId) : null;
    const added = resolveStepEntries(rung, managerId, eligibleEntries(claimed));
    const addedGroups = added.filter((entry) => entry.startsWith('group:')).map((entry) => entry.slice('group:'.length));
    // Only the groups this step adds: a group the approval listed already keeps what was recorded for it.
    const groupMembers = mergeGroupMembers(
      claimed.groupMembers,
      Object.fromEntries(addedGroups.map((name) => [name, members[name] ?? []])),
    );
    const people = [
      ...new Set([
        ...(managerId !== null && added.includes(`person:${managerId}`) ? [managerId] : []),
        ...addedGroups.flatMap((name) => groupMembers[name] ?? []),
      ]),
    ];
    const approval = await this.approvals.recordEscalationStep(tx, approvalId, added, groupMembers);
    const reachedNobody = added.every(
      (entry) => entry.startsWith('group:') && (groupMembers[entry.slice('group:'.length)] ?? []).length === 0,
    );
    await this.audit.append(tx, actor, [
      {
        type: AuditEventType.ApprovalEscalated,
        subject: { type: 'approval', id: approvalId },
        data: {
          step,
          steps: ladder.length,
          early: options.early === true,
          to: rung.to,
          added,
          channels: rung.channels,
          ...(needs.manager ? { manager: managerId } : {}),
          ...(addedGroups.length > 0 ? { groups: Object.fromEntries(addedGroups.map((name) => [name, groupMembers[name] ?? []])) } : {}),
          people,
          ...(reachedNobody ? { resolved_to_nobody: true } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        },
      },
    ]);
    return { approval, step, added, channels: rung.channels, people, next: ladder[step] };
  }

  /** The step after the last one taken, now (deprovisioning: its approvers cannot act); null as for `takeStep`. */
  takeNextStep(tx: Tx, actor: Actor, approvalId: string, reason: string): Promise<StepTaken | null> {
    return this.takeStep(tx, actor, approvalId, 'next', { early: true, reason });
  }
}
