import { Injectable } from '@nestjs/common';
import { type OutboxEvent } from '@countersign/audit';
import { type ApprovalEntity, Database, type Tx } from '@countersign/database';
import { type ApprovalStatus, eligibleEntries, type Requirement } from '@countersign/domain';
import { type IssuedTokenRow } from '@countersign/tokens';
import { CIBA_INSERT, CIBA_RECORDSET, type CibaRequestRow } from './ciba.repository';

/** What `classification` holds in the approvals row. */
export interface StoredClassification {
  tier: string;
  reversibility: string | null;
  blast_radius: string | null;
  rule: string;
  reasons: string[];
  /** Set when intake refused the request (confused deputy, policy): replays answer with the same refusal. */
  refusal?: { code: 'capability_missing' | 'permission_missing' | 'forbidden_by_policy'; message: string };
}

/**
 * The approvals row, its JSON columns typed: `classification` and `requirement` are written by intake from these
 * types and typed once, where the row is read (`approvalFromRow`). The entity's status union is the domain's.
 */
export type ApprovalRecord = Omit<ApprovalEntity, 'classification' | 'requirement'> & {
  classification: StoredClassification;
  /** What the taxonomy compiled for the approval's tier when it was created. */
  requirement: Requirement;
};
export type NewApproval = Omit<ApprovalRecord, 'id' | 'createdAt' | 'updatedAt' | 'decidedAt'> & { decidedAt: Date | null };

/** What the intake insert returns of each approval it wrote. */
export interface InsertedApproval {
  createdAt: Date;
  updatedAt: Date;
}

const APPROVAL_COLUMNS = [
  'id',
  'agent_id',
  'on_behalf_of_id',
  'action_type',
  'action_resource',
  'args',
  'audience',
  'reason',
  'provenance',
  'tier',
  'classification',
  'requirement',
  'taxonomy_version',
  'action_digest',
  'status',
  'status_reason',
  'expires_at',
  'idempotency_key',
  'request_hash',
  'callback_url',
  'callback_state',
  'binding_message',
  'decided_at',
].join(', ');
/** What a read of one approval selects: every column of the record. */
const APPROVAL_RECORD = `${APPROVAL_COLUMNS}, escalated_to, escalation_step, group_members, created_at, updated_at`;

/**
 * In SQL over an approvals row: how many steps its ladder has, and the delay (seconds) of the step due next
 * (`escalation_step` counts those taken). Requirements stored before the ladder have no `escalation`: their one
 * step is `escalate_after_seconds` + `escalate_to`, as `escalationLadder()` reads them.
 */
export const LADDER_LENGTH_SQL = `COALESCE(jsonb_array_length(requirement->'escalation'),
  CASE WHEN requirement->>'escalate_after_seconds' IS NOT NULL AND jsonb_array_length(COALESCE(requirement->'escalate_to', '[]'::jsonb)) > 0 THEN 1 ELSE 0 END)`;
export const NEXT_STEP_AFTER_SQL = `COALESCE(requirement->'escalation'->escalation_step->>'after_seconds',
  CASE WHEN NOT requirement ? 'escalation' AND escalation_step = 0 THEN requirement->>'escalate_after_seconds' END)::int`;

/**
 * One request's intake write: the approval, its audit events, its token row when it was auto-approved, and its
 * CIBA request when it came through that door.
 */
export interface IntakeWrite {
  approval: NewApproval & { id: string };
  audit: OutboxEvent[];
  token: IssuedTokenRow | null;
  ciba?: CibaRequestRow | null;
}

/** The SQL that matters for approvals: idempotent insert, guarded transitions, expiry scans. */
@Injectable()
export class ApprovalRepository {
  constructor(private readonly database: Database) {}

