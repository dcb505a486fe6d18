import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { Database } from '@countersign/database';
import { escalationLadder, type EscalationStep, nextStatus, type Requirement } from '@countersign/domain';
import { Metrics } from '@countersign/observability';
import { jobId, JobName, QueueService } from '@countersign/queue';
import { ApprovalEscalation, type EscalationStepTaken, type StepTaken } from './approval-escalation';
import { ApprovalEvents } from './approval-events';
import { type LiveEventName, LiveEvents } from './live-events';
import { ApprovalRepository, type ApprovalRecord } from './approval.repository';

const SWEEP_BATCH = 500;

/**
 * Reaches the approvers of a new pending approval right after intake; must be idempotent (the sweep may redo it).
 * The channels library provides it (approvals cannot import channels); where channels are not loaded (the CLI),
 * a plan job is enqueued for the worker instead.
 */
export interface ApprovalOutreach {
  planNew(approval: ApprovalRecord): Promise<void>;
  /** Reaches the approvers an escalation step added, on the step's channels (nobody already notified again). */
  planEscalation(taken: EscalationStepTaken): Promise<void>;
}

export const APPROVAL_OUTREACH = Symbol('APPROVAL_OUTREACH');

/**
 * Told, after the commit, of every change to who has an approval waiting (created, escalated, final): the live
 * events' moment. The channels library provides it (Slack Home tabs); it must not throw or keep the caller waiting.
 */
export interface ApprovalWatcher {
  approvalChanged(approval: ApprovalRecord): void;
}

export const APPROVAL_WATCHER = Symbol('APPROVAL_WATCHER');

/** How long a request waits for its follow-up enqueues before answering anyway (Postgres already has the truth). */
const FOLLOW_UP_WAIT_MS = 2_000;

/** Status changes that do not come from a person: expiry and cancellation, plus what follows every change. */
@Injectable()
export class ApprovalLifecycleService {
  private readonly logger = new Logger(ApprovalLifecycleService.name);

  constructor(
    private readonly database: Database,
    private readonly approvals: ApprovalRepository,
    private readonly audit: AuditService,
    private readonly queue: QueueService,
    private readonly events: ApprovalEvents,
    private readonly live: LiveEvents,
    private readonly metrics: Metrics,
    private readonly escalation: ApprovalEscalation,
    @Optional() @Inject(APPROVAL_OUTREACH) private readonly outreach: ApprovalOutreach | null = null,
    @Optional() @Inject(APPROVAL_WATCHER) private readonly watcher: ApprovalWatcher | null = null,
  ) {}

