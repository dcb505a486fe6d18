import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { PeopleRepository, type PersonRecord } from './people.repository';

export const ROLES = ['admin', 'approver', 'member'] as const;
export type Role = (typeof ROLES)[number];

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
  ) {}

  async add(actor: Actor, input: AddPerson): Promise<PersonRecord> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw new DomainError('invalid_request', `not an email address: ${JSON.stringify(input.email)}`, { field: 'email' });
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
        { type: AuditEventType.PersonCreated, subject: { type: 'person', id: person.id }, data: { email, role: person.role, permissions: person.permissions } },
      ]);
      return person;
    });
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
      throw new DomainError('invalid_request', `${field}: ${JSON.stringify(pattern)} is not an action pattern like "email.*" or "payments.transfer"`, { field });
    }
  }
}
