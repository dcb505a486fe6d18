import { DomainError } from './errors';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
export type ApprovalEvent = 'approve' | 'deny' | 'expire' | 'cancel';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'cancelled'];

/** Only a pending approval moves; every outcome is final, and expiry stays distinct from denial. */
export function nextStatus(current: ApprovalStatus, event: ApprovalEvent): ApprovalStatus {
  if (current !== 'pending') {
    throw new DomainError('invalid_transition', `approval is already ${current}; cannot ${event}`, { current, event });
  }
  switch (event) {
    case 'approve':
      return 'approved';
    case 'deny':
      return 'denied';
    case 'expire':
      return 'expired';
    case 'cancel':
      return 'cancelled';
  }
}

export function isFinal(status: ApprovalStatus): boolean {
  return status !== 'pending';
}
