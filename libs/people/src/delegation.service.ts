import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database, type Tx } from '@countersign/database';
import { DomainError, MAX_DELEGATION_DAYS } from '@countersign/domain';
import { type DelegationInForce, type DelegationRecord, DelegationsRepository } from './delegations.repository';
import { PeopleRepository, type PersonRecord } from './people.repository';

const DAY_MS = 86_400_000;
/** A start this far in the past is taken as "now" (a client's clock); further back is refused. */
const START_SKEW_MS = 5 * 60_000;
const LIST_LIMIT = 200;

/** A delegation to create, parsed at the transport (`CreateDelegationRequest`). */
export interface NewDelegation {
  /** The delegate: a person's id or email. */
  delegate: string;
  startsAt?: Date;
  endsAt: Date;
  reason?: string;
}

/**
 * Delegation and absence (docs/adr/0018-groups-and-delegation.md): a person hands their approvals to another enabled
 * person for a bounded period, or an admin does it for them; either party (or an admin) can end it early. Whether it
 * is in force is read when someone decides: ended or revoked delegations stop at once, without a job.
 */
@Injectable()
export class DelegationService {
  constructor(
    private readonly database: Database,
    private readonly delegations: DelegationsRepository,
    private readonly people: PeopleRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, delegatorId: string, input: NewDelegation, now = new Date()): Promise<DelegationRecord> {
    const delegator = await this.people.findByReference(delegatorId);
    if (!delegator) throw new DomainError('not_found', `no person ${JSON.stringify(delegatorId)}`);
    if (delegator.status !== 'active')
      throw new DomainError('conflict', `${delegator.email} is disabled: a disabled person has no approvals to delegate`);
    const delegate = await this.enabledDelegate(input.delegate, delegator);
    const startsAt = input.startsAt && input.startsAt.getTime() > now.getTime() ? input.startsAt : now;
    if (input.startsAt && input.startsAt.getTime() < now.getTime() - START_SKEW_MS)
      throw new DomainError('invalid_request', 'starts_at is in the past: a delegation starts now or later', { field: 'starts_at' });
    if (input.endsAt.getTime() <= startsAt.getTime())
      throw new DomainError('invalid_request', 'ends_at must be after the start', { field: 'ends_at' });
    if (input.endsAt.getTime() - startsAt.getTime() > MAX_DELEGATION_DAYS * DAY_MS)
      throw new DomainError('invalid_request', `a delegation lasts at most ${MAX_DELEGATION_DAYS} days`, { field: 'ends_at' });
    const reason = input.reason?.trim() || null;
    return this.database.transaction(async (tx) => {
      const id = await this.delegations.insert(tx, {
        delegatorId: delegator.id,
        delegateId: delegate.id,
        startsAt,
        endsAt: input.endsAt,
        reason,
        createdBy: actorLabel(actor),
      });
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.DelegationCreated,
          subject: { type: 'delegation', id },
          data: {
            delegator: delegator.id,
            delegate: delegate.id,
            starts_at: startsAt.toISOString(),
            ends_at: input.endsAt.toISOString(),
            reason,
          },
        },
      ]);
      return (await this.delegations.find(tx, id))!;
    });
  }

  /**
   * Ends a delegation now. `personId` set: only its delegator or its delegate may (anyone else gets not_found, as if
   * it did not exist); unset: an admin. Revoking one already revoked is a conflict; one already over is just ended.
   */
  async revoke(actor: Actor, id: string, personId?: string): Promise<DelegationRecord> {
    const found = UUID.test(id) ? await this.delegations.find(undefined, id) : null;
    if (!found || (personId !== undefined && found.delegator.id !== personId && found.delegate.id !== personId))
      throw new DomainError('not_found', 'no such delegation');
    return this.database.transaction(async (tx) => {
      const revokedAt = await this.delegations.revoke(tx, id, actorLabel(actor));
      if (!revokedAt) throw new DomainError('conflict', 'the delegation is already revoked');
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.DelegationRevoked,
          subject: { type: 'delegation', id },
          data: { delegator: found.delegator.id, delegate: found.delegate.id, ends_at: found.endsAt.toISOString() },
        },
      ]);
      return (await this.delegations.find(tx, id))!;
    });
  }

  /** The person's delegations, given and held, newest first. */
  async list(personId: string): Promise<DelegationRecord[]> {
    const person = await this.people.findByReference(personId);
    if (!person) throw new DomainError('not_found', `no person ${JSON.stringify(personId)}`);
    return this.delegations.of(person.id, LIST_LIMIT);
  }

  /** The delegations to this person in force now, read in the caller's transaction (a decision's). */
  inForceTo(tx: Tx | undefined, delegateId: string): Promise<DelegationInForce[]> {
    return this.delegations.inForceTo(tx, delegateId);
  }

  private async enabledDelegate(reference: string, delegator: PersonRecord): Promise<PersonRecord> {
    const delegate = await this.people.findByReference(reference.trim());
    if (!delegate || delegate.status !== 'active')
      throw new DomainError('invalid_request', `delegate names no enabled person: ${JSON.stringify(reference)}`, { field: 'delegate' });
    if (delegate.id === delegator.id)
      throw new DomainError('invalid_request', 'a person cannot delegate to themselves', { field: 'delegate' });
    return delegate;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function actorLabel(actor: Actor): string {
  return actor.id ? `${actor.type}:${actor.id}` : actor.type;
}

/** Where a delegation stands at `now`. */
export function delegationState(delegation: Pick<DelegationRecord, 'startsAt' | 'endsAt' | 'revokedAt'>, now = new Date()) {
  if (delegation.revokedAt) return 'revoked' as const;
  if (delegation.endsAt.getTime() <= now.getTime()) return 'ended' as const;
  if (delegation.startsAt.getTime() > now.getTime()) return 'scheduled' as const;
  return 'active' as const;
}
