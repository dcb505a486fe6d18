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

/** Serialises changes that could take away an enabled admin, so two of them cannot each count the other. */
const ADMIN_SET_LOCK = 7_214_004;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class PeopleRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the email is taken. */
  async insert(tx: Tx, person: Omit<PersonRecord, 'id' | 'createdAt' | 'status'>): Promise<PersonRecord | null> {
    try {
      const rows = await this.database.manager(tx).createQueryBuilder().insert().into(PersonEntity).values(person).returning('*').execute();
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

  /** Locks the person's row for a change (role, permissions, status). */
  async lockForUpdate(tx: Tx, id: string): Promise<PersonRecord | null> {
    const rows = await this.database.rows<Record<string, unknown>>(tx, `SELECT * FROM people WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? personFromRow(rows[0]) : null;
  }

  /** Held until the transaction ends; take it before locking any person's row (one lock order, no deadlock). */
  async lockAdminSet(tx: Tx): Promise<void> {
    await this.database.rows(tx, 'SELECT pg_advisory_xact_lock($1)', [ADMIN_SET_LOCK]);
  }

  /** Enabled admins other than this person, as committed now (read after `lockAdminSet`). */
  async countOtherEnabledAdmins(tx: Tx, id: string): Promise<number> {
    const rows = await this.database.rows<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM people WHERE role = 'admin' AND status = 'active' AND id <> $1`,
      [id],
    );
    return rows[0].n;
  }

  async update(tx: Tx, id: string, changes: Pick<PersonRecord, 'role' | 'permissions' | 'status'>): Promise<PersonRecord> {
    const rows = await this.database.rows<Record<string, unknown>>(
      tx,
      `UPDATE people SET role = $2, permissions = $3, status = $4 WHERE id = $1 RETURNING *`,
      [id, changes.role, changes.permissions, changes.status],
    );
    return personFromRow(rows[0]);
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
