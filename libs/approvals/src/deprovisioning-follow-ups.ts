import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { type ApprovalsDeprovisioned, PersonDeprovisioningService } from './person-deprovisioning.service';

/** As long as a request waits for Redis after a commit (ApprovalLifecycleService's wait). */
const FOLLOW_UP_WAIT_MS = 2_000;

/**
 * After a person's deprovisioning committed (where Redis is loaded): the agents of cancelled and expired approvals
 * are told (long-polls wake, callbacks go out, messages show the outcome), and escalated approvals' new approvers
 * are reached and the next step scheduled, as the escalation job does. Without it (the CLI without Redis) the worker's sweeps send the callbacks.
 */
@Injectable()
export class DeprovisioningFollowUps implements OnModuleInit {
  private readonly logger = new Logger(DeprovisioningFollowUps.name);

  constructor(
    private readonly step: PersonDeprovisioningService,
    private readonly lifecycle: ApprovalLifecycleService,
  ) {}

  onModuleInit(): void {
    this.step.useFollowUps((done) => this.run(done));
  }

  /**
   * Never throws, and waits for Redis at most FOLLOW_UP_WAIT_MS: the person is disabled already. Callbacks Redis
   * loses go out with the worker's sweep; a lost message to an escalated approver is not sent again (they see the
   * approval in their inbox).
   */
  private async run({ finished, escalated }: ApprovalsDeprovisioned): Promise<void> {
    const work = Promise.all([
      ...finished.map((approval) => this.lifecycle.afterCommit(approval)),
      ...escalated.map((step) => this.lifecycle.afterEscalationStep(step)),
    ]).catch((error: Error) => this.logger.error(`deprovisioning follow-ups failed: ${error.message}`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, FOLLOW_UP_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
