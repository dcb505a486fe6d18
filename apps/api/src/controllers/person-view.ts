import { type PersonRecord } from '@countersign/people';

export interface PersonView {
  id: string;
  email: string;
  display_name: string;
  role: string;
  permissions: string[];
  status: string;
  created_at: string;
}

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
