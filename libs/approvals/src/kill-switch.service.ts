import { Injectable } from '@nestjs/common';
import { type AgentView, AgentsService } from '@countersign/agents';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { DomainError, nextStatus } from '@countersign/domain';
import { ApprovalTokenService } from '@countersign/tokens';
import { ApprovalRepository } from './approval.repository';

export interface Suspension {
  agent: AgentView;
  /** False when the agent already was suspended (nothing else happened). */
  changed: boolean;
  cancelledApprovals: string[];
}

/**
 * The kill switch's transaction, which needs Postgres only (the CLI runs it without Redis): the agent is
 * suspended (the agents library), its pending approvals cancelled (here, through the state machine) and its
 * unconsumed approval tokens revoked (the tokens library), all in one transaction, all audited.
 * AgentControlService adds the follow-ups that need Redis (waking long-polls, enqueueing callbacks).
 * Lock order: the agent's row, the people its pending approvals were requested for, then those approvals by id;
 * disabling a person (PeopleService.update, then PersonDeprovisioningService) takes the person and the approvals
 * it shares with this in the same order.
 */
@Injectable()
export class KillSwitchService {
  constructor(
    private readonly database: Database,
    private readonly agents: AgentsService,
    private readonly approvals: ApprovalRepository,
    private readonly tokens: ApprovalTokenService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Without the follow-ups, callbacks of the cancelled approvals go out with the worker's next sweep and agents
   * waiting on them see the change when their wait ends.
   */
  async suspend(actor: Actor, reference: string, reason?: string): Promise<Suspension> {
    const found = await this.agents.find(reference);
    if (!found) throw new DomainError('not_found', `no agent with id, client id or name ${JSON.stringify(reference)}`);
    const agent: AgentView = { ...found, status: 'suspended' };
    const why = reason?.trim().slice(0, 500) || 'agent suspended';
    const statusReason = `cancelled: ${why}`;
    const to = nextStatus('pending', 'cancel');
    const cancelled = await this.database.transaction(async (tx) => {
      if (!(await this.agents.markSuspended(tx, found))) return null;
      const ids = await this.approvals.transitionPendingOfAgent(tx, found.id, to, statusReason);
      const revokedTokens = await this.tokens.revokeUnconsumed(tx, await this.approvals.approvedIdsOfAgent(tx, found.id));
      await this.agents.auditSuspension(tx, actor, found, why, { cancelledApprovals: ids.length, revokedTokens });
      await this.audit.append(
        tx,
        actor,
        ids.map((id) => ({
          type: AuditEventType.ApprovalStatusChanged,
          subject: { type: 'approval', id },
          data: { from: 'pending', to, reason: statusReason },
        })),
      );
      return ids;
    });
    return { agent, changed: cancelled !== null, cancelledApprovals: cancelled ?? [] };
  }
}
