import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { jobId, JobName, QueueService } from '@countersign/queue';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { LiveEvents } from './live-events';
import { type ApprovalsDeprovisioned, PersonDeprovisioningService } from './person-deprovisioning.service';

/**
 * After a person's deprovisioning committed (where Redis is loaded): the agents of cancelled and expired approvals
 * are told (long-polls wake, callbacks go out, messages show the outcome), and escalated approvals' new approvers
 * are reached, as the escalation job does. Without it (the CLI without Redis) the worker's sweeps send the callbacks.
 */
@Injectable()
export class DeprovisioningFollowUps implements OnModuleInit {
  private readonly logger = new Logger(DeprovisioningFollowUps.name);

  constructor(
    private readonly step: PersonDeprovisioningService,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly queue: QueueService,
    private readonly live: LiveEvents,
  ) {}

  onModuleInit(): void {
    this.step.useFollowUps((done) => this.run(done));
  }

  private async run({ finished, escalated }: ApprovalsDeprovisioned): Promise<void> {
    for (const approval of finished) await this.lifecycle.afterCommit(approval);
    for (const { approval, added } of escalated) {
      this.live.emit('approval.created', approval, added);
      await this.queue
        .enqueue(
          JobName.PlanNotifications,
          { approvalId: approval.id, agentId: approval.agentId },
          { jobId: jobId.planEscalated(approval.id), priority: await this.queue.fairPriority(approval.tier, approval.agentId) },
        )
        .catch((error: Error) => this.logger.error(`could not reach the escalated approvers of ${approval.id}: ${error.message}`));
    }
  }
}
