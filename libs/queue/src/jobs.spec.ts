import { notificationPriority } from './jobs';

describe('notificationPriority', () => {
  it('puts every critical job before any high one, high before medium, medium before low', () => {
    const worstCritical = notificationPriority('critical', 10 ** 9);
    const bestHigh = notificationPriority('high', 0);
    expect(worstCritical).toBeLessThan(bestHigh);
    expect(notificationPriority('high', 10 ** 9)).toBeLessThan(notificationPriority('medium', 0));
    expect(notificationPriority('medium', 10 ** 9)).toBeLessThan(notificationPriority('low', 0));
  });

  it('orders by lead within a tier, stays within BullMQ\'s range, and treats a negative or fractional lead sanely', () => {
    expect(notificationPriority('medium', 0)).toBeLessThan(notificationPriority('medium', 1));
    expect(notificationPriority('medium', -50)).toBe(notificationPriority('medium', 0));
    expect(notificationPriority('medium', 12.9)).toBe(notificationPriority('medium', 12));
    expect(notificationPriority('low', Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(2 ** 21);
    expect(notificationPriority('critical', 0)).toBeGreaterThanOrEqual(1);
  });

  it('puts an unknown tier first rather than last (fail towards reaching people)', () => {
    expect(notificationPriority('made-up', 0)).toBe(notificationPriority('critical', 0));
  });
});
