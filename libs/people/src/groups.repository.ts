import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';

/** The directory's reads that approvals need: who is in a group now, and who manages a person. */
@Injectable()
export class GroupsRepository {
  constructor(private readonly database: Database) {}

  /**
   * The enabled members of each named group, by name, as committed now. A name with no group, or a group with no
   * enabled member, maps to an empty list: such an entry resolves to nobody (fail closed).
   */
  async enabledMembers(tx: Tx | undefined, names: readonly string[]): Promise<Record<string, string[]>> {
    if (names.length === 0) return {};
    const [row] = await this.database.rows<{ members: Record<string, string[]> }>(
      tx,
      `SELECT ${enabledMembersJsonSql('$1::text[]')} AS members`,
      [names],
    );
    return row.members;
  }

  /** Every group's name: what taxonomy lint checks `group:` entries against. */
  async names(): Promise<string[]> {
    const rows = await this.database.rows<{ name: string }>(undefined, `SELECT name FROM groups ORDER BY name`);
    return rows.map((row) => row.name);
  }

  /** The person's manager when the directory names one who is enabled; null otherwise. */
  async enabledManagerOf(tx: Tx | undefined, personId: string): Promise<string | null> {
    const rows = await this.database.rows<{ id: string }>(
      tx,
      `SELECT m.id FROM people p JOIN people m ON m.id = p.manager_id AND m.status = 'active' WHERE p.id = $1`,
      [personId],
    );
    return rows[0]?.id ?? null;
  }
}

/**
 * SQL for `{ name: [person id, …] }`, the enabled members of each group named by the `text[]` expression `names`
 * (a name with no group maps to `[]`): the one rule a `group:` entry resolves by, for `enabledMembers` (intake, once
 * per batch) and inside the escalation's update, which records the entries it adds in the same statement.
 */
function enabledMembersJsonSql(names: string): string {
  return `(SELECT COALESCE(jsonb_object_agg(n.name, COALESCE(
            (SELECT jsonb_agg(m.person_id ORDER BY m.person_id) FROM groups g
               JOIN group_members m ON m.group_id = g.id JOIN people p ON p.id = m.person_id AND p.status = 'active'
              WHERE g.name = n.name), '[]'::jsonb)), '{}'::jsonb)
           FROM unnest(${names}) AS n(name))`;
}
