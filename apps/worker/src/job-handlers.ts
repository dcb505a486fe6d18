import { Injectable } from '@nestjs/common';
import { ApprovalLifecycleService, CallbacksService } from '@countersign/approvals';
import { JobName, type JobPayloads } from '@countersign/queue';

export type JobHandler<N extends JobName> = (payload: JobPayloads[N]) => Promise<void>;

/** Exactly one handler per job name: a `Record` over the enum, so a job without a handler does not compile. */
@Injectable()
export class JobHandlers {
  readonly byName: { [N in JobName]: JobHandler<N> };

  constructor(
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly callbacks: CallbacksService,
  ) {
    this.byName = {
      [JobName.ExpireApproval]: async ({ approvalId }) => {
        await this.lifecycle.expire(approvalId);
      },
      [JobName.SweepExpiredApprovals]: async () => {
        await this.lifecycle.sweepExpired();
        await this.callbacks.redeliverOverdue();
      },
      [JobName.DeliverCallback]: ({ approvalId, status }) => this.callbacks.deliver(approvalId, status),
    };
  }

  /** When a job has used its last attempt. */
  async exhausted(name: JobName, payload: unknown, reason: string): Promise<void> {
    if (name === JobName.DeliverCallback) {
      const { approvalId, status } = payload as JobPayloads[JobName.DeliverCallback];
      await this.callbacks.gaveUp(approvalId, status, reason);
    }
  }
}
