import { Injectable } from '@nestjs/common';
import { type Actor } from '@countersign/audit';
import { type AgentRecord, AgentsService } from '@countersign/agents';
import { DomainError } from '@countersign/domain';
import { type AgentPrincipal, ApprovalTokenService } from '@countersign/tokens';
import { ApprovalEvents } from './approval-events';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalRepository, type ApprovalRecord } from './approval.repository';
import { type ApprovalView, toApprovalView } from './approval-view';
import { DecisionRepository } from './decision.repository';

export const MAX_WAIT_SECONDS = 60;

/** The agent's reads and cancel. An agent sees only its own approvals: anything else is 404, not 403. */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly events: ApprovalEvents,
    private readonly tokens: ApprovalTokenService,
    private readonly agents: AgentsService,
    private readonly decisions: DecisionRepository,
  ) {}

  /** With `waitSeconds`, holds the answer until the status leaves `pending` (any API instance may change it). */
  async get(principal: AgentPrincipal, id: string, waitSeconds = 0, signal?: AbortSignal): Promise<ApprovalView> {
    const agent = await this.activeAgent(principal);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw new DomainError('invalid_request', `wait must be an integer from 0 to ${MAX_WAIT_SECONDS}`, { field: 'wait' });
    }
    let approval = await this.current(agent, id);
    if (approval.status === 'pending' && waitSeconds > 0) {
      const untilExpiry = Math.max(0, approval.expiresAt.getTime() - Date.now()) + 50;
      await this.events.waitForChange(
        approval.id,
        Math.min(waitSeconds * 1000, untilExpiry),
        signal,
        async () => (await this.current(agent, id)).status !== 'pending',
      );
      approval = await this.current(agent, id);
    }
    return this.view(approval);
  }

  async cancel(principal: AgentPrincipal, id: string): Promise<ApprovalView> {
    const agent = await this.activeAgent(principal);
    const actor: Actor = { type: 'agent', id: agent.id, clientId: agent.clientId };
    const approval = await this.current(agent, id);
    const cancelled = await this.lifecycle.cancel(actor, approval.id, 'cancelled by the agent');
    if (cancelled) return this.view(cancelled);
    const final = await this.current(agent, id);
    throw new DomainError('already_final', `the approval is already ${final.status}`, { current_status: final.status });
  }

  private async activeAgent(principal: AgentPrincipal): Promise<AgentRecord> {
    const agent = await this.agents.findById(principal.agentId);
    if (!agent || agent.status !== 'active') throw new DomainError('unauthenticated', 'the agent is suspended or no longer exists');
    return agent;
  }

  /** Reads the row and, if its expiry has passed unnoticed (Redis lost the job), expires it now. */
  private async current(agent: AgentRecord, id: string): Promise<ApprovalRecord> {
    const approval = await this.approvals.findForAgent(id, agent.id);
    if (!approval) throw new DomainError('not_found', 'no such approval');
    if (approval.status === 'pending' && approval.expiresAt.getTime() <= Date.now()) {
      return (await this.lifecycle.expire(approval.id)) ?? (await this.approvals.findForAgent(id, agent.id))!;
    }
    return approval;
  }

  private async view(approval: ApprovalRecord): Promise<ApprovalView> {
    // Only tiers that wait for people can have decisions (saves a query on the auto-approved hot path). The reads
    // are independent: they go out together.
    const needsPeople = approval.requirement.decision === 'approve';
    const [token, decisions, notifications] = await Promise.all([
      approval.status === 'approved' ? this.tokens.tokenFor(approval.id) : null,
      needsPeople ? this.decisions.decisionsOf(undefined, approval.id) : [],
      needsPeople ? this.decisions.notificationsOf(approval.id) : [],
    ]);
    return toApprovalView(
      approval,
      token,
      decisions.map((decision) => ({
        person: decision.personId,
        verdict: decision.verdict,
        reason: decision.reason,
        channel: decision.channel,
        decided_at: decision.createdAt.toISOString(),
      })),
      notifications,
    );
  }
}
