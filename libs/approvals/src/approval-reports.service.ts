import { Injectable } from '@nestjs/common';
import { AgentsService } from '@countersign/agents';
import { type AgentApprovalSummary, type Overview } from '@countersign/contract';
import { DomainError, FAST_DECISION_MS, TIERS } from '@countersign/domain';
import { type AgentApprovalRow, ApprovalReportsRepository, type Outcome } from './approval-reports.repository';

export const OUTCOMES: readonly Outcome[] = ['approved', 'denied', 'expired', 'cancelled', 'pending'];
export const MAX_OVERVIEW_DAYS = 90;
const RECENT_FAST = 10;

export type OutcomeCounts = Record<Outcome, number>;

/**
 * What the admin console's overview shows (libs/contract's `Overview`): approvals of the period (every tier, in
 * order, even with none, so a chart keeps its shape), time from request to final decision, decisions made moments
 * after the person was shown the request (web: first opened; Slack: the DM delivered), what did not arrive.
 */
export type AdminOverview = Overview;

/** One of an agent's approvals on the wire (libs/contract's `AgentApprovalSummary`). */
export type AgentApprovalView = AgentApprovalSummary;

/** Read-only reports for admins over approvals, decisions and deliveries. */
@Injectable()
export class ApprovalReportsService {
  constructor(
    private readonly reports: ApprovalReportsRepository,
    private readonly agents: AgentsService,
  ) {}

  async overview(days: number, now = new Date()): Promise<AdminOverview> {
    if (!Number.isInteger(days) || days < 1 || days > MAX_OVERVIEW_DAYS)
      throw new DomainError('invalid_request', `days must be 1-${MAX_OVERVIEW_DAYS}`, { field: 'days' });
    const since = new Date(now.getTime() - days * 86_400_000);
    const [counts, pending, times, decisions, fast, deliveries] = await Promise.all([
      this.reports.countsByTierAndStatus(since),
      this.reports.pendingByTier(),
      this.reports.decisionTimes(since),
      this.reports.decisionCount(since),
      this.reports.fastDecisions(since, RECENT_FAST),
      this.reports.failingDeliveries(since),
    ]);

    const byOutcome = emptyOutcomes();
    const byTier = new Map<string, { tier: string; total: number } & OutcomeCounts>(
      TIERS.map((tier) => [tier, { tier, total: 0, ...emptyOutcomes() }]),
    );
    for (const { tier, status, count } of counts) {
      const row = byTier.get(tier) ?? { tier, total: 0, ...emptyOutcomes() };
      row[status] += count;
      row.total += count;
      byTier.set(tier, row);
      byOutcome[status] += count;
    }
    const pendingByTier = new Map<string, number>(TIERS.map((tier) => [tier, 0]));
    for (const { tier, count } of pending) pendingByTier.set(tier, count);

    const channels = new Map<string, { channel: string; failed: number; gone: number; unreachable: number; total: number }>();
    for (const { channel, state, count } of deliveries) {
      const row = channels.get(channel) ?? { channel, failed: 0, gone: 0, unreachable: 0, total: 0 };
      row[state] += count;
      row.total += count;
      channels.set(channel, row);
    }

    return {
      period: { days, since: since.toISOString(), until: now.toISOString() },
      approvals: { total: counts.reduce((sum, row) => sum + row.count, 0), by_outcome: byOutcome, by_tier: [...byTier.values()] },
      time_to_decision: { decided: times.decided, p50_seconds: seconds(times.p50Ms), p90_seconds: seconds(times.p90Ms) },
      decisions: {
        total: decisions.total,
        fast: decisions.fast,
        fast_threshold_seconds: FAST_DECISION_MS / 1000,
        recent_fast: fast.map((row) => ({
          approval_id: row.approvalId,
          action_type: row.actionType,
          tier: row.tier,
          person: row.email,
          verdict: row.verdict,
          channel: row.channel,
          decided_at: row.decidedAt.toISOString(),
        })),
      },
      deliveries_failing: { total: deliveries.reduce((sum, row) => sum + row.count, 0), by_channel: [...channels.values()] },
      pending_now: {
        total: pending.reduce((sum, row) => sum + row.count, 0),
        by_tier: [...pendingByTier].map(([tier, count]) => ({ tier, count })),
      },
    };
  }

  /** An agent's newest approvals, for its page in the console. */
  async forAgent(reference: string, limit: number): Promise<AgentApprovalView[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new DomainError('invalid_request', 'limit must be 1-100', { field: 'limit' });
    const agent = await this.agents.find(reference);
    if (!agent) throw new DomainError('not_found', 'no such agent');
    return (await this.reports.forAgent(agent.id, limit)).map(agentApprovalView);
  }
}

function emptyOutcomes(): OutcomeCounts {
  return { approved: 0, denied: 0, expired: 0, cancelled: 0, pending: 0 };
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 100) / 10;
}

function agentApprovalView(row: AgentApprovalRow): AgentApprovalView {
  return {
    id: row.id,
    status: row.status,
    status_reason: row.statusReason,
    tier: row.tier,
    action: { type: row.actionType, resource: row.actionResource },
    on_behalf_of: row.onBehalfOf,
    created_at: row.createdAt.toISOString(),
    decided_at: row.decidedAt?.toISOString() ?? null,
  };
}
