import { z } from 'zod';
import { DomainError, parseInput } from '@countersign/domain';

/** Every queue and job Countersign runs, with its payload type; the worker registers exactly one handler each. */
export enum QueueName {
  Lifecycle = 'lifecycle',
  Callbacks = 'callbacks',
  Notifications = 'notifications',
  /** The deliveries of agents that are flooding (`isFlooding`), run a few at a time by a worker of their own (ADR 0010). */
  FloodNotifications = 'flood-notifications',
}

export enum JobName {
  ExpireApproval = 'approval.expire',
  SweepExpiredApprovals = 'approval.sweep-expired',
  DeliverCallback = 'approval.callback',
  RemindApproval = 'approval.remind',
  EscalateApproval = 'approval.escalate',
  PlanNotifications = 'notification.plan',
  DeliverNotification = 'notification.deliver',
  ShowOutcome = 'notification.show-outcome',
  /** An approval changed: republish the Slack Home tabs that may list it (each by a `PublishSlackHome`). */
  RefreshSlackHomes = 'slack.home-refresh',
  PublishSlackHome = 'slack.home-publish',
}

export interface JobPayloads {
  [JobName.ExpireApproval]: { approvalId: string };
  [JobName.SweepExpiredApprovals]: Record<string, never>;
  [JobName.DeliverCallback]: { approvalId: string; status: string };
  [JobName.RemindApproval]: { approvalId: string };
  /** `step` is the ladder's step to take (1-based; absent in jobs enqueued before the ladder: step 1). */
  [JobName.EscalateApproval]: { approvalId: string; step?: number; early?: boolean };
  [JobName.PlanNotifications]: { approvalId: string; agentId: string };
  [JobName.DeliverNotification]: { deliveryId: string; agentId: string };
  [JobName.ShowOutcome]: { approvalId: string };
  [JobName.RefreshSlackHomes]: { approvalId: string };
  [JobName.PublishSlackHome]: { personId: string };
}

const approval = z.object({ approvalId: z.string() });

/** Each job's payload schema: the worker parses a job's data with it once, at the job's entry (`parseJobPayload`). */
const JOB_PAYLOAD_SCHEMAS: { [N in JobName]: z.ZodType<JobPayloads[N]> } = {
  [JobName.ExpireApproval]: approval,
  [JobName.SweepExpiredApprovals]: z.record(z.string(), z.never()),
  [JobName.DeliverCallback]: z.object({ approvalId: z.string(), status: z.string() }),
  [JobName.RemindApproval]: approval,
  [JobName.EscalateApproval]: z.object({ approvalId: z.string(), step: z.number().int().min(1).optional(), early: z.boolean().optional() }),
  [JobName.PlanNotifications]: z.object({ approvalId: z.string(), agentId: z.string() }),
  [JobName.DeliverNotification]: z.object({ deliveryId: z.string(), agentId: z.string() }),
  [JobName.ShowOutcome]: approval,
  [JobName.RefreshSlackHomes]: approval,
  [JobName.PublishSlackHome]: z.object({ personId: z.string() }),
};

/**
 * A job's data as its handler takes it. Data that does not fit the job's schema (a job enqueued by another
 * version, or written by hand) is a permanent failure: retrying cannot fix it.
 */
export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayloads[N] {
  try {
    return parseInput(JOB_PAYLOAD_SCHEMAS[name], data);
  } catch (error) {
    if (error instanceof DomainError) throw new PermanentJobError(`job ${name} has a malformed payload: ${error.message}`);
    throw error;
  }
}

export const JOB_QUEUES: Record<JobName, QueueName> = {
  [JobName.ExpireApproval]: QueueName.Lifecycle,
  [JobName.SweepExpiredApprovals]: QueueName.Lifecycle,
  [JobName.DeliverCallback]: QueueName.Callbacks,
  [JobName.RemindApproval]: QueueName.Lifecycle,
  [JobName.EscalateApproval]: QueueName.Lifecycle,
  [JobName.PlanNotifications]: QueueName.Notifications,
  [JobName.DeliverNotification]: QueueName.Notifications,
  [JobName.ShowOutcome]: QueueName.Notifications,
  [JobName.RefreshSlackHomes]: QueueName.Notifications,
  [JobName.PublishSlackHome]: QueueName.Notifications,
};

