import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, type Tx } from '@countersign/database';
import { isUuid } from './people.repository';

export interface GroupRecord {
  id: string;
  name: string;
  externalId: string | null;
  /** Action patterns every member may authorize, beside their own (intake takes the union). */
  permissions: string[];
  /** The members' person ids (enabled or not; not those the directory deleted), in the order they were added. */
  memberIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupQuery {
  name?: string;
  externalId?: string;
  id?: string;
  offset: number;
  limit: number;
}

const GROUP_COLUMNS = `g.id, g.name, g.external_id, g.permissions, g.created_at, g.updated_at,
  coalesce((SELECT array_agg(m.person_id ORDER BY m.added_at, m.person_id) FROM group_members m
              JOIN people p ON p.id = m.person_id AND p.directory_deleted_at IS NULL WHERE m.group_id = g.id), '{}') AS member_ids`;

/** Groups as the directory (SCIM) and the admin API change them; `GroupsRepository` holds approvals' reads. */
@Injectable()
export class GroupAdminRepository {
  constructor(private readonly database: Database) {}

  async list(query: GroupQuery): Promise<{ total: number; groups: GroupRecord[] }> {
    const rows = await this.database.rows<{ total: number; group: Record<string, unknown> | null }>(
      undefined,
      `WITH matching AS (
         SELECT * FROM groups
          WHERE ($1::text IS NULL OR name = $1) AND ($2::text IS NULL OR external_id = $2) AND ($3::uuid IS NULL OR id = $3::uuid))
       SELECT (SELECT count(*)::int FROM matching) AS total, page.group
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (
           SELECT to_jsonb(x) AS group FROM (SELECT ${GROUP_COLUMNS} FROM matching g ORDER BY g.created_at, g.id OFFSET $4 LIMIT $5) x
         ) page ON true`,
      [query.name ?? null, query.externalId ?? null, query.id ?? null, query.offset, query.limit],
    );
    return { total: rows[0]?.total ?? 0, groups: rows.filter((row) => row.group !== null).map((row) => groupFromRow(row.group!)) };
  }

  async find(tx: Tx | undefined, id: string): Promise<GroupRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.database.rows<Record<string, unknown>>(tx, `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1`, [id]);
    return rows[0] ? groupFromRow(rows[0]) : null;
  }

  /** Locks the group's row, so concurrent membership patches apply one after the other. */
  async lockForUpdate(tx: Tx, id: string): Promise<GroupRecord | null> {
    if (!isUuid(id)) return null;
    await this.database.rows(tx, `SELECT id FROM groups WHERE id = $1 FOR UPDATE`, [id]);
    return this.find(tx, id);
  }

  /** Null when the name or external id is taken. */
  async insert(tx: Tx, group: { name: string; externalId: string | null; permissions: string[] }): Promise<string | null> {
    return this.uniquely(async () => {
      const rows = await this.database.rows<{ id: string }>(
        tx,
        `INSERT INTO groups (name, external_id, permissions) VALUES ($1, $2, $3) RETURNING id`,
        [group.name, group.externalId, group.permissions],
      );
      return rows[0].id;
    });
  }

  /** False when the name or external id is taken. */
  async update(tx: Tx, id: string, group: { name: string; externalId: string | null; permissions: string[] }): Promise<boolean> {
    return (
      (await this.uniquely(async () => {
        await this.database.rows(tx, `UPDATE groups SET name = $2, external_id = $3, permissions = $4, updated_at = now() WHERE id = $1`, [
          id,
          group.name,
          group.externalId,
          group.permissions,
        ]);
        return true;
      })) ?? false
    );
  }

  async addMembers(tx: Tx, id: string, personIds: readonly string[]): Promise<void> {
    if (personIds.length === 0) return;
    await this.database.rows(tx, `INSERT INTO group_members (group_id, person_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
      id,
      personIds,
    ]);
  }

  async removeMembers(tx: Tx, id: string, personIds: readonly string[]): Promise<void> {
    if (personIds.length === 0) return;
    await this.database.rows(tx, `DELETE FROM group_members WHERE group_id = $1 AND person_id = ANY($2::uuid[])`, [id, personIds]);
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await this.database.rows(tx, `DELETE FROM groups WHERE id = $1`, [id]);
  }

  private async uniquely<T>(write: () => Promise<T>): Promise<T | null> {
    try {
      return await write();
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }
}

function groupFromRow(row: Record<string, unknown>): GroupRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    externalId: (row.external_id as string | null) ?? null,
    permissions: row.permissions as string[],
    memberIds: row.member_ids as string[],
    createdAt: new Date(row.created_at as string | Date),
    updatedAt: new Date(row.updated_at as string | Date),
  };
}
