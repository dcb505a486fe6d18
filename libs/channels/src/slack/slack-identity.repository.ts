import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, type Tx } from '@countersign/database';
import { personFromRow, type PersonRecord } from '@countersign/people';

export interface SlackIdentity {
  personId: string;
  slackUserId: string;
  teamId: string;
  enterpriseId: string | null;
  linkedBy: 'email_lookup' | 'admin';
  /** The bot's DM channel with this user, once a message was sent (Slack answers the same one every time). */
  dmChannelId?: string | null;
  /** When this Slack user last opened the app's Home tab (only those tabs are republished on changes). */
  homeOpenedAt?: Date | null;
}

export type SlackIdentityRow = {
  person_id: string;
  slack_user_id: string;
  team_id: string;
  enterprise_id: string | null;
  linked_by: 'email_lookup' | 'admin';
  dm_channel_id: string | null;
  home_opened_at?: Date | null;
};
export const slackIdentityFromRow = (row: SlackIdentityRow): SlackIdentity => ({
  personId: row.person_id,
  slackUserId: row.slack_user_id,
  teamId: row.team_id,
  enterpriseId: row.enterprise_id,
  linkedBy: row.linked_by,
  dmChannelId: row.dm_channel_id,
  homeOpenedAt: row.home_opened_at ?? null,
});

/** Whether the person `p` is named by the approver entries $2 (with the on-behalf-of person $1 and group members $3). */
const NAMED = (p: string) =>
  `((${p}.id = $1 AND 'on_behalf_of' = ANY($2::text[])) OR ('role:' || ${p}.role) = ANY($2::text[]) OR ('person:' || ${p}.id::text) = ANY($2::text[])
    OR ('person:' || lower(${p}.email)) = ANY($2::text[]) OR ${p}.id = ANY($3::uuid[]))`;

/** A person's Slack account: user id with its team (and Enterprise Grid org), the identity a click must match. */
@Injectable()
export class SlackIdentityRepository {
  constructor(private readonly database: Database) {}

  async forPerson(personId: string): Promise<SlackIdentity | null> {
    const rows = await this.database.query<SlackIdentityRow>(`SELECT * FROM slack_identities WHERE person_id = $1`, [personId]);
    return rows[0] ? slackIdentityFromRow(rows[0]) : null;
  }

  /**
   * The person linked to this Slack user, with the link. In an Enterprise Grid org the user id is the org's, the same
   * in every workspace: the identity is (enterprise id, user id) and the team the click came from does not matter.
   * Outside a Grid it is (team id, user id), and a link made inside a Grid never matches a click without its org.
   */
  async personFor(user: { userId: string; teamId: string | null; enterpriseId: string | null }): Promise<{
    identity: SlackIdentity;
    person: PersonRecord;
  } | null> {
    const [where, key] = user.enterpriseId
      ? ['s.enterprise_id = $1', user.enterpriseId]
      : ['s.team_id = $1 AND s.enterprise_id IS NULL', user.teamId];
    if (!key) return null;
    const rows = await this.database.query<SlackIdentityRow & { person: Record<string, unknown> }>(
      `SELECT s.*, to_jsonb(p) AS person FROM slack_identities s JOIN people p ON p.id = s.person_id WHERE ${where} AND s.slack_user_id = $2`,
      [key, user.userId],
    );
    return rows[0] ? { identity: slackIdentityFromRow(rows[0]), person: personFromRow(rows[0].person) } : null;
  }

  /** Links (or relinks) the person; false when this Slack user is already linked to someone else. */
  async link(identity: SlackIdentity): Promise<boolean> {
    try {
      await this.database.query(
        `INSERT INTO slack_identities (person_id, slack_user_id, team_id, enterprise_id, linked_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (person_id) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
                                               linked_by = EXCLUDED.linked_by, dm_channel_id = NULL, home_opened_at = NULL, created_at = now()`,
        [identity.personId, identity.slackUserId, identity.teamId, identity.enterpriseId, identity.linkedBy],
      );
      return true;
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return false;
      throw error;
    }
  }

  /** Remembers the DM channel, or forgets it (null), for the link as it is: a relink in between is left alone. */
  async rememberDmChannel(personId: string, slackUserId: string, channel: string | null): Promise<void> {
    await this.database.query(`UPDATE slack_identities SET dm_channel_id = $3 WHERE person_id = $1 AND slack_user_id = $2`, [
      personId,
      slackUserId,
      channel,
    ]);
  }

  /** Remembers that this link's Slack user opened the Home tab (a relink in between is left alone). */
  async rememberHomeOpened(personId: string, slackUserId: string): Promise<void> {
    await this.database.query(`UPDATE slack_identities SET home_opened_at = now() WHERE person_id = $1 AND slack_user_id = $2`, [
      personId,
      slackUserId,
    ]);
  }

  /**
   * Of the people an approval's approver entries name (`on_behalf_of`, `role:…`, `person:<id or email>`, the recorded
   * `group:` members) and of their delegates in force, those whose Slack user opened the Home tab: whose Home tab may
   * list the approval, or did. A superset of who sees it in their inbox is fine here: each tab is rendered from the
   * inbox itself, so this only picks whom to republish.
   */
  async homeViewersFor(approval: { onBehalfOfId: string; entries: string[]; groupMembers: string[] }): Promise<string[]> {
    // From the (few) people who opened the Home tab, not from everyone a `role:` entry names.
    const rows = await this.database.query<{ person_id: string }>(
      `SELECT s.person_id FROM slack_identities s JOIN people p ON p.id = s.person_id
        WHERE s.home_opened_at IS NOT NULL
          AND (${NAMED('p')}
               OR EXISTS (SELECT 1 FROM delegations d JOIN people o ON o.id = d.delegator_id
                           WHERE d.delegate_id = p.id AND d.revoked_at IS NULL AND d.starts_at <= now() AND d.ends_at > now() AND ${NAMED('o')}))
        ORDER BY s.person_id`,
      [approval.onBehalfOfId, approval.entries, approval.groupMembers],
    );
    return rows.map((row) => row.person_id);
  }

  /** The person's link removed; in the caller's transaction when given (deprovisioning). Returns what it was. */
  async unlink(personId: string, tx?: Tx): Promise<SlackIdentity | null> {
    const rows = await this.database.rows<SlackIdentityRow>(tx, `DELETE FROM slack_identities WHERE person_id = $1 RETURNING *`, [
      personId,
    ]);
    return rows[0] ? slackIdentityFromRow(rows[0]) : null;
  }

  /** Remembers a signed interaction; false when it was seen before (a replay). Old entries outlive Slack's window. */
  async firstSeen(requestHash: string): Promise<boolean> {
    const rows = await this.database.query<{ request_hash: string }>(
      `INSERT INTO slack_interactions (request_hash) VALUES ($1) ON CONFLICT DO NOTHING RETURNING request_hash`,
      [requestHash],
    );
    if (Math.random() < 0.01) await this.database.query(`DELETE FROM slack_interactions WHERE received_at < now() - interval '1 hour'`, []);
    return rows.length > 0;
  }
}
