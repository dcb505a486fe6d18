import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Metrics } from '@countersign/observability';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalRepository } from './approval.repository';
import { DecisionRepository } from './decision.repository';
import { KillSwitchService, type Suspension } from './kill-switch.service';

/** The kill switch with its follow-ups, and the circuit breaker that pulls it automatically. */
@Injectable()
export class AgentControlService {
  private readonly logger = new Logger(AgentControlService.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly killSwitch: KillSwitchService,
    private readonly approvals: ApprovalRepository,
    private readonly decisions: DecisionRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  /** Suspends the agent (KillSwitchService), then wakes the cancelled approvals' waiters and enqueues their callbacks. */
  async suspend(actor: Actor, reference: string, reason?: string): Promise<Suspension> {
    const result = await this.killSwitch.suspend(actor, reference, reason);
    for (const id of result.cancelledApprovals) {
      const approval = await this.approvals.findById(id);
      if (approval) await this.lifecycle.afterCommit(approval);
    }
    return result;
  }

  /**
   * After an agent's request was refused or denied: with CIRCUIT_BREAKER_THRESHOLD such outcomes within the window,
   * the agent is suspended (an agent that keeps asking for what it may not do is misbehaving or compromised).
   * Never throws: the refusal that triggered it has already been answered.
   */
  async afterDenial(agentId: string): Promise<void> {
    const threshold = this.config.circuitBreakerThreshold;
    if (threshold === 0) return;
    try {
      const minutes = this.config.circuitBreakerWindowMinutes;
      const count = await this.decisions.countDenied(agentId, minutes);
      if (count < threshold) return;
      const reason = `circuit breaker: ${count} refused or denied requests within ${minutes} minutes (threshold ${threshold})`;
      const result = await this.suspend(SYSTEM, agentId, reason);
      if (!result.changed) return;
      await this.audit.record(SYSTEM, [
        {
          type: AuditEventType.AgentCircuitBreakerTripped,
          subject: { type: 'agent', id: agentId },
          data: { denied: count, window_minutes: minutes, threshold },
        },
      ]);
      this.metrics.circuitBreakerTrips.inc();
      this.logger.warn(`agent ${result.agent.name} (${result.agent.clientId}) suspended: ${reason}`);
    } catch (error) {
      this.logger.error(`circuit breaker check failed for agent ${agentId}: ${(error as Error).message}`);
    }
  }
}
