import { type Notification } from '@countersign/contract';
import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, type Tx } from '@countersign/database';
import { type ApprovalStatus, type Verdict } from '@countersign/domain';
import { approvalFromRow, type ApprovalRecord } from './approval.repository';
import { type DecisionChannel } from './decision.service';

/** A person as a view names them. */
export interface PersonName {
  id: string;
  email: string;
  displayName: string;
}

export interface DecisionRecord {
  personId: string;
  email: string;
  displayName: string;
  /** Set when the person decided for a delegator: whose right the decision used ("Bob for Alice"). */
  viaDelegationOf: string | null;
  via: PersonName | null;
  /** The delegator's email, for the settlement's reason. */
  viaEmail: string | null;
  verdict: Verdict;
  reason: string | null;
  channel: DecisionChannel;
  amr: string[];
  fast: boolean;
  createdAt: Date;
}

export interface InboxRow {
  approval: ApprovalRecord;
  agentName: string;
  onBehalfOf: { id: string; email: string; displayName: string };
}

export interface InboxQuery {
  personId: string;
  /** `role:…` and `person:…` entries naming this person in a requirement's approvers. */
  entries: string[];
  /** The delegators whose approvals this person may decide now (enabled, delegation in force), and their entries. */
  delegators: { ids: string[]; entries: string[] };
  status: ApprovalStatus;
  limit: number;
  /** The last row of the previous page: microseconds since the epoch (exact, unlike a Date) and id. */
  after: { createdMicros: string; id: string } | null;
}

/** One person of a `group:` entry: recorded on the approval, a member now, or both. */
export interface GroupRosterRow {
  name: string;
  id: string;
  email: string;
  display_name: string;
  status: 'active' | 'disabled';
  recorded: boolean;
  member_now: boolean;
}

/**
 * Who an approval's entries name, in SQL, for the people whose ids are `ids` (uuid[] and the same as text[]) and
 * whose `role:`/`person:` entries are `entries`: the mirror of `isEligibleApprover` (libs/domain decision.ts). A
 * `group:` entry names the members recorded in `a.group_members`, never today's members.
 */
function eligibleSql(ids: string, entries: string, idsAsText: string): string {
  return `((a.on_behalf_of_id = ANY(${ids}) AND (a.requirement->'approvers' ? 'on_behalf_of' OR 'on_behalf_of' = ANY(a.escalated_to)))
           OR a.requirement->'approvers' ?| ${entries} OR a.escalated_to && ${entries}
           OR (a.group_members <> '{}'::jsonb AND EXISTS (
                 SELECT 1 FROM jsonb_each(a.group_members) AS gm(name, members)
                  WHERE gm.members ?| ${idsAsText}
                    AND (a.requirement->'approvers' ? ('group:' || gm.name) OR ('group:' || gm.name) = ANY(a.escalated_to)))))`;
}

/** What a reader of an approval sees of its notifications: who was reached on which channel, and how it went. */
/** A delivery as both views show it (the wire contract's `Notification`). */
export type NotificationView = Notification;

type DecisionRow = {
  person_id: string;
  email: string;
  display_name: string;
  via: { id: string; email: string; display_name: string } | null;
  verdict: Verdict;
  reason: string | null;
  channel: DecisionChannel;
  amr: string[];
  fast: boolean;
  created_at: Date;
};

/** An approval with its parties, its decisions and its deliveries: what a channel renders. */
export interface ApprovalActivity {
  row: InboxRow;
  decisions: DecisionRecord[];
  notifications: NotificationView[];
}

/** One row of `APPROVAL_ACTIVITY_SQL`, as `pg` returns it or as `to_jsonb` renders it (timestamps as strings). */
export type ActivityRow = {
  approval: Record<string, unknown>;
  agent_name: string;
  obo_id: string;
  obo_email: string;
  obo_name: string;
  decisions: Array<Omit<DecisionRow, 'created_at'> & { created_at: string }>;
  notifications: Array<Omit<NotificationView, 'person'> & { person_id: string }>;
};

