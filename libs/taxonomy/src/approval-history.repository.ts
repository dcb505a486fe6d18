import { Injectable } from '@nestjs/common';
import { Database } from '@countersign/database';
import { type Decision, type RecordedApproval, type StepUp, type Tier } from '@countersign/domain';

/** Where a page of history ends: the next page starts strictly before it (newest first). */
export interface HistoryCursor {
  createdAt: Date;
  id: string;
}

export interface UnknownActionRow {
  actionType: string;
  count: number;
  lastSeen: Date;
  agents: string[];
}

interface HistoryRow {
  id: string;
  created_at: Date;
  action_type: string;
  action_resource: string;
  args: Record<string, unknown>;
  provenance: string[];
  tier: Tier;
  decision: Decision;
  approvals_required: number;
  step_up: StepUp;
  rule: string;
  agent_id: string;
  client_id: string;
  agent_name: string;
  person_id: string;
  email: string;
  role: string;
}

/** Reads stored approvals for taxonomy review: replay and the unknown-actions report. Read-only. */
@Injectable()
export class ApprovalHistoryRepository {
  constructor(private readonly database: Database) {}

  /**
   * One page of approvals, newest first, with what replay needs to classify them again: the (redacted) action,
   * the provenance, the agent and person as they are now, and the tier and requirement recorded at intake.
   * Keyset pagination on (created_at, id), which the approvals_created index serves.
   */
  async page(options: { before: HistoryCursor | null; since: Date | null; limit: number }): Promise<RecordedApproval[]> {
    const rows = await this.database.query<HistoryRow>(
      `SELECT a.id, a.created_at, a.action_type, a.action_resource, a.args, a.provenance, a.tier,
              a.requirement->>'decision' AS decision, (a.requirement->>'approvals_required')::int AS approvals_required,
              a.requirement->>'step_up' AS step_up, a.classification->>'rule' AS rule,
              ag.id AS agent_id, ag.client_id, ag.name AS agent_name, p.id AS person_id, p.email, p.role
         FROM approvals a
         JOIN agents ag ON ag.id = a.agent_id
         JOIN people p ON p.id = a.on_behalf_of_id
        WHERE ($1::timestamptz IS NULL OR (a.created_at, a.id) < ($1::timestamptz, $2::uuid))
          AND ($3::timestamptz IS NULL OR a.created_at >= $3::timestamptz)
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $4`,
      [options.before?.createdAt.toISOString() ?? null, options.before?.id ?? null, options.since?.toISOString() ?? null, options.limit],
    );
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      input: {
        action: { type: row.action_type, resource: row.action_resource, args: row.args },
        agent: { id: row.agent_id, client_id: row.client_id, name: row.agent_name },
        person: { id: row.person_id, email: row.email, role: row.role },
        context: { provenance: row.provenance },
      },
      recorded: {
        tier: row.tier,
        decision: row.decision,
        approvals_required: row.approvals_required,
        step_up: row.step_up,
        rule: row.rule,
      },
    }));
  }

  /** Action types that matched no taxonomy entry when they were requested since `since`, most frequent first. */
  async unknownActions(since: Date, limit: number): Promise<UnknownActionRow[]> {
    const rows = await this.database.query<{ action_type: string; count: number; last_seen: Date; agents: string[] }>(
      `SELECT a.action_type, count(*)::int AS count, max(a.created_at) AS last_seen, array_agg(DISTINCT ag.name ORDER BY ag.name) AS agents
         FROM approvals a
         JOIN agents ag ON ag.id = a.agent_id
        WHERE a.created_at >= $1 AND a.classification->>'rule' = 'unknown_action'
        GROUP BY a.action_type
        ORDER BY count DESC, a.action_type
        LIMIT $2`,
      [since.toISOString(), limit],
    );
    return rows.map((row) => ({ actionType: row.action_type, count: row.count, lastSeen: row.last_seen, agents: row.agents }));
  }
}
