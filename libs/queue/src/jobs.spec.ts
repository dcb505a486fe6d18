import {
  FAIRNESS_GRACE_MS,
  floodLagMs,
  isFlooding,
  JobName,
  notificationPriority,
  parseJobPayload,
  PermanentJobError,
  QueueName,
  route,
} from './jobs';

describe('notificationPriority', () => {
  it('puts every critical job before any high one, high before medium, medium before low', () => {
    const worstCritical = notificationPriority('critical', 10 ** 9);
    const bestHigh = notificationPriority('high', 0);
    expect(worstCritical).toBeLessThan(bestHigh);
    expect(notificationPriority('high', 10 ** 9)).toBeLessThan(notificationPriority('medium', 0));
    expect(notificationPriority('medium', 10 ** 9)).toBeLessThan(notificationPriority('low', 0));
  });

  it('keeps bursts within the grace first in, first out, and orders floods by lead after them', () => {
    const base = notificationPriority('medium', 0);
    expect(notificationPriority('medium', 15)).toBe(base);
    expect(notificationPriority('medium', FAIRNESS_GRACE_MS)).toBe(base);
    expect(notificationPriority('medium', FAIRNESS_GRACE_MS + 1)).toBeGreaterThan(base);
    expect(notificationPriority('medium', FAIRNESS_GRACE_MS + 500)).toBeGreaterThan(notificationPriority('medium', FAIRNESS_GRACE_MS + 1));
  });

  it("stays within BullMQ's range and treats a negative or fractional lead sanely", () => {
    expect(notificationPriority('medium', -50)).toBe(notificationPriority('medium', 0));
    expect(notificationPriority('medium', FAIRNESS_GRACE_MS + 12.9)).toBe(notificationPriority('medium', FAIRNESS_GRACE_MS + 12));
    expect(notificationPriority('low', Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(2 ** 21);
    expect(notificationPriority('critical', 0)).toBeGreaterThanOrEqual(1);
  });

  it('puts an unknown tier first rather than last (fail towards reaching people)', () => {
    expect(notificationPriority('made-up', 0)).toBe(notificationPriority('critical', 0));
  });

  it("tells a flooding agent's jobs from everyone else's, in every tier", () => {
    for (const tier of ['critical', 'high', 'medium', 'low']) {
      expect(isFlooding(notificationPriority(tier, 0))).toBe(false);
      expect(isFlooding(notificationPriority(tier, FAIRNESS_GRACE_MS))).toBe(false);
      expect(isFlooding(notificationPriority(tier, FAIRNESS_GRACE_MS + 1))).toBe(true);
      expect(isFlooding(notificationPriority(tier, 10 ** 9))).toBe(true);
    }
    // Jobs enqueued without a priority (the sweep's reminders, escalations) are nobody's flood.
    expect(isFlooding(undefined)).toBe(false);
  });
});

describe('route', () => {
  const flooding = (tier: string, lead: number) => route(JobName.DeliverNotification, notificationPriority(tier, FAIRNESS_GRACE_MS + lead));

  it("sends a flooding agent's deliveries to the flood queue, first in, first out within their tier", () => {
    expect(flooding('medium', 10).queue).toBe(QueueName.FloodNotifications);
    // Leads differ, priorities do not: the flood queue runs them in the order they came.
    expect(flooding('medium', 10).priority).toBe(flooding('medium', 90_000).priority);
    expect(flooding('medium', 10).priority).toBe(notificationPriority('medium', 0));
    // The tier still goes first.
    expect(flooding('critical', 90_000).priority).toBeLessThan(flooding('low', 10).priority!);
  });

  it("leaves everyone else's jobs in their queue with their priority", () => {
    const calm = notificationPriority('high', FAIRNESS_GRACE_MS);
    expect(route(JobName.DeliverNotification, calm)).toEqual({ queue: QueueName.Notifications, priority: calm });
    expect(route(JobName.DeliverNotification, undefined)).toEqual({ queue: QueueName.Notifications, priority: undefined });
    // Only deliveries are routed by flood: a plan job of a flooding agent stays where plan jobs run.
    const flood = notificationPriority('medium', FAIRNESS_GRACE_MS + 500);
    expect(route(JobName.PlanNotifications, flood)).toEqual({ queue: QueueName.Notifications, priority: flood });
  });
});

describe('floodLagMs', () => {
  it('is how long a job waited to start the first time', () => {
    expect(floodLagMs({ attemptsStarted: 1, enqueuedAt: 1_000 }, 4_500)).toBe(3_500);
  });

  it("is zero for a job started before: its wait was a backoff, a Retry-After or a dead worker's lock", () => {
    expect(floodLagMs({ attemptsStarted: 2, enqueuedAt: 1_000 }, 60_000)).toBe(0);
  });

  it('is never negative when the clocks of the enqueuing and the running process disagree', () => {
    expect(floodLagMs({ attemptsStarted: 1, enqueuedAt: 5_000 }, 4_000)).toBe(0);
  });
});

describe('parseJobPayload (a job parsed once, at its entry)', () => {
  it("returns the job's typed payload", () => {
    expect(parseJobPayload(JobName.DeliverCallback, { approvalId: 'a', status: 'approved' })).toEqual({
      approvalId: 'a',
      status: 'approved',
    });
    expect(parseJobPayload(JobName.SweepExpiredApprovals, {})).toEqual({});
  });

  it('fails a malformed payload permanently, naming the field', () => {
    expect(() => parseJobPayload(JobName.DeliverNotification, { deliveryId: 'd' })).toThrow(PermanentJobError);
    expect(() => parseJobPayload(JobName.DeliverNotification, { deliveryId: 'd' })).toThrow(
      'job notification.deliver has a malformed payload: /agentId: is required',
    );
    expect(() => parseJobPayload(JobName.ExpireApproval, null)).toThrow(PermanentJobError);
  });
});
