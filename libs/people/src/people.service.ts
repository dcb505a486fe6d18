import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { Deprovisioning } from './deprovisioning';
import { PeopleRepository, type PersonRecord } from './people.repository';
import { SessionRepository } from './session.repository';

export const ROLES = ['admin', 'approver', 'member'] as const;
export type Role = (typeof ROLES)[number];

export interface PersonChanges {
  role?: Role;
  permissions?: string[];
  status?: PersonRecord['status'];
}

export interface AddPerson {
  email: string;
  displayName?: string;
  role: Role;
  permissions: string[];
}

// Deliberately loose: the address only has to be unambiguous, delivery is the channels' business.
const ACTION_PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

@Injectable()
export class PeopleService {
  constructor(
    private readonly database: Database,
    private readonly people: PeopleRepository,
    private readonly audit: AuditService,
    private readonly sessions: SessionRepository,
    private readonly deprovisioning: Deprovisioning,
  ) {}

  async add(actor: Actor, input: AddPerson): Promise<PersonRecord> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email))
      throw new DomainError('invalid_request', `not an email address: ${JSON.stringify(input.email)}`, { field: 'email' });
    if (!ROLES.includes(input.role)) throw new DomainError('invalid_request', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
    validatePatterns(input.permissions, 'permissions');
    return this.database.transaction(async (tx) => {
      const person = await this.people.insert(tx, {
        email,
        displayName: input.displayName?.trim() || email,
        role: input.role,
        permissions: input.permissions,
      });
      if (!person) throw new DomainError('conflict', `a person with email ${email} already exists`, { field: 'email' });
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.PersonCreated,
          subject: { type: 'person', id: person.id },
          data: { email, role: person.role, permissions: person.permissions },
        },
      ]);
      return person;
    });
  }

  /**
   * Changes role, permissions or status. A change that would leave no enabled admin is refused (`last_admin`).
   * Disabling is deprovisioning, whoever asks (admin API, CLI, SCIM), in the same transaction: every session ends,
   * and each registered part (`Deprovisioning`) takes away what the person held: push subscriptions and Slack link,
   * decisions on pending approvals, approvals left without anyone to decide them, their agents' requests and
   * unconsumed tokens (docs/adr/0020-deprovisioning.md). Run again on a disabled person, it finishes what a crash
   * left undone. Re-enabling restores none of it.
   */
  async update(actor: Actor, reference: string, changes: PersonChanges): Promise<PersonRecord> {
    if (changes.role !== undefined && !ROLES.includes(changes.role))
      throw new DomainError('invalid_request', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
    if (changes.permissions !== undefined) validatePatterns(changes.permissions, 'permissions');
    if (changes.status !== undefined && changes.status !== 'active' && changes.status !== 'disabled')
      throw new DomainError('invalid_request', 'status must be active or disabled', { field: 'status' });
    const found = await this.people.findByReference(reference);
    if (!found) throw new DomainError('not_found', `no person ${JSON.stringify(reference)}`);
    const disabling = changes.status === 'disabled';
    if (disabling) this.deprovisioning.assertComplete();
    const { updated, afterCommit } = await this.database.transaction(async (tx) => {
      const mayRemoveAnAdmin = changes.status === 'disabled' || (changes.role !== undefined && changes.role !== 'admin');
      if (mayRemoveAnAdmin) await this.people.lockAdminSet(tx);
      const current = (await this.people.lockForUpdate(tx, found.id))!;
      const next = {
        role: changes.role ?? current.role,
        permissions: changes.permissions ?? current.permissions,
        status: changes.status ?? current.status,
      };
      const wasEnabledAdmin = current.role === 'admin' && current.status === 'active';
      if (
        wasEnabledAdmin &&
        !(next.role === 'admin' && next.status === 'active') &&
        (await this.people.countOtherEnabledAdmins(tx, current.id)) === 0
      ) {
        // Whoever asks (an admin, the admin token, the CLI): with no enabled admin left nobody could run the console.
        throw new DomainError('last_admin', `${current.email} is the last enabled admin; make another admin first`, {
          field: next.status === 'active' ? 'role' : 'status',
        });
      }
      const updated = await this.people.update(tx, current.id, next);
      const endedSessions = disabling ? await this.sessions.endAllFor(tx, current.id) : 0;
      const deprovisioned = disabling ? await this.deprovisioning.run(tx, actor, updated) : null;
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.PersonUpdated,
          subject: { type: 'person', id: current.id },
          data: {
            before: { role: current.role, permissions: current.permissions, status: current.status },
            after: next,
            ended_sessions: endedSessions,
            ...(deprovisioned ? { deprovisioned: deprovisioned.summary } : {}),
          },
        },
      ]);
      return { updated, afterCommit: deprovisioned?.afterCommit };
    });
    if (afterCommit) await afterCommit();
    return updated;
  }

  async find(reference: string): Promise<PersonRecord | null> {
    return this.people.findByReference(reference);
  }

  /** The person an agent names in `on_behalf_of`, if they exist and are enabled. */
  async findActive(reference: string): Promise<PersonRecord | null> {
    const person = await this.people.findByReference(reference);
    return person?.status === 'active' ? person : null;
  }

  list(): Promise<PersonRecord[]> {
    return this.people.list();
  }
}

/** Capability and permission lists are action-type patterns; a bad one is refused before it is stored. */
export function validatePatterns(patterns: string[], field: string): void {
  for (const pattern of patterns) {
    if (!ACTION_PATTERN.test(pattern)) {
      throw new DomainError(
        'invalid_request',
        `${field}: ${JSON.stringify(pattern)} is not an action pattern like "email.*" or "payments.transfer"`,
        { field },
      );
    }
  }
}