/**
 * Attempts and backoff per job. Callbacks retry for about an hour (2^12 s total); expiry retries quickly.
 * A notification retries for about four minutes (0.5 s doubling, 9 attempts): past that the person is better
 * served by the reminder or the escalation than by a message arriving late.
 */
export const JOB_RETRY: Record<JobName, { attempts: number; backoffMs: number }> = {
  [JobName.ExpireApproval]: { attempts: 10, backoffMs: 1_000 },
  [JobName.SweepExpiredApprovals]: { attempts: 1, backoffMs: 0 },
  [JobName.DeliverCallback]: { attempts: 12, backoffMs: 2_000 },
  [JobName.RemindApproval]: { attempts: 10, backoffMs: 1_000 },
  [JobName.EscalateApproval]: { attempts: 10, backoffMs: 1_000 },
  [JobName.PlanNotifications]: { attempts: 10, backoffMs: 500 },
  [JobName.DeliverNotification]: { attempts: 9, backoffMs: 500 },
  [JobName.ShowOutcome]: { attempts: 10, backoffMs: 1_000 },
  [JobName.RefreshSlackHomes]: { attempts: 5, backoffMs: 1_000 },
  [JobName.PublishSlackHome]: { attempts: 5, backoffMs: 1_000 },
};

/** Fixed job ids make enqueueing idempotent: the same fact never becomes two jobs. */
export const jobId = {
  // BullMQ forbids ':' in custom ids (it is its key separator).
  expire: (approvalId: string) => `expire-${approvalId}`,
  callback: (approvalId: string, status: string) => `callback-${approvalId}-${status}`,
  remind: (approvalId: string) => `remind-${approvalId}`,
  /** Step `step` of the escalation ladder, at its time: each step is one job, claimed once in Postgres. */
  escalate: (approvalId: string, step: number) => `escalate-${approvalId}-${step}`,
  /** A step brought forward because an approver has no reachable channel (its scheduled job stays, then a no-op). */
  escalateEarly: (approvalId: string, step: number) => `escalate-early-${approvalId}-${step}`,
  plan: (approvalId: string) => `plan-${approvalId}`,
  /** A delivery row is one approval × person × channel × kind, so its id is that job's fixed id. */
  deliver: (deliveryId: string) => `deliver-${deliveryId}`,
  showOutcome: (approvalId: string) => `outcome-${approvalId}`,
  /** One per state of the approval that changes whose inbox lists it: its status and the escalation steps taken. */
  refreshSlackHomes: (approvalId: string, status: string, escalationStep: number) => `homes-${approvalId}-${status}-${escalationStep}`,
  /**
   * One per person per window: the changes of a window share the job that runs at its end (and reads the inbox
   * then). A fixed id per person would not do: completed jobs keep their id for a day.
   */
  publishSlackHome: (personId: string, window: number) => `home-${personId}-${window}`,
};

/** Home tab republishes of one person within this window (ms) are one job, run at the window's end. */
export const SLACK_HOME_WINDOW_MS = 2_000;
/**
 * After every delivery: the start of a fifth band, past the lowest tier's (BullMQ allows up to 2^21). A Home tab
 * can wait; and at a band's start, `isFlooding` does not take it for a flood.
 */
export const SLACK_HOME_PRIORITY = 2_000_001;

/** A failure that retrying cannot fix (bad URL, gone row): the processor stops retrying. */
export class PermanentJobError extends Error {}