  /**
   * The intake write for a batch of requests: every approval, its audit events (into the outbox) and its token row,
   * in ONE statement, which Postgres runs atomically, instead of a transaction of several round trips per request.
   * A request whose idempotency key the agent already used writes nothing (its approval insert does nothing, and
   * the other inserts select from the approvals actually inserted). `groupMembers` come resolved (`IntakeWriter`).
   * Returns the inserted ids with their timestamps.
   */
  async insertWithRecords(items: IntakeWrite[]): Promise<Map<string, InsertedApproval>> {
    const approvals = items.map(({ approval }) => ({
      id: approval.id,
      agent_id: approval.agentId,
      on_behalf_of_id: approval.onBehalfOfId,
      action_type: approval.actionType,
      action_resource: approval.actionResource,
      args: approval.args,
      audience: approval.audience,
      reason: approval.reason,
      provenance: approval.provenance,
      tier: approval.tier,
      classification: approval.classification,
      requirement: approval.requirement,
      taxonomy_version: approval.taxonomyVersion,
      action_digest: approval.actionDigest,
      status: approval.status,
      status_reason: approval.statusReason,
      expires_at: approval.expiresAt.toISOString(),
      idempotency_key: approval.idempotencyKey,
      request_hash: approval.requestHash,
      callback_url: approval.callbackUrl,
      callback_state: approval.callbackState,
      binding_message: approval.bindingMessage,
      decided_at: approval.decidedAt?.toISOString() ?? null,
      group_members: approval.groupMembers,
    }));
    const audit = items.flatMap(({ approval, audit: events }) => events.map((event) => ({ ...event, approvalId: approval.id })));
    const tokens = items.flatMap(({ token }) => (token ? [token] : []));
    const cibaRequests = items.flatMap(({ ciba }) => (ciba ? [ciba] : []));
    const rows = await this.database.query<{ id: string; created_at: Date; updated_at: Date }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           id uuid, agent_id uuid, on_behalf_of_id uuid, action_type text, action_resource text, args jsonb, audience text,
           reason text, provenance text[], tier text, classification jsonb, requirement jsonb, taxonomy_version int,
           action_digest text, status text, status_reason text, expires_at timestamptz, idempotency_key text,
           request_hash text, callback_url text, callback_state text, binding_message text, decided_at timestamptz, group_members jsonb)
       ), a AS (
         INSERT INTO approvals (${APPROVAL_COLUMNS}, group_members)
         SELECT ${APPROVAL_COLUMNS}, group_members FROM input ORDER BY agent_id -- the pending counters' row locks, in one order (migration 1764500000000)
         ON CONFLICT DO NOTHING RETURNING id, created_at, updated_at
       ), o AS (
         INSERT INTO audit_outbox (occurred_at, actor_type, actor_id, type, subject_type, subject_id, data)
         SELECT v."occurredAt"::timestamptz, v."actorType", v."actorId", v.type, v."subjectType", v."subjectId", v.data
           FROM ROWS FROM (jsonb_to_recordset($2::jsonb)
             AS ("approvalId" uuid, "occurredAt" text, "actorType" text, "actorId" text, type text, "subjectType" text, "subjectId" text, data jsonb))
             WITH ORDINALITY AS v("approvalId", "occurredAt", "actorType", "actorId", type, "subjectType", "subjectId", data, ordinality)
           JOIN a ON a.id = v."approvalId"
          ORDER BY v.ordinality
       ), t AS (
         INSERT INTO issued_tokens (jti, approval_id, audience, token_enc, expires_at)
         SELECT v.jti, a.id, v.audience, v."tokenEnc", v."expiresAt"::timestamptz
           FROM jsonb_to_recordset($3::jsonb) AS v(jti text, "approvalId" uuid, audience text, "tokenEnc" text, "expiresAt" text)
           JOIN a ON a.id = v."approvalId"
       ), c AS (
         ${CIBA_INSERT}
         SELECT v."authReqHash", a.id, v."agentId", v.scopes, v."authorizationDetailsEnc", v."deliveryMode", v."pingEnc",
                v."intervalSeconds", v."expiresAt"
           FROM jsonb_to_recordset($4::jsonb) AS v(${CIBA_RECORDSET})
           JOIN a ON a.id = v."approvalId"
       )
       SELECT id, created_at, updated_at FROM a`,
      [JSON.stringify(approvals), JSON.stringify(audit), JSON.stringify(tokens), JSON.stringify(cibaRequests)],
    );
    return new Map(rows.map((row) => [row.id, { createdAt: row.created_at, updatedAt: row.updated_at }]));
  }

  // The reads below are prepared statements through `Database.rows` (ADR 0009): they run on every request that
  // names an approval, and TypeORM's find built and parsed each anew.
  async findForAgent(id: string, agentId: string): Promise<ApprovalRecord | null> {
    if (!isUuid(id)) return null;
    return this.one(undefined, `SELECT ${APPROVAL_RECORD} FROM approvals WHERE id = $1 AND agent_id = $2`, [id, agentId]);
  }

  async findById(id: string): Promise<ApprovalRecord | null> {
    if (!isUuid(id)) return null;
    return this.one(undefined, `SELECT ${APPROVAL_RECORD} FROM approvals WHERE id = $1`, [id]);
  }

  async findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<ApprovalRecord | null> {
    return this.one(undefined, `SELECT ${APPROVAL_RECORD} FROM approvals WHERE agent_id = $1 AND idempotency_key = $2`, [
      agentId,
      idempotencyKey,
    ]);
  }

  /** Counts at most `limit` rows: the question is only whether the agent reached its limit. */
  /**
   * Moves a pending approval to `to` in one guarded UPDATE: of two concurrent transitions only one matches.
   * `onlyIfDue` restricts it to approvals whose expiry has passed (the expiry job and the sweeper).
   */
  async transitionFromPending(tx: Tx, id: string, to: ApprovalStatus, reason: string, onlyIfDue = false): Promise<ApprovalRecord | null> {
    return this.one(
      tx,
      `UPDATE approvals SET status = $2, status_reason = $3, decided_at = now(), updated_at = now(),
              callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'due' END
        WHERE id = $1 AND status = 'pending' ${onlyIfDue ? 'AND expires_at <= now()' : ''}
        RETURNING ${APPROVAL_RECORD}`,
      [id, to, reason],
    );
  }

  /**
   * The kill switch: every pending approval of the agent moves to `to` (their callbacks fall due). Returns their ids.
   * Locks in the order disabling a person does (people, then approvals by id): first the people they were requested
   * for (FOR KEY SHARE, as the pending counters' foreign key takes it when this commits), then the approvals. With
   * the one statement only, the approvals were locked first and the person at commit, while a disable held that
   * person and waited for the approvals: a deadlock. (An approval requested for someone else between the two
   * statements is still cancelled; its person is then locked at commit, as before.)
   */
  async transitionPendingOfAgent(tx: Tx, agentId: string, to: ApprovalStatus, reason: string): Promise<string[]> {
    await this.database.rows(
      tx,
      `SELECT p.id FROM people p
        WHERE p.id IN (SELECT a.on_behalf_of_id FROM approvals a WHERE a.agent_id = $1 AND a.status = 'pending')
        ORDER BY p.id FOR KEY SHARE`,
      [agentId],
    );
    const rows = await this.database.rows<{ id: string }>(
      tx,
      `WITH locked AS (SELECT id FROM approvals WHERE agent_id = $1 AND status = 'pending' ORDER BY id FOR UPDATE)
       UPDATE approvals a SET status = $2, status_reason = $3, decided_at = now(), updated_at = now(),
              callback_state = CASE WHEN a.callback_url IS NULL THEN NULL ELSE 'due' END
         FROM locked WHERE a.id = locked.id AND a.status = 'pending' RETURNING a.id`,
      [agentId, to, reason],
    );
    return rows.map((row) => row.id);
  }

  /** The agent's approved approvals: the ones that may have a token still to revoke. */
  async approvedIdsOfAgent(tx: Tx, agentId: string): Promise<string[]> {
    const rows = await this.database.rows<{ id: string }>(tx, `SELECT id FROM approvals WHERE agent_id = $1 AND status = 'approved'`, [
      agentId,
    ]);
    return rows.map((row) => row.id);
  }

  /**
   * Deprovisioning: locks, in id order (one lock order for every multi-row lock here), the pending approvals a
   * person is part of: requested on their behalf, naming them among their approvers (`entries`, from
   * `approverEntriesFor`; `on_behalf_of` covers the requested-for person),
   * a `group:` entry whose recorded members list them, or holding a decision of theirs. Returns the ones requested
   * on their behalf and the others apart.
   */
  async lockPendingInvolving(tx: Tx, personId: string, entries: string[]): Promise<{ onBehalfOf: string[]; approving: string[] }> {
    const rows = await this.database.rows<{ id: string; on_behalf: boolean }>(
      tx,
      `SELECT a.id, a.on_behalf_of_id = $1 AS on_behalf FROM approvals a
        WHERE a.status = 'pending'
          AND (a.on_behalf_of_id = $1 OR a.requirement->'approvers' ?| $2::text[] OR a.escalated_to && $2::text[]
               OR EXISTS (SELECT 1 FROM jsonb_each(a.group_members) g WHERE g.value ? $3::text)
               OR EXISTS (SELECT 1 FROM decisions d WHERE d.approval_id = a.id AND d.person_id = $1))
        ORDER BY a.id FOR UPDATE OF a`,
      [personId, entries, personId],
    );
    return {
      onBehalfOf: rows.filter((row) => row.on_behalf).map((row) => row.id),
      approving: rows.filter((row) => !row.on_behalf).map((row) => row.id),
    };
  }

  /**
   * Read after the locks are held: for each approval, the approvals that count and how many enabled people who may
   * decide it have not decided yet (the same resolution as planning and eligibility: `on_behalf_of`, `role:`,
   * `person:`, and `group:` through the members recorded on the approval; a delegate is not counted, so an approval
   * left only to a delegate is escalated rather than trusted to them), and whether an escalation is still to come.
   */
  async quorumState(
    tx: Tx,
    approvalIds: string[],
  ): Promise<Array<{ id: string; approvalsRequired: number; approvalsCounted: number; eligibleUndecided: number; canEscalate: boolean }>> {
    if (approvalIds.length === 0) return [];
    const rows = await this.database.rows<{
      id: string;
      approvals_required: number;
      approvals_counted: number;
      eligible_undecided: number;
      can_escalate: boolean;
    }>(
      tx,
      `SELECT a.id, COALESCE((a.requirement->>'approvals_required')::int, 1) AS approvals_required,
              (SELECT count(*)::int FROM decisions d WHERE d.approval_id = a.id AND d.verdict = 'approve') AS approvals_counted,
              (SELECT count(*)::int FROM people p
                WHERE p.status = 'active'
                  AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.approval_id = a.id AND d.person_id = p.id)
                  AND EXISTS (SELECT 1 FROM unnest(e.entries) AS entry
                               WHERE (entry = 'on_behalf_of' AND p.id = a.on_behalf_of_id) OR entry = 'role:' || p.role
                                  OR entry = 'person:' || p.id::text OR entry = 'person:' || lower(p.email)
                                  OR (entry LIKE 'group:%' AND a.group_members->(substr(entry, 7)) ? p.id::text))) AS eligible_undecided,
              a.escalation_step < ${LADDER_LENGTH_SQL} AS can_escalate
         FROM approvals a
         CROSS JOIN LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(a.requirement->'approvers')) || a.escalated_to AS entries) e
        WHERE a.id = ANY($1::uuid[]) AND a.status = 'pending'
        ORDER BY a.id`,
      [approvalIds],
    );
    return rows.map((row) => ({
      id: row.id,
      approvalsRequired: row.approvals_required,
      approvalsCounted: row.approvals_counted,
      eligibleUndecided: row.eligible_undecided,
      canEscalate: row.can_escalate,
    }));
  }

  /** The approved approvals requested on the person's behalf: the ones that may have a token still to revoke. */
  async approvedIdsOnBehalfOf(tx: Tx, personId: string): Promise<string[]> {
    const rows = await this.database.rows<{ id: string }>(
      tx,
      `SELECT id FROM approvals WHERE on_behalf_of_id = $1 AND status = 'approved'`,
      [personId],
    );
    return rows.map((row) => row.id);
  }

  /** Claims the reminder once: true for the one caller that set `reminded_at` on a still pending approval. */
  async claimReminder(approvalId: string): Promise<boolean> {
    const rows = await this.database.query<{ id: string }>(
      `UPDATE approvals SET reminded_at = now() WHERE id = $1 AND status = 'pending' AND reminded_at IS NULL RETURNING id`,
      [approvalId],
    );
    return rows.length > 0;
  }

  /**
   * Claims step `step` (1-based) of the approval's escalation ladder, or the step after the last one taken (`next`),
   * in the caller's transaction: of every job, sweep and early escalation that tries the same step, one matches (the
   * step before it must be the last taken). Null when the step was taken already, an earlier one was not, the ladder
   * has no such step, or the approval is final or past its expiry. The row stays locked until the caller records
   * what the step added; the record's `escalationStep` is the step claimed.
   */
  async claimEscalationStep(tx: Tx, approvalId: string, step: number | 'next'): Promise<ApprovalRecord | null> {
    return this.one(
      tx,
      `UPDATE approvals SET escalation_step = escalation_step + 1, escalated_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'pending' AND expires_at > now() AND ($2::int IS NULL OR escalation_step = $2 - 1)
          AND ${LADDER_LENGTH_SQL} > escalation_step
        RETURNING ${APPROVAL_RECORD}`,
      [approvalId, step === 'next' ? null : step],
    );
  }

  /** What a claimed step added: its entries after those of earlier steps, and the group snapshots merged in. */
  async recordEscalationStep(tx: Tx, approvalId: string, added: string[], groupMembers: Record<string, string[]>): Promise<ApprovalRecord> {
    const updated = await this.one(
      tx,
      `UPDATE approvals SET escalated_to = escalated_to || $2::text[], group_members = $3::jsonb WHERE id = $1 RETURNING ${APPROVAL_RECORD}`,
      [approvalId, added, JSON.stringify(groupMembers)],
    );
    if (!updated) throw new Error(`approval ${approvalId} vanished while its escalation step was recorded`);
    return updated;
  }

  async markMessagesUpdated(approvalId: string): Promise<void> {
    await this.database.query(`UPDATE approvals SET messages_updated_at = now() WHERE id = $1`, [approvalId]);
  }

  async setCallbackState(id: string, from: 'due', to: 'delivered' | 'failed'): Promise<void> {
    await this.database.manager().query(`UPDATE approvals SET callback_state = $3 WHERE id = $1 AND callback_state = $2`, [id, from, to]);
  }

  /** Final approvals whose callback is still due after `graceSeconds`: their job may have been lost with Redis. */
  async overdueCallbacks(graceSeconds: number, limit: number): Promise<Array<{ id: string; status: ApprovalStatus }>> {
    return this.database
      .manager()
      .query(
        `SELECT id, status FROM approvals WHERE callback_state = 'due' AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
        [graceSeconds, limit],
      );
  }

  async duePendingIds(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.database
      .manager()
      .query(`SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT $1`, [limit]);
    return rows.map((row) => row.id);
  }

  private async one(tx: Tx | undefined, sql: string, parameters: unknown[]): Promise<ApprovalRecord | null> {
    const [row] = await this.database.rows<Record<string, unknown>>(tx, sql, parameters);
    return row ? approvalFromRow(row) : null;
  }
}

