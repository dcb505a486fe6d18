import { type Person } from '@countersign/contract';
import { type PersonRecord } from '@countersign/people';

/** A person on the wire (libs/contract's `Person`). */
export type PersonView = Person;

export function personView(person: PersonRecord): PersonView {
  return {
    id: person.id,
    email: person.email,
    display_name: person.displayName,
    role: person.role,
    permissions: person.permissions,
    status: person.status,
    created_at: person.createdAt.toISOString(),
  };
}
