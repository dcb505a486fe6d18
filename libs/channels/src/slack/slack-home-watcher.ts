import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ApprovalRecord, type ApprovalWatcher } from '@countersign/approvals';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { jobId, JobName, QueueService, SLACK_HOME_PRIORITY } from '@countersign/queue';

/**
 * The approvals library's APPROVAL_WATCHER: after an approval's change committed (API or worker), one job for the
 * worker to find whose Slack Home tabs to republish (`SlackHomeService.refreshFor`). Only an enqueue: no SQL on the
 * intake path, and nothing the approvals library's services depend on (it is injected into them).
 */
@Injectable()
export class SlackHomeWatcher implements ApprovalWatcher {
  private readonly logger = new Logger(SlackHomeWatcher.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly queue: QueueService,
  ) {}

  /** Never throws or waits: a lost refresh leaves a Home tab stale until the next change or opening. */
  approvalChanged(approval: ApprovalRecord): void {
    if (!this.config.slack) return;
    this.queue
      .enqueue(
        JobName.RefreshSlackHomes,
        { approvalId: approval.id },
        { jobId: jobId.refreshSlackHomes(approval.id, approval.status, approval.escalationStep ?? 0), priority: SLACK_HOME_PRIORITY },
      )
      .catch((error: Error) => this.logger.warn(`Home tabs will not show the change of ${approval.id}: ${error.message}`));
  }
}