  /**
   * After the transaction that set the status has committed: count it, wake long-polls, schedule the expiry of a
   * pending approval or the callback of a final one. Postgres already holds the truth, so a Redis failure here
   * is logged, and the expiry sweeper and lazy expiry on read still end pending approvals on time.
   */
  async afterCommit(approval: ApprovalRecord, options: { created?: boolean } = {}): Promise<void> {
    this.metrics.approvals.inc({ tier: approval.tier, status: approval.status });
    // Nobody can be waiting on an approval that did not exist a moment ago.
    if (!options.created) await this.events.statusChanged(approval.id, approval.status);
    const requirement = approval.requirement;
    const needsPeople = requirement.decision === 'approve';
    this.announce(
      options.created ? 'approval.created' : 'approval.updated',
      approval,
      needsPeople ? [...requirement.approvers, ...(approval.escalatedTo ?? [])] : [],
    );
    const followUps = this.enqueueFollowUps(approval, requirement, needsPeople, options.created === true).then(
      () => 'done' as const,
      (error: Error) => {
        this.logger.error(`could not enqueue follow-up work for approval ${approval.id} (${approval.status}): ${error.message}`);
        return 'done' as const;
      },
    );
    // BullMQ's connection holds commands while Redis is away: the caller (an agent, a person deciding) is not kept
    // waiting for it. The enqueues finish when Redis returns, and the worker's sweeps redo them from Postgres anyway.
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      followUps,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), FOLLOW_UP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (waited === 'timeout')
      this.logger.warn(`follow-up work for approval ${approval.id} waits for Redis; the worker's sweeps redo it from Postgres`);
  }

  private async enqueueFollowUps(
    approval: ApprovalRecord,
    requirement: Requirement,
    needsPeople: boolean,
    created: boolean,
  ): Promise<void> {
    // Independent jobs: sent together, so the request waits for one round trip to Redis rather than one per job.
    const enqueues: Array<Promise<void>> = [];
    if (approval.status === 'pending') {
      enqueues.push(
        this.queue.enqueue(
          JobName.ExpireApproval,
          { approvalId: approval.id },
          { jobId: jobId.expire(approval.id), delayMs: Math.max(0, approval.expiresAt.getTime() - Date.now()) },
        ),
      );
      if (created && needsPeople) enqueues.push(...this.scheduleOutreach(approval, requirement));
    } else {
      if (approval.callbackUrl)
        enqueues.push(
          this.queue.enqueue(
            JobName.DeliverCallback,
            { approvalId: approval.id, status: approval.status },
            { jobId: jobId.callback(approval.id, approval.status) },
          ),
        );
      // Every message about it (Slack DMs) now shows the outcome and who decided.
      if (needsPeople)
        enqueues.push(this.queue.enqueue(JobName.ShowOutcome, { approvalId: approval.id }, { jobId: jobId.showOutcome(approval.id) }));
    }
    await Promise.all(enqueues);
  }

  /**
   * A new pending approval: notify its approvers (one delivery per approver × channel, planned here by the
   * APPROVAL_OUTREACH, else by a plan job), and schedule its reminder and escalation. Postgres records whether
   * each happened, so the worker's sweep redoes any of these that Redis lost.
   */
  private scheduleOutreach(approval: ApprovalRecord, requirement: Requirement): Array<Promise<void>> {
    const outreach = this.outreach;
    const enqueues = [
      outreach
        ? outreach.planNew(approval)
        : this.queue
            .fairPriority(approval.tier, approval.agentId)
            .then((priority) =>
              this.queue.enqueue(
                JobName.PlanNotifications,
                { approvalId: approval.id, agentId: approval.agentId },
                { jobId: jobId.plan(approval.id), priority },
              ),
            ),
    ];
    if (requirement.remind_after_seconds) {
      enqueues.push(
        this.queue.enqueue(
          JobName.RemindApproval,
          { approvalId: approval.id },
          { jobId: jobId.remind(approval.id), delayMs: requirement.remind_after_seconds * 1000 },
        ),
      );
    }
    const firstStep = escalationLadder(requirement)[0];
    if (firstStep !== undefined) enqueues.push(this.scheduleEscalationStep(approval, 1, firstStep));
    return enqueues;
  }

  /** Every change people may see, in one place: their screens (live events) and the watcher (Slack Home tabs). */
  private announce(event: LiveEventName, approval: ApprovalRecord, entries: readonly string[]): void {
    this.live.emit(event, approval, entries);
    if (entries.length > 0) this.watcher?.approvalChanged(approval);
  }

  /** Ends a pending approval whose expiry has passed; a no-op for any other approval (safe to run twice). */
  async expire(approvalId: string): Promise<ApprovalRecord | null> {
    return this.finish(SYSTEM, approvalId, 'expire', 'expired before a decision', true);
  }

  async cancel(actor: Actor, approvalId: string, reason: string): Promise<ApprovalRecord | null> {
    return this.finish(actor, approvalId, 'cancel', reason, false);
  }

  /** Once per approval, after `remind_after`: true for the one caller that may send the reminder (audited). */
  async claimReminder(approvalId: string): Promise<boolean> {
    if (!(await this.approvals.claimReminder(approvalId))) return false;
    await this.audit.record(SYSTEM, [{ type: AuditEventType.ApprovalReminded, subject: { type: 'approval', id: approvalId } }]);
    return true;
  }

  /**
   * Step `step` (1-based) of the approval's escalation ladder, exactly once: its entries become eligible (`group:`
   * members snapshotted, `manager` resolved to the on-behalf-of person's enabled manager as `person:<id>`), audited
   * with what they resolved to; then the added approvers are reached on the step's channels and the next step is
   * scheduled. `early` marks a step brought forward (nobody reachable, an approver disabled). Null when the step
   * was taken already, the step before it was not, there is no such step, or the approval is final or expired.
   */
  async escalate(approvalId: string, step: number, options: { early?: boolean } = {}): Promise<EscalationStepTaken | null> {
    const taken = await this.database.transaction((tx) => this.escalation.takeStep(tx, SYSTEM, approvalId, step, options));
    if (!taken) return null;
    await this.afterEscalationStep(taken);
    return { approval: taken.approval, step: taken.step, added: taken.added, channels: taken.channels, people: taken.people };
  }

  /** After a step's commit: the added approvers' screens, their messages on the step's channels, the next step's job. */
  async afterEscalationStep(taken: StepTaken): Promise<void> {
    const { next, ...result } = taken;
    const approvalId = result.approval.id;
    const step = result.step;
    this.logger.log(`approval ${approvalId} escalation step ${step}: added ${result.added.join(', ') || 'nobody'}`);
    // The added approvers' screens, including group members and the manager by their own rooms.
    this.announce('approval.created', result.approval, [...result.added, ...result.people.map((id) => `person:${id}`)]);
    if (this.outreach) await this.outreach.planEscalation(result);
    else
      await this.queue.enqueue(
        JobName.PlanNotifications,
        { approvalId, agentId: result.approval.agentId },
        { jobId: jobId.plan(`${approvalId}-${step}`) },
      );
    if (next !== undefined) await this.scheduleEscalationStep(result.approval, step + 1, next);
  }

  /**
   * Brings the approval's next escalation step forward to now (for a caller that knows its approvers cannot act,
   * e.g. one was disabled). Null when there is no step left, or the approval is no longer pending: the caller
   * decides what then (let it expire, say so).
   */
  async escalateNow(approvalId: string): Promise<EscalationStepTaken | null> {
    const approval = await this.approvals.findById(approvalId);
    if (!approval || approval.status !== 'pending') return null;
    return this.escalate(approvalId, approval.escalationStep + 1, { early: true });
  }

  /** The step's job, due `after_seconds` after the request (at once if that has passed); its id is fixed per step. */
  private scheduleEscalationStep(approval: ApprovalRecord, step: number, rung: EscalationStep): Promise<void> {
    const dueAt = approval.createdAt.getTime() + rung.after_seconds * 1000;
    return this.queue.enqueue(
      JobName.EscalateApproval,
      { approvalId: approval.id, step },
      { jobId: jobId.escalate(approval.id, step), delayMs: Math.max(0, dueAt - Date.now()) },
    );
  }

  /** Every message sent about the final approval now shows its outcome (the channels' showOutcome is done). */
  markMessagesUpdated(approvalId: string): Promise<void> {
    return this.approvals.markMessagesUpdated(approvalId);
  }

  /** Expires every due approval; run periodically and at worker start, since Redis keeps no delayed jobs for sure. */
  async sweepExpired(): Promise<number> {
    let expired = 0;
    for (;;) {
      const due = await this.approvals.duePendingIds(SWEEP_BATCH);
      for (const id of due) if (await this.expire(id)) expired++;
      if (due.length < SWEEP_BATCH) return expired;
    }
  }

  private async finish(
    actor: Actor,
    approvalId: string,
    event: 'expire' | 'cancel',
    reason: string,
    onlyIfDue: boolean,
  ): Promise<ApprovalRecord | null> {
    const to = nextStatus('pending', event);
    const changed = await this.database.transaction(async (tx) => {
      const row = await this.approvals.transitionFromPending(tx, approvalId, to, reason, onlyIfDue);
      if (!row) return null;
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.ApprovalStatusChanged,
          subject: { type: 'approval', id: approvalId },
          data: { from: 'pending', to, reason },
        },
      ]);
      return row;
    });
    if (changed) await this.afterCommit(changed);
    return changed;
  }
}