// The delegator a decision stood in for (`vp`, joined on decisions.via_delegation_of), or null.
const VIA_JSON = `CASE WHEN vp.id IS NULL THEN NULL ELSE jsonb_build_object('id', vp.id, 'email', vp.email, 'display_name', vp.display_name) END`;

// An approval's decisions and deliveries as JSON arrays, for the approval whose id is `approvalId` (a column or a parameter).
const decisionsJson = (approvalId: string) =>
  `COALESCE((SELECT jsonb_agg(jsonb_build_object('person_id', d.person_id, 'email', dp.email, 'display_name', dp.display_name, 'verdict', d.verdict,
                                                 'reason', d.reason, 'channel', d.channel, 'amr', d.amr, 'fast', d.fast, 'created_at', d.created_at,
                                                 'via', ${VIA_JSON}) ORDER BY d.created_at, d.id)
               FROM decisions d JOIN people dp ON dp.id = d.person_id LEFT JOIN people vp ON vp.id = d.via_delegation_of
              WHERE d.approval_id = ${approvalId}), '[]'::jsonb)`;
const notificationsJson = (approvalId: string) =>
  `COALESCE((SELECT jsonb_agg(jsonb_build_object('person_id', n.person_id, 'channel', n.channel, 'kind', n.kind, 'state', n.state, 'detail', n.detail,
                                                 'attempts', n.attempts, 'updated_at', n.updated_at) ORDER BY n.created_at, n.person_id, n.channel, n.kind)
               FROM deliveries n WHERE n.approval_id = ${approvalId}), '[]'::jsonb)`;

/**
 * The one read of an approval's activity (the approval is `a`; add the WHERE). Exported so a statement that
 * claims a delivery can read it in the same round trip (`DeliveryRepository.beginAttempt`).
 */
export const APPROVAL_ACTIVITY_SQL = `SELECT to_jsonb(a) AS approval, g.name AS agent_name, p.id AS obo_id, p.email AS obo_email, p.display_name AS obo_name,
              ${decisionsJson('a.id')} AS decisions, ${notificationsJson('a.id')} AS notifications
         FROM approvals a JOIN agents g ON g.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id`;

export function activityFromRow(row: ActivityRow): ApprovalActivity {
  return {
    row: {
      approval: approvalFromRow(row.approval),
      agentName: row.agent_name,
      onBehalfOf: { id: row.obo_id, email: row.obo_email, displayName: row.obo_name },
    },
    decisions: decisionsFromJson(row.decisions),
    notifications: notificationsFromJson(row.notifications),
  };
}

function viaFromRow(via: DecisionRow['via']): Pick<DecisionRecord, 'viaDelegationOf' | 'via' | 'viaEmail'> {
  return via
    ? { viaDelegationOf: via.id, via: { id: via.id, email: via.email, displayName: via.display_name }, viaEmail: via.email }
    : { viaDelegationOf: null, via: null, viaEmail: null };
}

function decisionsFromJson(decisions: ActivityRow['decisions']): DecisionRecord[] {
  return decisions.map((d) => ({
    personId: d.person_id,
    email: d.email,
    displayName: d.display_name,
    ...viaFromRow(d.via),
    verdict: d.verdict,
    reason: d.reason,
    channel: d.channel,
    amr: d.amr,
    fast: d.fast,
    createdAt: new Date(d.created_at),
  }));
}

function notificationsFromJson(notifications: ActivityRow['notifications']): NotificationView[] {
  return notifications.map((n) => ({
    person: n.person_id,
    channel: n.channel,
    kind: n.kind,
    state: n.state,
    detail: n.detail,
    attempts: n.attempts,
    updated_at: new Date(n.updated_at).toISOString(),
  }));
}

/** The approval locked for a decision, with its parties and the client id a token names. */
export interface LockedApproval {
  row: InboxRow;
  agentClientId: string;
}

/** What a decision reads under the approval's lock: the decisions so far, the deliveries, and when this person was shown it. */
export interface DecidingActivity {
  decisions: DecisionRecord[];
  notifications: NotificationView[];
  shownAt: Date | null;
}

/** The SQL of deciding: the approval's row lock, one decision per person, first views, the approver's inbox. */
@Injectable()
export class DecisionRepository {
  constructor(private readonly database: Database) {}

