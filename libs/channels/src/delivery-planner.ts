import { Inject, Injectable } from '@nestjs/common';
import { type ApprovalOutreach, type ApprovalRecord, eligibleEntriesOf, type EscalationStepTaken } from '@countersign/approvals';
import { escalationLadder } from '@countersign/domain';
import { MicroBatch } from '@countersign/database';
import { groupMembersNamed } from '@countersign/domain';
import { jobId, JobName, QueueService } from '@countersign/queue';
import { type DeliveryRecord, DeliveryRepository, type PlanItem } from './delivery.repository';
import { type ChannelType, NOTIFICATION_CHANNELS, type NotificationChannel } from './notification-channel';

/** What planning needs of an approval besides the plan itself: whose jobs, their tier, and its escalation. */
export interface PlannedApproval {
  id: string;
  agentId: string;
  tier: string;
  /** Steps of its escalation ladder taken, and how many there are. */
  escalationStep: number;
  escalationSteps: number;
}

/**
 * Plans deliveries (one per undecided approver × channel) and enqueues them. Provided to the approvals library as
 * its APPROVAL_OUTREACH, so a new approval is planned in the API right after intake committed, not by a job.
 */
@Injectable()
export class DeliveryPlanner implements ApprovalOutreach {
  /** The channels this deployment configured (the others' deliveries are planned `off`). */
  private readonly enabledTypes: ChannelType[];
  /** Plans arriving together (intake's, in the API) share one statement. */
  private readonly batch = new MicroBatch<PlanItem, DeliveryRecord[]>((items) => this.deliveries.plan(items, this.enabledTypes));

  constructor(
    @Inject(NOTIFICATION_CHANNELS) channels: NotificationChannel[],
    private readonly deliveries: DeliveryRepository,
    private readonly queue: QueueService,
  ) {
    this.enabledTypes = channels.filter((channel) => channel.enabled).map((channel) => channel.type);
  }

  /** A new pending approval; if this fails, the approval stays un-notified and the worker's sweep plans it. */
  async planNew(approval: ApprovalRecord): Promise<void> {
    const requirement = approval.requirement;
    const entries = eligibleEntriesOf(approval);
    await this.planAndEnqueue(
      {
        id: approval.id,
        agentId: approval.agentId,
        tier: approval.tier,
        escalationStep: approval.escalationStep ?? 0,
        escalationSteps: escalationLadder(requirement).length,
      },
      {
        approvalId: approval.id,
        onBehalfOfId: approval.onBehalfOfId,
        tier: approval.tier,
        entries,
        groupMembers: groupMembersNamed(entries, approval.groupMembers),
        channels: requirement.channels,
        kind: 'request',
      },
    );
  }

  /**
   * The approvers an escalation step added, on the step's channels. Only people with no delivery of this approval
   * yet: someone already reached (an approver of the tier, or of an earlier step, whom the step names again) is
   * not notified twice. A step that reaches nobody new brings the next step forward, like an unreachable approver.
   */
  async planEscalation(taken: EscalationStepTaken): Promise<void> {
    const { approval } = taken;
    await this.planAndEnqueue(
      {
        id: approval.id,
        agentId: approval.agentId,
        tier: approval.tier,
        escalationStep: taken.step,
        escalationSteps: escalationLadder(approval.requirement).length,
      },
      {
        approvalId: approval.id,
        onBehalfOfId: approval.onBehalfOfId,
        tier: approval.tier,
        entries: taken.added,
        groupMembers: groupMembersNamed(taken.added, approval.groupMembers),
        channels: taken.channels,
        kind: 'request',
        newPeopleOnly: true,
      },
    );
  }

  async planAndEnqueue(approval: PlannedApproval, item: PlanItem): Promise<void> {
    const planned = await this.batch.run(item);
    const queued = planned.filter((row) => row.state === 'queued');
    if (queued.length > 0) {
      const priority = await this.queue.fairPriority(approval.tier, approval.agentId, queued.length);
      await Promise.all(
        queued.map((row) =>
          this.queue.enqueue(
            JobName.DeliverNotification,
            { deliveryId: row.id, agentId: approval.agentId },
            { jobId: jobId.deliver(row.id), priority },
          ),
        ),
      );
    }
    // Someone with no channel at all cannot be reached: escalate now rather than at the scheduled time.
    const approvers = new Set(planned.map((row) => row.personId));
    const reached = new Set(queued.map((row) => row.personId));
    if (approvers.size === 0 || approvers.size > reached.size) await this.escalateEarly(approval);
  }

  /** The next step of the ladder, now (one step per call: the step's own plan may bring the one after it forward). */
  async escalateEarly(approval: PlannedApproval): Promise<void> {
    const step = approval.escalationStep + 1;
    if (step > approval.escalationSteps) return;
    await this.queue.enqueue(
      JobName.EscalateApproval,
      { approvalId: approval.id, step, early: true },
      { jobId: jobId.escalateEarly(approval.id, step) },
    );
  }
}
