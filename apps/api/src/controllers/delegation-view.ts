import { type CreateDelegationRequest, type Delegation } from '@countersign/contract';
import { type DelegationParty, type DelegationRecord, delegationState, type NewDelegation } from '@countersign/people';

/** A delegation on the wire (libs/contract's `Delegation`). */
export function delegationView(delegation: DelegationRecord, now = new Date()): Delegation {
  const party = (person: DelegationParty) => ({ id: person.id, email: person.email, display_name: person.displayName });
  return {
    id: delegation.id,
    delegator: party(delegation.delegator),
    delegate: party(delegation.delegate),
    starts_at: delegation.startsAt.toISOString(),
    ends_at: delegation.endsAt.toISOString(),
    reason: delegation.reason,
    state: delegationState(delegation, now),
    created_by: delegation.createdBy,
    created_at: delegation.createdAt.toISOString(),
    revoked_at: delegation.revokedAt?.toISOString() ?? null,
  };
}

/** The parsed request as the delegation service takes it. */
export function newDelegation(request: CreateDelegationRequest): NewDelegation {
  return {
    delegate: request.delegate,
    startsAt: request.starts_at === undefined ? undefined : new Date(request.starts_at),
    endsAt: new Date(request.ends_at),
    reason: request.reason,
  };
}