/** An approval row as `pg` returns it, or as `to_jsonb(a)` renders it (timestamps as strings). */
export function approvalFromRow(row: Record<string, unknown>): ApprovalRecord {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string | Date));
  return {
    id: row.id as string,
    agentId: row.agent_id as string,
    onBehalfOfId: row.on_behalf_of_id as string,
    actionType: row.action_type as string,
    actionResource: row.action_resource as string,
    args: row.args as Record<string, unknown>,
    audience: row.audience as string,
    reason: row.reason as string | null,
    provenance: row.provenance as string[],
    tier: row.tier as string,
    classification: row.classification as StoredClassification,
    requirement: row.requirement as Requirement,
    taxonomyVersion: row.taxonomy_version as number,
    actionDigest: row.action_digest as string,
    status: row.status as ApprovalStatus,
    statusReason: row.status_reason as string | null,
    expiresAt: date(row.expires_at)!,
    idempotencyKey: row.idempotency_key as string | null,
    requestHash: row.request_hash as string,
    callbackUrl: row.callback_url as string | null,
    callbackState: row.callback_state as ApprovalRecord['callbackState'],
    bindingMessage: (row.binding_message as string | null | undefined) ?? null,
    escalatedTo: (row.escalated_to as string[] | undefined) ?? [],
    escalationStep: (row.escalation_step as number | undefined) ?? 0,
    groupMembers: (row.group_members as Record<string, string[]> | undefined) ?? {},
    decidedAt: date(row.decided_at),
    createdAt: date(row.created_at)!,
    updatedAt: date(row.updated_at)!,
  };
}

/** Who may decide the approval: its requirement's approver entries and any escalation entries. */
export function eligibleEntriesOf(approval: ApprovalRecord): string[] {
  return eligibleEntries(approval);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
