import { FAIRNESS_GRACE_MS, isFlooding, notificationPriority } from './jobs';

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

  it('stays within BullMQ\'s range and treats a negative or fractional lead sanely', () => {
    expect(notificationPriority('medium', -50)).toBe(notificationPriority('medium', 0));
    expect(notificationPriority('medium', FAIRNESS_GRACE_MS + 12.9)).toBe(notificationPriority('medium', FAIRNESS_GRACE_MS + 12));
    expect(notificationPriority('low', Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(2 ** 21);
    expect(notificationPriority('critical', 0)).toBeGreaterThanOrEqual(1);
  });

  it('puts an unknown tier first rather than last (fail towards reaching people)', () => {
    expect(notificationPriority('made-up', 0)).toBe(notificationPriority('critical', 0));
  });

  it('tells a flooding agent\'s jobs from everyone else\'s, in every tier', () => {
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
