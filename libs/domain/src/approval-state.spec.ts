import { isFinal, nextStatus, type ApprovalEvent, type ApprovalStatus } from './approval-state';
import { DomainError } from './errors';

describe('approval state machine', () => {
  it.each<[ApprovalEvent, ApprovalStatus]>([
    ['approve', 'approved'],
    ['deny', 'denied'],
    ['expire', 'expired'],
    ['cancel', 'cancelled'],
  ])('pending + %s -> %s', (event, status) => {
    expect(nextStatus('pending', event)).toBe(status);
  });

  const finals: ApprovalStatus[] = ['approved', 'denied', 'expired', 'cancelled'];
  const events: ApprovalEvent[] = ['approve', 'deny', 'expire', 'cancel'];
  it.each(finals.flatMap((status) => events.map((event) => [status, event] as const)))('%s cannot %s', (status, event) => {
    let thrown: unknown;
    try {
      nextStatus(status, event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('invalid_transition');
    expect((thrown as DomainError).details).toEqual({ current: status, event });
  });

  it('knows which statuses are final', () => {
    expect(isFinal('pending')).toBe(false);
    expect(finals.every(isFinal)).toBe(true);
  });

  it('keeps expiry distinct from denial', () => {
    expect(nextStatus('pending', 'expire')).not.toBe(nextStatus('pending', 'deny'));
  });
});
