import { Injectable } from '@nestjs/common';
import { ApprovalLifecycleService, CallbacksService } from '@countersign/approvals';
import { NotificationService, SlackHomeService } from '@countersign/channels';
import { JobName, type JobPayloads, parseJobPayload } from '@countersign/queue';

export type JobHandler<N extends JobName> = (payload: JobPayloads[N]) => Promise<void>;

/** Exactly one handler per job name: a `Record` over the enum, so a job without a handler does not compile. */
@Injectable()
export class JobHandlers {
  readonly byName: { [N in JobName]: JobHandler<N> };

  constructor(
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly callbacks: CallbacksService,
    private readonly notifications: NotificationService,
    private readonly slackHomes: SlackHomeService,
  ) {
    this.byName = {
      [JobName.ExpireApproval]: async ({ approvalId }) => {
        await this.lifecycle.expire(approvalId);
      },
      [JobName.SweepExpiredApprovals]: async () => {
        await this.lifecycle.sweepExpired();
        await this.callbacks.redeliverOverdue();
        await this.notifications.sweep();
      },
      [JobName.DeliverCallback]: ({ approvalId, status }) => this.callbacks.deliver(approvalId, status),
      [JobName.RemindApproval]: ({ approvalId }) => this.notifications.remind(approvalId),
      [JobName.EscalateApproval]: async ({ approvalId, step, early }) => {
        await this.lifecycle.escalate(approvalId, step ?? 1, { early });
      },
      [JobName.PlanNotifications]: ({ approvalId }) => this.notifications.plan(approvalId),
      [JobName.DeliverNotification]: ({ deliveryId }) => this.notifications.deliver(deliveryId),
      [JobName.ShowOutcome]: ({ approvalId }) => this.notifications.showOutcome(approvalId),
      [JobName.RefreshSlackHomes]: ({ approvalId }) => this.slackHomes.refreshFor(approvalId),
      [JobName.PublishSlackHome]: ({ personId }) => this.slackHomes.publish(personId),
    };
  }

  /** The job's entry: its data parsed once with the job's schema (a malformed payload fails permanently), then handled. */
  run<N extends JobName>(name: N, data: unknown): Promise<void> {
    const handler: JobHandler<N> = this.byName[name];
    return handler(parseJobPayload(name, data));
  }

  /** When a job has used its last attempt. */
  async exhausted(name: JobName, data: unknown, reason: string): Promise<void> {
    if (name === JobName.DeliverCallback) {
      const { approvalId, status } = parseJobPayload(name, data);
      await this.callbacks.gaveUp(approvalId, status, reason);
    }
    if (name === JobName.DeliverNotification) await this.notifications.gaveUp(parseJobPayload(name, data).deliveryId, reason);
  }
}
