import { Injectable } from '@nestjs/common';
import {
  activityFromRow,
  type ActivityRow,
  APPROVAL_ACTIVITY_SQL,
  approvalSummary,
  type ApprovalSummary,
  LADDER_LENGTH_SQL,
  NEXT_STEP_AFTER_SQL,
} from '@countersign/approvals';
import { type OutboxEvent } from '@countersign/audit';
import { Database } from '@countersign/database';
import { personFromRow, type PersonRecord } from '@countersign/people';
import { type ChannelType, type DeliveryKind, type DeliveryState } from './notification-channel';
import { type SlackIdentity, slackIdentityFromRow, type SlackIdentityRow } from './slack/slack-identity.repository';

export interface DeliveryRecord {
  id: string;
  approvalId: string;
  personId: string;
  channel: ChannelType;
  kind: DeliveryKind;
  state: DeliveryState;
  detail: string | null;
  externalRef: Record<string, unknown> | null;
  attempts: number;
  outcomeShown: string | null;
}

/** A delivery claimed for an attempt, with what its channel needs to send it. */
export interface Claimed {
  delivery: DeliveryRecord;
  person: PersonRecord | null;
  approval: ApprovalSummary | null;
  /** Slack deliveries only: the person's link when the attempt was claimed (null: not linked yet). */
  slackIdentity?: SlackIdentity | null;
}

/** What to plan for one approval: who may decide (its entries, `on_behalf_of` resolved) and on which channels. */
export interface PlanItem {
  approvalId: string;
  onBehalfOfId: string;
  /** The approval's tier: the person's channel preference for it applies. */
  tier: string;
  entries: string[];
  /** The people the `group:` entries among `entries` name: their members recorded on the approval (`groupMembersNamed`). */
  groupMembers: string[];
  channels: ChannelType[];
  kind: DeliveryKind;
  /** Only people with no delivery of this approval yet (an escalation step's plan: nobody is notified twice). */
  newPeopleOnly?: boolean;
}

/** Why a push cannot reach someone, as planning records it. */
export const NO_SUBSCRIPTION = 'no push subscription (the person has not enabled notifications in a browser)';
export const NO_TEAMS_LINK = 'the person has not installed the Countersign bot in Teams';
/** A channel the tier offered that the person's preference for the tier leaves out (ADR 0025). */
export const NOT_CHOSEN = "not chosen: the person's notification settings leave this channel out for this tier";

type DeliveryRow = {
  id: string;
  approval_id: string;
  person_id: string;
  channel: ChannelType;
  kind: DeliveryKind;
  state: DeliveryState;
  detail: string | null;
  external_ref: Record<string, unknown> | null;
  attempts: number;
  outcome_shown: string | null;
};

function fromRow(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    approvalId: row.approval_id,
    personId: row.person_id,
    channel: row.channel,
    kind: row.kind,
    state: row.state,
    detail: row.detail,
    externalRef: row.external_ref,
    attempts: row.attempts,
    outcomeShown: row.outcome_shown,
  };
}

