import { Injectable } from '@nestjs/common';
import { Database } from '@countersign/database';

export type Outcome = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

export interface TierOutcomeCount {
  tier: string;
  status: Outcome;
  count: number;
}

export interface DecisionTimes {
  decided: number;
  p50Ms: number | null;
  p90Ms: number | null;
}

export interface FastDecisionRow {
  approvalId: string;
  actionType: string;
  tier: string;
  email: string;
  verdict: 'approve' | 'deny';
  /** Where it was decided: `web` or `slack`. */
  channel: string;
  decidedAt: Date;
}

export interface FailingDeliveryCount {
  channel: string;
  state: 'failed' | 'gone' | 'unreachable';
  count: number;
}

export interface AgentApprovalRow {
  id: string;
  status: Outcome;
  statusReason: string | null;
  tier: string;
  actionType: string;
  actionResource: string;
  onBehalfOf: { id: string; email: string };
  createdAt: Date;
  decidedAt: Date | null;
}

/** Aggregates over approvals, decisions and deliveries for the admin overview; read-only. */
@Injectable()
export class ApprovalReportsRepository {
  constructor(private readonly database: Database) {}

  /** Approvals created since `since`, counted by tier and status. */
  async countsByTierAndStatus(since: Date): Promise<TierOutcomeCount[]> {
    const rows = await this.database.rows<{ tier: string; status: Outcome; count: number }>(
      undefined,
      `SELECT tier, status, count(*)::int AS count FROM approvals WHERE created_at >= $1 GROUP BY tier, status`,
      [since],
    );
    return rows;
  }

  /** Approvals pending right now (whenever they were created), by tier. */
  async pendingByTier(): Promise<Array<{ tier: string; count: number }>> {
    return this.database.rows(undefined, `SELECT tier, count(*)::int AS count FROM approvals WHERE status = 'pending' GROUP BY tier`);
  }

  /** From request to final decision, for approvals a person approved or denied since `since`. */
  async decisionTimes(since: Date): Promise<DecisionTimes> {
    const [row] = await this.database.rows<{ decided: number; p50: number | null; p90: number | null }>(
      undefined,
      `SELECT count(*)::int AS decided,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at) * 1000) AS p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at) * 1000) AS p90
         FROM approvals
        WHERE created_at >= $1 AND status IN ('approved', 'denied') AND decided_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM decisions d WHERE d.approval_id = approvals.id)`,
      [since],
    );
    return {
      decided: row.decided,
      p50Ms: row.p50 === null ? null : Math.round(Number(row.p50)),
      p90Ms: row.p90 === null ? null : Math.round(Number(row.p90)),
    };
  }

  /** Decisions people made on approvals created since `since`, and how many of them were flagged fast. */
  async decisionCount(since: Date): Promise<{ total: number; fast: number }> {
    const [row] = await this.database.rows<{ total: number; fast: number }>(
      undefined,
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE d.fast)::int AS fast
         FROM decisions d JOIN approvals a ON a.id = d.approval_id WHERE a.created_at >= $1`,
      [since],
    );
    return row;
  }

  /** The newest decisions flagged fast (made moments after the person was shown the request, on any channel). */
  async fastDecisions(since: Date, limit: number): Promise<FastDecisionRow[]> {
    const rows = await this.database.rows<{
      approval_id: string;
      action_type: string;
      tier: string;
      email: string;
      verdict: 'approve' | 'deny';
      channel: string;
      created_at: Date;
    }>(
      undefined,
      `SELECT d.approval_id, a.action_type, a.tier, p.email, d.verdict, d.channel, d.created_at
         FROM decisions d JOIN approvals a ON a.id = d.approval_id JOIN people p ON p.id = d.person_id
        WHERE d.fast AND a.created_at >= $1
        ORDER BY d.created_at DESC LIMIT $2`,
      [since, limit],
    );
    return rows.map((row) => ({
      approvalId: row.approval_id,
      actionType: row.action_type,
      tier: row.tier,
      email: row.email,
      verdict: row.verdict,
      channel: row.channel,
      decidedAt: row.created_at,
    }));
  }

  /** Deliveries that did not reach the person (failed after retries, subscription gone, no way to reach them). */
  async failingDeliveries(since: Date): Promise<FailingDeliveryCount[]> {
    return this.database.rows(
      undefined,
      `SELECT channel, state, count(*)::int AS count FROM deliveries
        WHERE created_at >= $1 AND state IN ('failed', 'gone', 'unreachable')
        GROUP BY channel, state ORDER BY channel, state`,
      [since],
    );
  }

  async forAgent(agentId: string, limit: number): Promise<AgentApprovalRow[]> {
    const rows = await this.database.rows<{
      id: string;
      status: Outcome;
      status_reason: string | null;
      tier: string;
      action_type: string;
      action_resource: string;
      person_id: string;
      email: string;
      created_at: Date;
      decided_at: Date | null;
    }>(
      undefined,
      `SELECT a.id, a.status, a.status_reason, a.tier, a.action_type, a.action_resource, p.id AS person_id, p.email, a.created_at, a.decided_at
         FROM approvals a JOIN people p ON p.id = a.on_behalf_of_id
        WHERE a.agent_id = $1
        ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
      [agentId, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      statusReason: row.status_reason,
      tier: row.tier,
      actionType: row.action_type,
      actionResource: row.action_resource,
      onBehalfOf: { id: row.person_id, email: row.email },
      createdAt: row.created_at,
      decidedAt: row.decided_at,
    }));
  }
}
