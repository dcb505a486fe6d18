import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, type Tx } from '@countersign/database';
import { personFromRow, type PersonRecord } from '@countersign/people';

/** A person's Teams account (tenant + Entra object id) and the bot's 1:1 conversation with it. */
export interface TeamsIdentity {
  personId: string;
  tenantId: string;
  aadObjectId: string;
  /** The Teams user id (`29:…`) the conversation knows them by. */
  teamsUserId: string;
  serviceUrl: string;
  conversationId: string;
}

type TeamsIdentityRow = {
  person_id: string;
  tenant_id: string;
  aad_object_id: string;
  teams_user_id: string;
  service_url: string;
  conversation_id: string;
};
const teamsIdentityFromRow = (row: TeamsIdentityRow): TeamsIdentity => ({
  personId: row.person_id,
  tenantId: row.tenant_id,
  aadObjectId: row.aad_object_id,
  teamsUserId: row.teams_user_id,
  serviceUrl: row.service_url,
  conversationId: row.conversation_id,
});

@Injectable()
export class TeamsIdentityRepository {
  constructor(private readonly database: Database) {}

  async forPerson(personId: string): Promise<TeamsIdentity | null> {
    const rows = await this.database.query<TeamsIdentityRow>(`SELECT * FROM teams_identities WHERE person_id = $1`, [personId]);
    return rows[0] ? teamsIdentityFromRow(rows[0]) : null;
  }

  /** The person linked to this Entra user in this tenant, with the link. */
  async personFor(tenantId: string, aadObjectId: string): Promise<{ identity: TeamsIdentity; person: PersonRecord } | null> {
    const rows = await this.database.query<TeamsIdentityRow & { person: Record<string, unknown> }>(
      `SELECT t.*, to_jsonb(p) AS person FROM teams_identities t JOIN people p ON p.id = t.person_id WHERE t.tenant_id = $1 AND t.aad_object_id = $2`,
      [tenantId, aadObjectId],
    );
    return rows[0] ? { identity: teamsIdentityFromRow(rows[0]), person: personFromRow(rows[0].person) } : null;
  }

  /** Links (or relinks, with the latest conversation) the person; false when this Entra user is linked to someone else. */
  async link(identity: TeamsIdentity): Promise<boolean> {
    try {
      await this.database.query(
        `INSERT INTO teams_identities (person_id, tenant_id, aad_object_id, teams_user_id, service_url, conversation_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (person_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, aad_object_id = EXCLUDED.aad_object_id, teams_user_id = EXCLUDED.teams_user_id,
                                               service_url = EXCLUDED.service_url, conversation_id = EXCLUDED.conversation_id, created_at = now()`,
        [identity.personId, identity.tenantId, identity.aadObjectId, identity.teamsUserId, identity.serviceUrl, identity.conversationId],
      );
      return true;
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return false;
      throw error;
    }
  }

  /** The person's link removed; in the caller's transaction when given (deprovisioning). Returns what it was. */
  async unlink(personId: string, tx?: Tx): Promise<TeamsIdentity | null> {
    const rows = await this.database.rows<TeamsIdentityRow>(tx, `DELETE FROM teams_identities WHERE person_id = $1 RETURNING *`, [
      personId,
    ]);
    return rows[0] ? teamsIdentityFromRow(rows[0]) : null;
  }

  /** Remembers an activity acted on; false when it was seen before (a replay). */
  async firstSeen(activityHash: string): Promise<boolean> {
    const rows = await this.database.query<{ activity_hash: string }>(
      `INSERT INTO teams_activities (activity_hash) VALUES ($1) ON CONFLICT DO NOTHING RETURNING activity_hash`,
      [activityHash],
    );
    // Bot Framework tokens live an hour (plus five minutes' skew): an entry older than a day can no longer be replayed.
    if (Math.random() < 0.01) await this.database.query(`DELETE FROM teams_activities WHERE received_at < now() - interval '1 day'`, []);
    return rows.length > 0;
  }
}