/** The other side asked us to come back later (HTTP 429 Retry-After): the job is delayed without using an attempt. */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** Tiers in delivery order when the queue is backed up: a critical request's notification goes first. */
const TIER_BAND: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const BAND_WIDTH = 500_000;
/**
 * Per-agent fairness, start-time fair queueing on Redis's clock: every notification job an agent enqueues costs
 * it this much virtual time. An agent enqueueing slower than one job per cost (50 a second: far beyond what people
 * can answer, so an agent above it is flooding them) stays at "now"; one enqueueing faster runs ahead of the clock
 * by a growing lead. It was 10 ms (100 a second): with planning at intake an approval is one job, and an agent
 * flooding at 100 approvals a second never counted as flooding (the benchmark's flooder waited no longer than anyone).
 */
export const FAIRNESS_COST_MS = 20;
/**
 * A lead up to this is a burst, not a flood: those jobs stay first in, first out with everyone else's. Without it
 * the few jobs an ordinary agent sends close together (a lead of 20-40 ms) would sort behind every later job of
 * every other agent, and starve while the queue stays busy. A dozen jobs at once fit; a flood's jobs fall behind
 * everyone else's after a quarter of a second.
 */
export const FAIRNESS_GRACE_MS = 250;

/**
 * BullMQ priority (lower runs first, at most 2^21; equal priorities run in the order they were added): the tier
 * picks the band; within it, everyone within the grace shares the band's first priority (FIFO), and a flooding
 * agent's jobs come after them, ordered by its lead, which only grows while it keeps flooding.
 */
export function notificationPriority(tier: string, leadMs: number): number {
  const band = TIER_BAND[tier] ?? 0;
  const lead = Math.floor(leadMs);
  return 1 + band * BAND_WIDTH + (lead <= FAIRNESS_GRACE_MS ? 0 : Math.min(lead - FAIRNESS_GRACE_MS, BAND_WIDTH - 1));
}

/**
 * Whether a notification job's priority says its agent was flooding when it was enqueued (its lead was beyond the
 * grace): the worker runs only a few of those at once, so a flood's deliveries cannot take the CPU everyone
 * else's need (ADR 0009).
 */
export function isFlooding(priority: number | undefined): boolean {
  return priority !== undefined && priority > 0 && (priority - 1) % BAND_WIDTH > 0;
}

/**
 * Where a job goes, and with which priority. A flooding agent's deliveries go to a queue of their own, which each
 * worker runs WORKER_FLOODING_CONCURRENCY at a time: they cannot take the CPU everyone else's deliveries need, nor,
 * waiting their turn, the slots of the ordinary queue (ADR 0010). There they keep their tier's band but not their
 * lead, so they run first in, first out: by lead, an agent that slowed down (its lead shrinking) had its newest
 * jobs run before its oldest, which waited for as long as it kept sending.
 */
export function route(name: JobName, priority: number | undefined): { queue: QueueName; priority: number | undefined } {
  if (name !== JobName.DeliverNotification || priority === undefined || !isFlooding(priority)) return { queue: JOB_QUEUES[name], priority };
  return { queue: QueueName.FloodNotifications, priority: priority - ((priority - 1) % BAND_WIDTH) };
}

/** The queues a job of this name can be in. */
export function queuesOf(name: JobName): QueueName[] {
  return name === JobName.DeliverNotification ? [QueueName.Notifications, QueueName.FloodNotifications] : [JOB_QUEUES[name]];
}

/**
 * How long after it was enqueued a job of the flood queue is starting (ms): the backlog the floods have built.
 * Zero for a job started before (a retry after its backoff or the channel's Retry-After, or a run again after a
 * worker died): that wait is not a backlog (ADR 0010). `attemptsStarted` counts this start. Only the flood queue's
 * jobs are measured, so a slow or failing channel never holds back an agent that is not flooding.
 */
export function floodLagMs(job: { attemptsStarted: number; enqueuedAt: number }, now: number): number {
  if (job.attemptsStarted > 1) return 0;
  return Math.max(0, now - job.enqueuedAt);
}
