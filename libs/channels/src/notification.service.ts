import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApprovalLifecycleService, type ApprovalSummary, ApproverService } from '@countersign/approvals';
import { AuditEventType, outboxEvents, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { groupMembersNamed } from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { jobId, JobName, QueueService, RetryLaterError } from '@countersign/queue';
import { DeliveryPlanner } from './delivery-planner';
import { type Claimed, type DeliveryRecord, DeliveryRepository } from './delivery.repository';
import {
  type ChannelType,
  type DeliveryKind,
  NOTIFICATION_CHANNELS,
  type Notification,
  type NotificationChannel,
} from './notification-channel';

const SWEEP_BATCH = 200;
/** A job that found its delivery claimed by another attempt looks again after at most this (ms). */
const CLAIM_RECHECK_MS = 5_000;

/**
 * Flow 2 of DESIGN.md, the worker's side of reaching people: plan one delivery per approver × channel, deliver
 * each through its channel, remind, reach the approvers escalation steps add, and show every outcome in the messages already sent. Every step
 * is idempotent (delivery rows are unique, state changes are guarded), so a job run twice or re-enqueued by the
 * sweep after Redis lost it never sends a second message.
 */
@Injectable()
export class NotificationService {
  private readonly logger = new Logger(NotificationService.name);
  private readonly byType: Map<ChannelType, NotificationChannel>;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    @Inject(NOTIFICATION_CHANNELS) channels: NotificationChannel[],
    private readonly deliveries: DeliveryRepository,
    private readonly planner: DeliveryPlanner,
    private readonly approver: ApproverService,
    private readonly people: PeopleService,
    private readonly queue: QueueService,
    private readonly lifecycle: ApprovalLifecycleService,
  ) {
    this.byType = new Map(channels.map((channel) => [channel.type, channel]));
  }

  /**
   * Plans a pending approval's deliveries (one per undecided approver × the tier's channels), from a job: the
   * sweep's re-plan, a reminder, an escalation. New approvals are planned at intake instead (DeliveryPlanner.planNew).
   */
  async plan(approvalId: string, kind: DeliveryKind = 'request'): Promise<void> {
    const approval = await this.approver.summary(approvalId);
    // A final approval needs no messages (and the sweep only looks for pending approvals that were never planned).
    if (!approval || approval.status !== 'pending') return;
    await this.planner.planAndEnqueue(
      {
        id: approval.id,
        agentId: approval.agent_id,
        tier: approval.tier,
        escalationStep: approval.escalation.step,
        escalationSteps: approval.escalation.steps,
      },
      {
        approvalId: approval.id,
        onBehalfOfId: approval.on_behalf_of_id,
        tier: approval.tier,
        entries: approval.eligible,
        groupMembers: groupMembersNamed(approval.eligible, approval.group_members),
        channels: approval.requirement.channels as ChannelType[],
        kind,
      },
    );
  }

  /**
   * One attempt at one delivery. The attempt is claimed (and counted) first, in the statement that reads the row
   * with its person and approval; the outcome and its audit event are written in one statement after the channel
   * answered. The claim is a lease of WORKER_LOCK_DURATION_MS, renewed at half of it like BullMQ's job lock: a
   * worker that dies mid-attempt leaves it to expire when BullMQ would run its job again anyway.
   */
  async deliver(deliveryId: string): Promise<void> {
    const leaseMs = this.config.workerLockDurationMs;
    const claimed = await this.deliveries.beginAttempt(deliveryId, leaseMs);
    if (claimed && 'busyForMs' in claimed) {
      // Another job of this delivery is sending it (this one was re-enqueued after Redis lost the queue): come back
      // when that attempt is over, as a no-op if it sent the message, to retry if it failed.
      throw new RetryLaterError(Math.min(claimed.busyForMs, CLAIM_RECHECK_MS), `delivery ${deliveryId} is being sent by another attempt`);
    }
    if (!claimed?.person || !claimed.approval) return;
    const renew = setInterval(() => {
      this.deliveries
        .extendClaim(deliveryId, leaseMs)
        .catch((error: Error) => this.logger.warn(`could not renew the claim on delivery ${deliveryId}: ${error.message}`));
    }, leaseMs / 2);
    try {
      await this.attempt(claimed.delivery, claimed.person, claimed.approval, claimed.slackIdentity);
    } finally {
      clearInterval(renew);
    }
  }

  private async attempt(
    delivery: DeliveryRecord,
    person: PersonRecord,
    approval: ApprovalSummary,
    slackIdentity: Claimed['slackIdentity'],
  ): Promise<void> {
    const previousAttempts = delivery.attempts - 1;
    const channel = this.byType.get(delivery.channel);
    if (approval.status !== 'pending') {
      await this.deliveries.finish(delivery.id, 'failed', `not sent: the approval was already ${approval.status}`, null);
      return;
    }
    if (!channel?.enabled || person.status !== 'active') {
      await this.deliveries.finish(
        delivery.id,
        'off',
        !channel?.enabled ? `${delivery.channel} is not configured` : 'the person is disabled',
        null,
      );
      return;
    }
    let outcome;
    try {
      outcome = await channel.deliver({ ...this.notification(delivery, person, approval, previousAttempts), slackIdentity });
    } catch (error) {
      await this.deliveries.recordError(delivery.id, (error as Error).message);
      throw error;
    }
    const [event] = outboxEvents(SYSTEM, [
      {
        type: outcome.state === 'sent' ? AuditEventType.NotificationSent : AuditEventType.NotificationFailed,
        subject: { type: 'approval', id: delivery.approvalId },
        data: {
          person_id: delivery.personId,
          channel: delivery.channel,
          kind: delivery.kind,
          state: outcome.state,
          detail: outcome.detail ?? null,
          attempts: delivery.attempts,
        },
      },
    ]);
    const changed = await this.deliveries.finishAudited(
      delivery.id,
      outcome.state,
      outcome.detail ?? null,
      outcome.state === 'sent' ? outcome.externalRef : null,
      event,
    );
    if (changed && outcome.state !== 'sent') await this.checkReachable(delivery, approval);
  }

  /** The delivery's job used its last attempt. */
  async gaveUp(deliveryId: string, reason: string): Promise<void> {
    const delivery = await this.deliveries.find(deliveryId);
    if (!delivery) return;
    const detail = reason.slice(0, 500);
    const [event] = outboxEvents(SYSTEM, [
      {
        type: AuditEventType.NotificationFailed,
        subject: { type: 'approval', id: delivery.approvalId },
        data: { person_id: delivery.personId, channel: delivery.channel, kind: delivery.kind, state: 'failed', detail },
      },
    ]);
    const moved = await this.deliveries.finishAudited(delivery.id, 'failed', detail, null, event);
    const approval = moved ? await this.approver.summary(delivery.approvalId) : null;
    if (approval?.status === 'pending') await this.checkReachable(delivery, approval);
  }

  /** Rewrites every message sent about a final approval to show the outcome and who decided. */
  async showOutcome(approvalId: string): Promise<void> {
    const approval = await this.approver.summary(approvalId);
    if (!approval || approval.status === 'pending') return;
    for (const delivery of await this.deliveries.ofApproval(approvalId)) {
      if (delivery.state !== 'sent' || delivery.outcomeShown === approval.status) continue;
      const channel = this.byType.get(delivery.channel);
      const person = await this.people.find(delivery.personId);
      if (!channel || !person) continue;
      await channel.showOutcome(this.notification(delivery, person, approval, delivery.attempts));
      await this.deliveries.markOutcomeShown(delivery.id, approval.status);
    }
    await this.lifecycle.markMessagesUpdated(approvalId);
  }

  /** Once per approval, after `remind_after`: a reminder to everyone who has not decided yet. */
  async remind(approvalId: string): Promise<void> {
    if (!(await this.lifecycle.claimReminder(approvalId))) return;
    await this.plan(approvalId, 'reminder');
  }

  /** What Redis may have lost (a restart without persistence): re-enqueued from Postgres, with the same job ids. */
  async sweep(): Promise<number> {
    const overdue = await this.deliveries.overdue(this.config.notificationRedeliveryAfterSeconds, SWEEP_BATCH);
    for (const delivery of overdue.queued) await this.enqueueDelivery(delivery);
    return overdue.queued.length + (await this.enqueueOverdue(overdue));
  }

  /**
   * Redis lost its queue (the worker found that at start, or saw its marker vanish): every queued delivery of a
   * pending approval is re-enqueued now, however recent, rather than after NOTIFICATION_REDELIVERY_AFTER_SECONDS,
   * and what else is due is enqueued without the grace. One whose job survived is left alone (`enqueueOnce`); one
   * being sent right now is held off by its claim (`deliver`): nobody gets a second message.
   */
  async catchUp(): Promise<number> {
    let count = await this.enqueueOverdue(await this.deliveries.overdue(0, SWEEP_BATCH));
    let after: string | null = null;
    for (;;) {
      const page = await this.deliveries.queued(after, SWEEP_BATCH);
      for (const delivery of page) if (await this.enqueueDelivery(delivery)) count++;
      if (page.length < SWEEP_BATCH) return count;
      after = page[page.length - 1].id;
    }
  }

  private async enqueueDelivery(delivery: { id: string; agent_id: string; tier: string }): Promise<boolean> {
    return this.queue.enqueueOnce(
      JobName.DeliverNotification,
      { deliveryId: delivery.id, agentId: delivery.agent_id },
      { jobId: jobId.deliver(delivery.id), priority: await this.queue.fairPriority(delivery.tier, delivery.agent_id) },
    );
  }

  /** The plans, reminders, escalations and outcome updates found overdue (the jobs are idempotent, their ids fixed). */
  private async enqueueOverdue(overdue: Awaited<ReturnType<DeliveryRepository['overdue']>>): Promise<number> {
    for (const approval of overdue.unplanned) {
      await this.queue.enqueue(
        JobName.PlanNotifications,
        { approvalId: approval.id, agentId: approval.agent_id },
        { jobId: jobId.plan(approval.id), priority: await this.queue.fairPriority(approval.tier, approval.agent_id) },
      );
    }
    for (const id of overdue.reminders) await this.queue.enqueue(JobName.RemindApproval, { approvalId: id }, { jobId: jobId.remind(id) });
    for (const { id, step } of overdue.escalations)
      await this.queue.enqueue(JobName.EscalateApproval, { approvalId: id, step }, { jobId: jobId.escalate(id, step) });
    for (const id of overdue.outcomes) await this.queue.enqueue(JobName.ShowOutcome, { approvalId: id }, { jobId: jobId.showOutcome(id) });
    return overdue.unplanned.length + overdue.reminders.length + overdue.escalations.length + overdue.outcomes.length;
  }

  /** A person left with no channel that works (every delivery unreachable, gone or failed) brings the escalation forward. */
  private async checkReachable(delivery: DeliveryRecord, approval: ApprovalSummary): Promise<void> {
    if (await this.deliveries.isReachable(delivery.approvalId, delivery.personId)) return;
    await this.planner.escalateEarly({
      id: approval.id,
      agentId: approval.agent_id,
      tier: approval.tier,
      escalationStep: approval.escalation.step,
      escalationSteps: approval.escalation.steps,
    });
  }

  private notification(delivery: DeliveryRecord, person: PersonRecord, approval: ApprovalSummary, previousAttempts: number): Notification {
    return { deliveryId: delivery.id, kind: delivery.kind, previousAttempts, person, approval, externalRef: delivery.externalRef };
  }
}