  async decisionsOf(tx: Tx | undefined, approvalId: string): Promise<DecisionRecord[]> {
    const rows = await this.database.rows<DecisionRow>(
      tx,
      `SELECT d.person_id, p.email, p.display_name, d.verdict, d.reason, d.channel, d.amr, d.fast, d.created_at, ${VIA_JSON} AS via
         FROM decisions d JOIN people p ON p.id = d.person_id LEFT JOIN people vp ON vp.id = d.via_delegation_of
        WHERE d.approval_id = $1 ORDER BY d.created_at, d.id`,
      [approvalId],
    );
    return rows.map((row) => ({
      personId: row.person_id,
      email: row.email,
      displayName: row.display_name,
      ...viaFromRow(row.via),
      verdict: row.verdict,
      reason: row.reason,
      channel: row.channel,
      amr: row.amr,
      fast: row.fast,
      createdAt: row.created_at,
    }));
  }

  /** Returns when the decision was recorded, or null if this person already decided this approval (the unique constraint backs the lock). */
  async insert(
    tx: Tx,
    decision: {
      approvalId: string;
      personId: string;
      verdict: Verdict;
      reason: string | null;
      channel: DecisionChannel;
      amr: string[];
      latencyMs: number | null;
      fast: boolean;
      viaDelegationOf: string | null;
    },
  ): Promise<Date | null> {
    try {
      const [row] = await this.database.rows<{ created_at: Date }>(
        tx,
        `INSERT INTO decisions (approval_id, person_id, verdict, reason, channel, amr, latency_ms, fast, via_delegation_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at`,
        [
          decision.approvalId,
          decision.personId,
          decision.verdict,
          decision.reason,
          decision.channel,
          decision.amr,
          decision.latencyMs,
          decision.fast,
          decision.viaDelegationOf,
        ],
      );
      return row.created_at;
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  /**
   * Deprovisioning: the person's decisions on these (locked, pending) approvals stop counting. They are deleted;
   * what they were is returned for the audit event that records them (the log keeps what the table no longer does).
   */
  async voidDecisionsOf(
    tx: Tx,
    personId: string,
    approvalIds: string[],
  ): Promise<Array<{ approvalId: string; verdict: Verdict; channel: string; decidedAt: Date }>> {
    if (approvalIds.length === 0) return [];
    const rows = await this.database.rows<{ approval_id: string; verdict: Verdict; channel: string; created_at: Date }>(
      tx,
      `DELETE FROM decisions WHERE person_id = $1 AND approval_id = ANY($2::uuid[]) RETURNING approval_id, verdict, channel, created_at`,
      [personId, approvalIds],
    );
    return rows.map((row) => ({ approvalId: row.approval_id, verdict: row.verdict, channel: row.channel, decidedAt: row.created_at }));
  }

  /**
   * Takes the decider's row lock (shared) and reads their status, before the approval's lock: deprovisioning holds
   * the person's row (exclusively) and then locks their approvals, so in this order a decision either finishes before a
   * disable touches the approval, or waits for it and sees the person disabled. Never the approval first (deadlock).
   */
  async lockDecider(tx: Tx, personId: string): Promise<boolean> {
    const rows = await this.database.rows<{ status: string }>(tx, `SELECT status FROM people WHERE id = $1 FOR SHARE`, [personId]);
    return rows[0]?.status === 'active';
  }

  /** The approval's deliveries (one per person × channel × kind), oldest first. */
  async notificationsOf(approvalId: string): Promise<NotificationView[]> {
    const rows = await this.database.query<{
      person_id: string;
      channel: string;
      kind: string;
      state: string;
      detail: string | null;
      attempts: number;
      updated_at: Date;
    }>(
      `SELECT person_id, channel, kind, state, detail, attempts, updated_at FROM deliveries WHERE approval_id = $1 ORDER BY created_at, person_id, channel, kind`,
      [approvalId],
    );
    return rows.map((row) => ({
      person: row.person_id,
      channel: row.channel,
      kind: row.kind,
      state: row.state,
      detail: row.detail,
      attempts: row.attempts,
      updated_at: row.updated_at.toISOString(),
    }));
  }

  /** Records that the person opened the approval; true the first time. */
  async recordOpened(approvalId: string, personId: string): Promise<boolean> {
    const rows = await this.database.rows<{ approval_id: string }>(
      undefined,
      `INSERT INTO approval_views (approval_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING approval_id`,
      [approvalId, personId],
    );
    return rows.length > 0;
  }

  /**
   * Locks the approval row until the transaction ends (deciders of one approval go one at a time, ASVS 2.3.4) and
   * reads it with its parties: after waiting for the lock, the row is the one the previous decider left.
   */
  async lockForDecision(tx: Tx, approvalId: string): Promise<LockedApproval | null> {
    const rows = await this.database.rows<
      Record<string, unknown> & { agent_name: string; agent_client_id: string; obo_id: string; obo_email: string; obo_name: string }
    >(
      tx,
      `SELECT a.*, g.name AS agent_name, g.client_id AS agent_client_id, p.id AS obo_id, p.email AS obo_email, p.display_name AS obo_name
         FROM approvals a JOIN agents g ON g.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id
        WHERE a.id = $1 FOR UPDATE OF a`,
      [approvalId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      row: {
        approval: approvalFromRow(row),
        agentName: row.agent_name,
        onBehalfOf: { id: row.obo_id, email: row.obo_email, displayName: row.obo_name },
      },
      agentClientId: row.agent_client_id,
    };
  }

  /**
   * Read after the lock is held, in a statement of its own (the lock's statement sees other tables as they were
   * before it waited). "Shown" is when the person was shown the request on the channel they decide on: the web
   * page's first view, or the first Slack DM about it that was delivered.
   */
  async decidingActivity(tx: Tx, approvalId: string, personId: string, channel: DecisionChannel): Promise<DecidingActivity> {
    const [row] = await this.database.rows<Pick<ActivityRow, 'decisions' | 'notifications'> & { shown_at: Date | null }>(
      tx,
      `SELECT ${decisionsJson('$1')} AS decisions, ${notificationsJson('$1')} AS notifications,
              CASE WHEN $3 <> 'web'
                   THEN (SELECT min(sent_at) FROM deliveries WHERE approval_id = $1 AND person_id = $2 AND channel = $3 AND state = 'sent')
                   ELSE (SELECT first_opened_at FROM approval_views WHERE approval_id = $1 AND person_id = $2) END AS shown_at`,
      [approvalId, personId, channel],
    );
    return { decisions: decisionsFromJson(row.decisions), notifications: notificationsFromJson(row.notifications), shownAt: row.shown_at };
  }

  /**
   * Approvals this person may decide, newest first, by keyset (created_at, id): in their own right (the
   * on-behalf-of person where the requirement lists `on_behalf_of`, anyone a `role:`/`person:` entry names, the
   * recorded members of a `group:` entry), or through a delegation in force (a delegator's right, never on a request
   * made on the person's own behalf). The SQL mirror of `decidingCapacity` (libs/domain decision.ts). Pending ones
   * past their expiry are left out (they are expiring, not waiting).
   */
  async inbox(query: InboxQuery): Promise<Array<InboxRow & { cursor: { createdMicros: string; id: string } }>> {
    const rows = await this.database.query<{
      approval: Record<string, unknown>;
      agent_name: string;
      obo_id: string;
      obo_email: string;
      obo_name: string;
      created_micros: string;
      id: string;
    }>(
      `SELECT to_jsonb(a) AS approval, (extract(epoch FROM a.created_at) * 1000000)::bigint::text AS created_micros, a.id, g.name AS agent_name, p.id AS obo_id, p.email AS obo_email, p.display_name AS obo_name
         FROM approvals a JOIN agents g ON g.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id
        WHERE a.status = $1
          AND (${eligibleSql('$2::uuid[]', '$3::text[]', '$2::text[]')}
               OR (cardinality($7::uuid[]) > 0 AND a.on_behalf_of_id <> ($2::uuid[])[1] AND ${eligibleSql('$7::uuid[]', '$8::text[]', '$7::text[]')}))
          AND ($1 <> 'pending' OR a.expires_at > now())
          AND ($4::bigint IS NULL OR ((extract(epoch FROM a.created_at) * 1000000)::bigint, a.id) < ($4::bigint, $5::uuid))
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $6`,
      [
        query.status,
        [query.personId],
        query.entries,
        query.after?.createdMicros ?? null,
        query.after?.id ?? null,
        query.limit,
        query.delegators.ids,
        query.delegators.entries,
      ],
    );
    return rows.map((row) => ({
      approval: approvalFromRow(row.approval),
      agentName: row.agent_name,
      onBehalfOf: { id: row.obo_id, email: row.obo_email, displayName: row.obo_name },
      cursor: { createdMicros: row.created_micros, id: row.id },
    }));
  }

  /**
   * Each `group:` entry's members as recorded on the approval and as they are now, with their names and status:
   * what the approver's view shows so that a membership change during a pending approval is visible.
   */
  async groupRoster(groupMembers: Record<string, string[]>): Promise<GroupRosterRow[]> {
    const names = Object.keys(groupMembers);
    if (names.length === 0) return [];
    return this.database.query<GroupRosterRow>(
      `WITH recorded AS (
         SELECT r.key AS name, m.person_id::uuid AS person_id FROM jsonb_each($1::jsonb) AS r(key, value)
           CROSS JOIN LATERAL jsonb_array_elements_text(r.value) AS m(person_id)
       ), present AS (
         SELECT g.name, m.person_id FROM groups g JOIN group_members m ON m.group_id = g.id WHERE g.name = ANY($2::text[])
       )
       SELECT COALESCE(r.name, n.name) AS name, p.id, p.email, p.display_name, p.status,
              r.person_id IS NOT NULL AS recorded, n.person_id IS NOT NULL AS member_now
         FROM recorded r FULL JOIN present n ON n.name = r.name AND n.person_id = r.person_id
         JOIN people p ON p.id = COALESCE(r.person_id, n.person_id)
        ORDER BY 1, p.email`,
      [JSON.stringify(groupMembers), names],
    );
  }

  /** The names of these people (the approvers a view lists deliveries for). */
  async peopleNamed(ids: string[]): Promise<PersonName[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.query<{ id: string; email: string; display_name: string }>(
      `SELECT id, email, display_name FROM people WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((row) => ({ id: row.id, email: row.email, displayName: row.display_name }));
  }

  /** The approval with the names a person needs to read it. */
  async withParties(id: string): Promise<InboxRow | null> {
    const rows = await this.database.query<{
      approval: Record<string, unknown>;
      agent_name: string;
      obo_id: string;
      obo_email: string;
      obo_name: string;
    }>(
      `SELECT to_jsonb(a) AS approval, g.name AS agent_name, p.id AS obo_id, p.email AS obo_email, p.display_name AS obo_name
         FROM approvals a JOIN agents g ON g.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id WHERE a.id = $1`,
      [id],
    );
    const row = rows[0];
    return row
      ? {
          approval: approvalFromRow(row.approval),
          agentName: row.agent_name,
          onBehalfOf: { id: row.obo_id, email: row.obo_email, displayName: row.obo_name },
        }
      : null;
  }

  /**
   * The approval with its parties, decisions and notifications in one round trip: what a channel renders, read
   * once per delivery (every statement is a network round trip, and the worker makes many).
   */
  async withActivity(id: string): Promise<ApprovalActivity | null> {
    const rows = await this.database.query<ActivityRow>(`${APPROVAL_ACTIVITY_SQL} WHERE a.id = $1`, [id]);
    return rows[0] ? activityFromRow(rows[0]) : null;
  }

  /** Refusals (stored as denied at intake) and denials of an agent within the last `minutes`. */
  async countDenied(agentId: string, minutes: number): Promise<number> {
    const rows = await this.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM approvals WHERE agent_id = $1 AND status = 'denied' AND decided_at > now() - make_interval(mins => $2)`,
      [agentId, minutes],
    );
    return rows[0]?.count ?? 0;
  }
}