/** The SQL of notifying: who may decide, one row per delivery (the unique key makes planning idempotent), outreach state. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly database: Database) {}

  /**
   * Plans the deliveries of several approvals in one statement: one row per active, undecided approver (the
   * approval's `entries`: `on_behalf_of`, `role:…`, `person:<id or email>`, and the recorded members of its `group:`
   * entries) × the channels offered (the tier's, or an escalation step's), inserted where it does not exist yet
   * (the unique key makes planning idempotent). A channel the deployment has not configured is planned `off`; web
   * push to someone without a subscription `unreachable`, instead of costing a job; a channel the person's
   * preference for the tier leaves out `not_chosen` (`channelsToUse`, libs/domain: the preference counts only when
   * one chosen channel can work, else every offered channel is used, so nobody is unreachable by choice). A first
   * request's plan also marks the approval notified (the sweep's sign that planning happened). Answers, per item,
   * every row of its current approvers, whether this call inserted it or it was there.
   */
  async plan(items: PlanItem[], enabled: ChannelType[]): Promise<DeliveryRecord[][]> {
    const rows = await this.database.query<DeliveryRow>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(approval_id uuid, on_behalf_of_id uuid, tier text, entries text[], group_members uuid[], channels text[], kind text, new_people_only boolean)
       ), wanted AS (
         SELECT i.approval_id, i.kind, p.id AS person_id, p.created_at AS person_created, c.channel, c.ord,
                CASE WHEN NOT (c.channel = ANY($2::text[])) THEN 'off' WHEN NOT c.chosen THEN 'not_chosen' WHEN NOT c.reachable THEN 'unreachable' ELSE 'queued' END AS state,
                CASE WHEN NOT (c.channel = ANY($2::text[])) THEN c.channel || ' is not configured on this deployment'
                     WHEN NOT c.chosen THEN $5 WHEN NOT c.reachable THEN CASE c.channel WHEN 'teams' THEN $4 ELSE $3 END END AS detail
           FROM input i
           JOIN people p ON p.status = 'active'
                AND ((p.id = i.on_behalf_of_id AND 'on_behalf_of' = ANY(i.entries)) OR ('role:' || p.role) = ANY(i.entries)
                     OR ('person:' || p.id::text) = ANY(i.entries) OR ('person:' || lower(p.email)) = ANY(i.entries)
                     OR p.id = ANY(i.group_members))
           -- Web push reaches only someone with a subscription, Teams someone who installed the bot; the other channels
           -- find out when they send. Read once per approver (OFFSET 0 keeps the planner from copying the subqueries into
           -- every use of their values).
           CROSS JOIN LATERAL (
             SELECT EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.person_id = p.id) AS subscribed,
                    EXISTS (SELECT 1 FROM teams_identities t WHERE t.person_id = p.id) AS teams_linked,
                    (SELECT cp.channels FROM channel_preferences cp WHERE cp.person_id = p.id AND cp.tier = i.tier) AS chosen
             OFFSET 0
           ) r
           -- The preference counts only if a chosen channel among those offered can work (configured, push subscribed,
           -- Teams linked).
           CROSS JOIN LATERAL (
             SELECT r.chosen IS NOT NULL AND EXISTS (
                      SELECT 1 FROM unnest(i.channels) AS k(channel)
                       WHERE k.channel = ANY(r.chosen) AND k.channel = ANY($2::text[])
                         AND (k.channel <> 'web_push' OR r.subscribed) AND (k.channel <> 'teams' OR r.teams_linked)
                    ) AS honoured
             OFFSET 0
           ) h
           CROSS JOIN LATERAL (
             SELECT u.channel, u.ord,
                    CASE u.channel WHEN 'web_push' THEN r.subscribed WHEN 'teams' THEN r.teams_linked ELSE true END AS reachable,
                    NOT h.honoured OR u.channel = ANY(r.chosen) AS chosen
               FROM unnest(i.channels) WITH ORDINALITY AS u(channel, ord)
           ) c
          WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.approval_id = i.approval_id AND d.person_id = p.id)
            AND NOT (i.new_people_only AND EXISTS (SELECT 1 FROM deliveries e WHERE e.approval_id = i.approval_id AND e.person_id = p.id))
       ), inserted AS (
         INSERT INTO deliveries (approval_id, person_id, channel, kind, state, detail)
         SELECT approval_id, person_id, channel, kind, state, detail FROM wanted ORDER BY approval_id, person_created, person_id, ord
         ON CONFLICT (approval_id, person_id, channel, kind) DO NOTHING RETURNING *
       ), notified AS (
         UPDATE approvals SET notified_at = COALESCE(notified_at, now()) WHERE id IN (SELECT approval_id FROM input WHERE kind = 'request')
       )
       -- The CTE's inserted rows are not visible to the statement's own read of the table: the rows that were
       -- there already are the ones that conflicted. (LATERAL … LIMIT 1 keeps that read on the unique index: a prepared
       -- statement's generic plan otherwise hashed the whole deliveries table.)
       SELECT * FROM (
         SELECT * FROM inserted
         UNION ALL
         SELECT d.* FROM wanted w CROSS JOIN LATERAL (
           SELECT * FROM deliveries d WHERE d.approval_id = w.approval_id AND d.person_id = w.person_id AND d.channel = w.channel AND d.kind = w.kind LIMIT 1
         ) d
       ) AS planned ORDER BY created_at, id`,
      [
        JSON.stringify(
          items.map((item) => ({
            approval_id: item.approvalId,
            on_behalf_of_id: item.onBehalfOfId,
            tier: item.tier,
            entries: item.entries,
            group_members: item.groupMembers,
            channels: item.channels,
            kind: item.kind,
            new_people_only: item.newPeopleOnly === true,
          })),
        ),
        enabled,
        NO_SUBSCRIPTION,
        NO_TEAMS_LINK,
        NOT_CHOSEN,
      ],
    );
    const planned = rows.map(fromRow);
    return items.map((item) => planned.filter((row) => row.approvalId === item.approvalId && row.kind === item.kind));
  }

  async find(id: string): Promise<DeliveryRecord | null> {
    const rows = await this.database.query<DeliveryRow>(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async ofApproval(approvalId: string): Promise<DeliveryRecord[]> {
    const rows = await this.database.query<DeliveryRow>(`SELECT * FROM deliveries WHERE approval_id = $1 ORDER BY created_at, id`, [
      approvalId,
    ]);
    return rows.map(fromRow);
  }

  /**
   * Claims a queued delivery for an attempt: counts the attempt before the channel is called and returns the row
   * as it is now (`attempts` includes this one) with the person it is for, the approval as a channel renders it
   * and, for Slack, the person's Slack link, in one statement. The claim holds for `leaseMs` (renewed by
   * `extendClaim` while the attempt runs): a second job of the same delivery (one re-enqueued after Redis lost the
   * queue while the first was sending) gets `busyForMs` instead of sending it again. Null when it is not queued any
   * more (a duplicate or late job).
   */
  async beginAttempt(id: string, leaseMs: number): Promise<Claimed | { busyForMs: number } | null> {
    const rows = await this.database.query<
      DeliveryRow & { person: Record<string, unknown> | null; activity: ActivityRow | null; slack: SlackIdentityRow | null }
    >(
      `UPDATE deliveries d SET attempts = attempts + 1, updated_at = now(), claimed_until = now() + $2::int * interval '1 millisecond'
        WHERE id = $1 AND state = 'queued' AND (claimed_until IS NULL OR claimed_until <= now())
       RETURNING d.*, (SELECT to_jsonb(p) FROM people p WHERE p.id = d.person_id) AS person,
                 (SELECT to_jsonb(activity) FROM (${APPROVAL_ACTIVITY_SQL} WHERE a.id = d.approval_id) AS activity) AS activity,
                 (SELECT to_jsonb(s) FROM slack_identities s WHERE s.person_id = d.person_id AND d.channel = 'slack') AS slack`,
      [id, leaseMs],
    );
    const row = rows[0];
    if (!row) {
      // Rare (a duplicate job): only then is it worth a second statement to tell "taken" from "done".
      const busy = await this.database.query<{ busy_ms: number }>(
        `SELECT ceil(extract(epoch FROM claimed_until - now()) * 1000)::int AS busy_ms FROM deliveries WHERE id = $1 AND state = 'queued' AND claimed_until > now()`,
        [id],
      );
      return busy[0] ? { busyForMs: Math.max(1, busy[0].busy_ms) } : null;
    }
    return {
      delivery: fromRow(row),
      person: row.person ? personFromRow(row.person) : null,
      approval: row.activity ? approvalSummary(activityFromRow(row.activity)) : null,
      ...(row.channel === 'slack' ? { slackIdentity: row.slack ? slackIdentityFromRow(row.slack) : null } : {}),
    };
  }

  /** Keeps an attempt's claim while the channel is still working on it. */
  async extendClaim(id: string, leaseMs: number): Promise<void> {
    await this.database.query(
      `UPDATE deliveries SET claimed_until = now() + $2::int * interval '1 millisecond' WHERE id = $1 AND state = 'queued'`,
      [id, leaseMs],
    );
  }

  /** Records progress (an external ref) without leaving `queued`: a retry then knows a message exists. */
  async recordProgress(id: string, externalRef: Record<string, unknown>): Promise<void> {
    await this.database.query(`UPDATE deliveries SET external_ref = $2, updated_at = now() WHERE id = $1`, [
      id,
      JSON.stringify(externalRef),
    ]);
  }

  /**
   * Moves a queued delivery to its outcome; false when it was not queued any more (a duplicate job). `sent_at` is
   * when the person was shown the request on this channel (a Slack decision's fast flag is measured from it).
   */
  async finish(
    id: string,
    state: Exclude<DeliveryState, 'queued'>,
    detail: string | null,
    externalRef: Record<string, unknown> | null,
  ): Promise<boolean> {
    const rows = await this.database.query<{ id: string }>(
      `UPDATE deliveries SET state = $2, detail = $3, external_ref = COALESCE($4::jsonb, external_ref), sent_at = CASE WHEN $2 = 'sent' THEN now() END, updated_at = now()
        WHERE id = $1 AND state = 'queued' RETURNING id`,
      [id, state, detail, externalRef === null ? null : JSON.stringify(externalRef)],
    );
    return rows.length > 0;
  }

  /** `finish`, and the audit event of the outcome only if this call moved it: one statement, so both or neither. */
  async finishAudited(
    id: string,
    state: Exclude<DeliveryState, 'queued'>,
    detail: string | null,
    externalRef: Record<string, unknown> | null,
    event: OutboxEvent,
  ): Promise<boolean> {
    const rows = await this.database.query<{ id: string }>(
      `WITH moved AS (
         UPDATE deliveries SET state = $2, detail = $3, external_ref = COALESCE($4::jsonb, external_ref), sent_at = CASE WHEN $2 = 'sent' THEN now() END, updated_at = now()
          WHERE id = $1 AND state = 'queued' RETURNING id
       ), audited AS (
         INSERT INTO audit_outbox (occurred_at, actor_type, actor_id, type, subject_type, subject_id, data)
         SELECT $5::timestamptz, $6, $7, $8, $9, $10, $11::jsonb FROM moved
       )
       SELECT id FROM moved`,
      [
        id,
        state,
        detail,
        externalRef === null ? null : JSON.stringify(externalRef),
        event.occurredAt,
        event.actorType,
        event.actorId,
        event.type,
        event.subjectType,
        event.subjectId,
        JSON.stringify(event.data),
      ],
    );
    return rows.length > 0;
  }

  /** A failed attempt: its error, and its claim released so that the job's retry can claim it at once. */
  async recordError(id: string, detail: string): Promise<void> {
    await this.database.query(`UPDATE deliveries SET detail = $2, claimed_until = NULL, updated_at = now() WHERE id = $1`, [
      id,
      detail.slice(0, 500),
    ]);
  }

  async markOutcomeShown(id: string, status: string): Promise<void> {
    await this.database.query(`UPDATE deliveries SET outcome_shown = $2, updated_at = now() WHERE id = $1`, [id, status]);
  }

  /** Whether the person can still be reached about this approval on some channel (a queued or sent delivery). */
  async isReachable(approvalId: string, personId: string): Promise<boolean> {
    const rows = await this.database.query<{ reachable: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM deliveries WHERE approval_id = $1 AND person_id = $2 AND state IN ('queued', 'sent')) AS reachable`,
      [approvalId, personId],
    );
    return rows[0]?.reachable ?? false;
  }

  /**
   * Every queued delivery of a pending approval, however recent, by id after `afterId`: what to re-enqueue when
   * Redis lost its queue (one that is still in Redis, or being sent, is left alone by `enqueueOnce` and the claim).
   */
  async queued(afterId: string | null, limit: number): Promise<Array<{ id: string; agent_id: string; tier: string }>> {
    return this.database.query<{ id: string; agent_id: string; tier: string }>(
      `SELECT d.id, a.agent_id, a.tier FROM deliveries d JOIN approvals a ON a.id = d.approval_id
        WHERE d.state = 'queued' AND a.status = 'pending' AND ($1::uuid IS NULL OR d.id > $1::uuid) ORDER BY d.id LIMIT $2`,
      [afterId, limit],
    );
  }

  /** What Redis may have lost, found from Postgres: the sweep re-enqueues each (the jobs are idempotent). */
  async overdue(
    graceSeconds: number,
    limit: number,
  ): Promise<{
    unplanned: Array<{ id: string; agent_id: string; tier: string }>;
    queued: Array<{ id: string; agent_id: string; tier: string }>;
    reminders: string[];
    /** The step due next of each approval whose ladder has one past its delay. */
    escalations: Array<{ id: string; step: number }>;
    outcomes: string[];
  }> {
    const [unplanned, queued, reminders, escalations, outcomes] = await Promise.all([
      this.database.query<{ id: string; agent_id: string; tier: string }>(
        `SELECT id, agent_id, tier FROM approvals WHERE status = 'pending' AND notified_at IS NULL AND requirement->>'decision' = 'approve'
            AND created_at < now() - make_interval(secs => $1) AND expires_at > now() ORDER BY created_at LIMIT $2`,
        [graceSeconds, limit],
      ),
      this.database.query<{ id: string; agent_id: string; tier: string }>(
        `SELECT d.id, a.agent_id, a.tier FROM deliveries d JOIN approvals a ON a.id = d.approval_id
          WHERE d.state = 'queued' AND d.updated_at < now() - make_interval(secs => $1) AND a.status = 'pending' ORDER BY d.updated_at LIMIT $2`,
        [graceSeconds, limit],
      ),
      this.database.query<{ id: string }>(
        `SELECT id FROM approvals WHERE status = 'pending' AND reminded_at IS NULL AND (requirement->>'remind_after_seconds') IS NOT NULL
            AND created_at + make_interval(secs => (requirement->>'remind_after_seconds')::int + $1) < now() AND expires_at > now() ORDER BY created_at LIMIT $2`,
        [graceSeconds, limit],
      ),
      // The next step of each ladder, once its delay has passed: step k+1 is `requirement.escalation[k]`.
      this.database.query<{ id: string; step: number }>(
        `SELECT id, escalation_step + 1 AS step FROM approvals
          WHERE status = 'pending' AND expires_at > now() AND ${LADDER_LENGTH_SQL} > escalation_step
            AND created_at + make_interval(secs => ${NEXT_STEP_AFTER_SQL} + $1) < now()
          ORDER BY created_at LIMIT $2`,
        [graceSeconds, limit],
      ),
      this.database.query<{ id: string }>(
        `SELECT DISTINCT a.id FROM approvals a JOIN deliveries d ON d.approval_id = a.id AND d.state = 'sent' AND d.external_ref IS NOT NULL AND d.outcome_shown IS NULL
          WHERE a.status <> 'pending' AND a.decided_at < now() - make_interval(secs => $1) AND d.channel IN ('slack', 'email', 'teams') LIMIT $2`,
        [graceSeconds, limit],
      ),
    ]);
    return {
      unplanned,
      queued,
      reminders: reminders.map((row) => row.id),
      escalations,
      outcomes: outcomes.map((row) => row.id),
    };
  }
}
