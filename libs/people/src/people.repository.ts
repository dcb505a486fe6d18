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
  /** From the directory (SCIM): its name for the person, its id for them, their manager, and when it deleted them. */
  userName: string | null;
  externalId: string | null;
  managerId: string | null;
  directoryDeletedAt: Date | null;
}

/** What `insert` writes: the person's own fields, and the directory's when it provisions them. */
export type NewPersonRow = Pick<PersonRecord, 'email' | 'displayName' | 'role' | 'permissions'> &
  Partial<Pick<PersonRecord, 'status' | 'userName' | 'externalId' | 'managerId'>>;

/** Every field `update` writes. */
export type PersonRow = Pick<
  PersonRecord,
  'role' | 'permissions' | 'status' | 'email' | 'displayName' | 'userName' | 'externalId' | 'managerId' | 'directoryDeletedAt'
>;

/** Serialises changes that could take away an enabled admin, so two of them cannot each count the other. */
const ADMIN_SET_LOCK = 7_214_004;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a reference is an id (a UUID) rather than an email or a name. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

@Injectable()
export class PeopleRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the email (or the directory's user name or external id) is taken. */
  async insert(tx: Tx, person: NewPersonRow): Promise<PersonRecord | null> {
    try {
      const rows = await this.database.manager(tx).createQueryBuilder().insert().into(PersonEntity).values(person).returning('*').execute();
      return personFromRow((rows.raw as Record<string, unknown>[])[0]);
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  /** Which unique field another person already holds (email, user name case-insensitively, external id), if any. */
  async takenField(
    tx: Tx,
    fields: { email: string; userName?: string | null; externalId?: string | null },
    exceptId: string | null,
  ): Promise<'email' | 'userName' | 'externalId' | null> {
    const rows = await this.database.rows<{ email: boolean; user_name: boolean; external_id: boolean }>(
      tx,
      `SELECT bool_or(email = $1) AS email, bool_or(lower(coalesce(user_name, email)) = lower($2)) AS user_name, bool_or(external_id = $3) AS external_id
         FROM people WHERE (email = $1 OR lower(coalesce(user_name, email)) = lower($2) OR external_id = $3) AND id IS DISTINCT FROM $4::uuid`,
      [fields.email, fields.userName ?? null, fields.externalId ?? null, exceptId],
    );
    const row = rows[0];
    return row?.email ? 'email' : row?.user_name ? 'userName' : row?.external_id ? 'externalId' : null;
  }

  /** Whether a person with this id exists (a manager, a group member); the directory's deleted people do not count. */
  async existingIds(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return new Set();
    const rows = await this.database.rows<{ id: string }>(
      tx,
      `SELECT id FROM people WHERE id = ANY($1::uuid[]) AND directory_deleted_at IS NULL`,
      [valid],
    );
    return new Set(rows.map((row) => row.id));
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

  /** Null when the change would take another person's email, user name or external id. */
  async update(tx: Tx, id: string, changes: PersonRow): Promise<PersonRecord | null> {
    try {
      const rows = await this.database.rows<Record<string, unknown>>(
        tx,
        `UPDATE people SET role = $2, permissions = $3, status = $4, email = $5, display_name = $6, user_name = $7, external_id = $8,
                manager_id = $9, directory_deleted_at = $10
          WHERE id = $1 RETURNING *`,
        [
          id,
          changes.role,
          changes.permissions,
          changes.status,
          changes.email,
          changes.displayName,
          changes.userName,
          changes.externalId,
          changes.managerId,
          changes.directoryDeletedAt,
        ],
      );
      return personFromRow(rows[0]);
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  /**
   * The directory's view of people (SCIM): not those it deleted, optionally one by user name (case-insensitively;
   * a person added by hand is known by their email until the directory names them) or external id or id, a page of
   * them in creation order, and how many match.
   */
  async listForDirectory(query: {
    userName?: string;
    externalId?: string;
    id?: string;
    offset: number;
    limit: number;
  }): Promise<{ total: number; people: PersonRecord[] }> {
    const rows = await this.database.rows<{ total: number; person: Record<string, unknown> | null }>(
      undefined,
      `WITH matching AS (
         SELECT * FROM people
          WHERE directory_deleted_at IS NULL AND ($1::text IS NULL OR lower(coalesce(user_name, email)) = lower($1))
            AND ($2::text IS NULL OR external_id = $2) AND ($3::uuid IS NULL OR id = $3::uuid))
       SELECT (SELECT count(*)::int FROM matching) AS total, page.person
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT to_jsonb(m) AS person FROM matching m ORDER BY created_at, id OFFSET $4 LIMIT $5) page ON true`,
      [query.userName ?? null, query.externalId ?? null, query.id ?? null, query.offset, query.limit],
    );
    return {
      total: rows[0]?.total ?? 0,
      people: rows.filter((row) => row.person !== null).map((row) => personFromRow(row.person!)),
    };
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
    userName: (row.user_name as string | null | undefined) ?? null,
    externalId: (row.external_id as string | null | undefined) ?? null,
    managerId: (row.manager_id as string | null | undefined) ?? null,
    directoryDeletedAt: row.directory_deleted_at ? new Date(row.directory_deleted_at as string | Date) : null,
  };
}
