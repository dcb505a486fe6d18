import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database, type Tx } from '@countersign/database';
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
  email?: string;
  displayName?: string;
  /** The directory's fields (SCIM): null clears one. */
  userName?: string | null;
  externalId?: string | null;
  managerId?: string | null;
  /** The directory deleted the person (SCIM DELETE): with `status: 'disabled'`, the row stays for the audit log. */
  deletedByDirectory?: true;
}

export interface AddPerson {
  email: string;
  displayName?: string;
  role: Role;
  permissions: string[];
  /** Provisioned by the directory: its fields, and possibly created disabled (SCIM `active: false`). */
  status?: PersonRecord['status'];
  userName?: string;
  externalId?: string;
  managerId?: string;
}

const FIELD_NAMES = { email: 'email', userName: 'userName', externalId: 'externalId' } as const;

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
    const email = normalEmail(input.email);
    if (!ROLES.includes(input.role)) throw new DomainError('invalid_request', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
    validatePatterns(input.permissions, 'permissions');
    return this.database.transaction(async (tx) => {
      await this.refuseTaken(tx, { email, userName: input.userName, externalId: input.externalId }, null);
      if (input.managerId !== undefined) await this.checkManager(tx, input.managerId, null);
      const person = await this.people.insert(tx, {
        email,
        displayName: input.displayName?.trim() || email,
        role: input.role,
        permissions: input.permissions,
        status: input.status ?? 'active',
        userName: input.userName ?? null,
        externalId: input.externalId ?? null,
        managerId: input.managerId ?? null,
      });
      if (!person) throw new DomainError('conflict', `a person with email ${email} already exists`, { field: 'email' });
      const directory = input.userName !== undefined || input.externalId !== undefined || input.managerId !== undefined;
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.PersonCreated,
          subject: { type: 'person', id: person.id },
          data: {
            email,
            role: person.role,
            permissions: person.permissions,
            ...(person.status === 'active' ? {} : { status: person.status }),
            ...(directory ? { user_name: person.userName, external_id: person.externalId, manager_id: person.managerId } : {}),
          },
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
    if (changes.deletedByDirectory && changes.status !== 'disabled')
      throw new DomainError('invalid_request', 'a person the directory deletes is disabled', { field: 'status' });
    const email = changes.email === undefined ? undefined : normalEmail(changes.email);
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
      const profile = {
        email: email ?? current.email,
        displayName: changes.displayName?.trim() || (changes.displayName === undefined ? current.displayName : (email ?? current.email)),
        userName: changes.userName === undefined ? current.userName : changes.userName,
        externalId: changes.externalId === undefined ? current.externalId : changes.externalId,
        managerId: changes.managerId === undefined ? current.managerId : changes.managerId,
        directoryDeletedAt: changes.deletedByDirectory ? (current.directoryDeletedAt ?? new Date()) : current.directoryDeletedAt,
      };
      if (email !== undefined || changes.userName || changes.externalId)
        await this.refuseTaken(tx, { email: profile.email, userName: changes.userName, externalId: changes.externalId }, current.id);
      if (changes.managerId) await this.checkManager(tx, changes.managerId, current.id);
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
      const updated = await this.people.update(tx, current.id, { ...next, ...profile });
      if (!updated) throw new DomainError('conflict', 'another person already has that email, user name or external id');
      const endedSessions = disabling ? await this.sessions.endAllFor(tx, current.id) : 0;
      const deprovisioned = disabling ? await this.deprovisioning.run(tx, actor, updated) : null;
      const profileBefore = profileChanges(current, updated);
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.PersonUpdated,
          subject: { type: 'person', id: current.id },
          data: {
            before: { role: current.role, permissions: current.permissions, status: current.status, ...profileBefore.before },
            after: { ...next, ...profileBefore.after },
            ended_sessions: endedSessions,
            ...(deprovisioned ? { deprovisioned: deprovisioned.summary } : {}),
            ...(changes.deletedByDirectory ? { deleted_by_directory: true } : {}),
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

  /** The directory's view (SCIM): people it has not deleted, optionally filtered by one attribute, a page of them. */
  listForDirectory(query: { userName?: string; externalId?: string; id?: string; offset: number; limit: number }) {
    return this.people.listForDirectory(query);
  }

  private async refuseTaken(
    tx: Tx,
    fields: { email: string; userName?: string | null; externalId?: string | null },
    exceptId: string | null,
  ) {
    const taken = await this.people.takenField(tx, fields, exceptId);
    if (taken) {
      const value = taken === 'email' ? fields.email : fields[taken];
      throw new DomainError('conflict', `another person already has ${FIELD_NAMES[taken]} ${JSON.stringify(value)}`, {
        field: FIELD_NAMES[taken],
      });
    }
  }

  private async checkManager(tx: Tx, managerId: string, personId: string | null): Promise<void> {
    if (managerId === personId) throw new DomainError('invalid_request', 'a person cannot be their own manager', { field: 'manager' });
    if (!(await this.people.existingIds(tx, [managerId])).has(managerId))
      throw new DomainError('invalid_request', `no person ${JSON.stringify(managerId)} to be the manager`, { field: 'manager' });
  }
}

function normalEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new DomainError('invalid_request', `not an email address: ${JSON.stringify(input)}`, { field: 'email' });
  return email;
}

const PROFILE_FIELDS = [
  ['email', 'email'],
  ['displayName', 'display_name'],
  ['userName', 'user_name'],
  ['externalId', 'external_id'],
  ['managerId', 'manager_id'],
] as const;

/** The profile fields that changed, before and after, for the audit event (unchanged ones are left out). */
function profileChanges(before: PersonRecord, after: PersonRecord): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const changed = PROFILE_FIELDS.filter(([field]) => before[field] !== after[field]);
  return {
    before: Object.fromEntries(changed.map(([field, name]) => [name, before[field]])),
    after: Object.fromEntries(changed.map(([field, name]) => [name, after[field]])),
  };
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
