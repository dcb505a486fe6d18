import { Injectable } from '@nestjs/common';
import { Database, PersonEntity, postgresErrorCode, type Tx } from '@countersign/database';

export interface PersonRecord {
  id: string;
  email: string;
  displayName: string;
  role: 'admin' | 'approver' | 'member';
  permissions: string[];
  status: 'active' | 'disabled';
  createdAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class PeopleRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the email is taken. */
  async insert(tx: Tx, person: Omit<PersonRecord, 'id' | 'createdAt' | 'status'>): Promise<PersonRecord | null> {
    try {
      const rows = await this.database
        .manager(tx)
        .createQueryBuilder()
        .insert()
        .into(PersonEntity)
        .values(person)
        .returning('*')
        .execute();
      return personFromRow((rows.raw as Record<string, unknown>[])[0]);
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  /** By id (a UUID) or by email, case-insensitively. */
  async findByReference(reference: string): Promise<PersonRecord | null> {
    const builder = this.database.manager().createQueryBuilder(PersonEntity, 'p');
    if (UUID.test(reference)) builder.where('p.id = :id', { id: reference });
    else builder.where('p.email = lower(:email)', { email: reference }); // stored lowercased, so the unique index serves it
    return builder.getOne();
  }

  async list(): Promise<PersonRecord[]> {
    return this.database.manager().find(PersonEntity, { order: { createdAt: 'ASC' } });
  }
}

/** A `people` row as Postgres returns it (snake_case; from RETURNING * or to_jsonb) to a record. */
export function personFromRow(row: Record<string, unknown>): PersonRecord {
  return {
    id: row.id as string,
    email: row.email as string,
    displayName: row.display_name as string,
    role: row.role as PersonRecord['role'],
    permissions: row.permissions as string[],
    status: row.status as PersonRecord['status'],
    createdAt: new Date(row.created_at as string | Date),
  };
}
