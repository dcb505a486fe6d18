import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { AgentsService } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { jobId, JobName, PermanentJobError, QueueService } from '@countersign/queue';
import { ApprovalEventSigner, ApprovalTokenService } from '@countersign/tokens';
import { ApprovalRepository } from './approval.repository';
import { assertDeliverable } from './callback-url';

const CALLBACK_TIMEOUT_MS = 10_000;

/** POSTs the approval-event JWS to the agent's callback URL; the worker retries failures with backoff. */
@Injectable()
export class CallbacksService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly approvals: ApprovalRepository,
    private readonly agents: AgentsService,
    private readonly signer: ApprovalEventSigner,
    private readonly tokens: ApprovalTokenService,
    private readonly audit: AuditService,
    private readonly queue: QueueService,
  ) {}

  async deliver(approvalId: string, status: string): Promise<void> {
    const approval = await this.approvals.findById(approvalId);
    if (!approval) throw new PermanentJobError(`approval ${approvalId} does not exist`);
    if (!approval.callbackUrl || approval.status !== status || approval.callbackState !== 'due') return;
    const agent = await this.agents.findById(approval.agentId);
    if (!agent) throw new PermanentJobError(`agent of approval ${approvalId} does not exist`);
    const url = new URL(approval.callbackUrl);
    try {
      await assertDeliverable(url, this.config.allowPrivateCallbackUrls);
    } catch (error) {
      throw new PermanentJobError((error as Error).message);
    }
    const approvalToken = approval.status === 'approved' ? await this.tokens.tokenFor(approval.id) : null;
    const body = await this.signer.sign(approval.callbackUrl, {
      sub: approval.onBehalfOfId,
      act: { sub: agent.clientId },
      event: `approval.${approval.status}`,
      approval_id: approval.id,
      status: approval.status,
      status_reason: approval.statusReason,
      action_digest: approval.actionDigest,
      ...(approvalToken ? { approval_token: approvalToken } : {}),
    });
    const headers: Record<string, string> = { 'content-type': 'application/jwt', 'user-agent': 'Countersign-Callbacks' };
    const callbackSecret = this.agents.callbackSecret(agent);
    if (callbackSecret) headers['countersign-signature'] = 'sha256=' + createHmac('sha256', callbackSecret).update(body).digest('hex');
    // Redirects are not followed: a redirect could lead the request somewhere the URL check never saw.
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS) });
    if (response.status < 200 || response.status >= 300) throw new Error(`callback answered HTTP ${response.status}`);
    await this.approvals.setCallbackState(approval.id, 'due', 'delivered');
    await this.audit.record(SYSTEM, [{ type: AuditEventType.CallbackDelivered, subject: { type: 'approval', id: approval.id }, data: { status: approval.status, http_status: response.status } }]);
  }

  /**
   * Re-enqueues callbacks still due well after their status changed: the job is enqueued after commit, and Redis
   * may have lost it. Fixed job ids make this a no-op for a job Redis still holds.
   */
  async redeliverOverdue(): Promise<number> {
    const overdue = await this.approvals.overdueCallbacks(this.config.callbackRedeliveryAfterSeconds, 500);
    for (const { id, status } of overdue) {
      await this.queue.enqueue(JobName.DeliverCallback, { approvalId: id, status }, { jobId: jobId.callback(id, status) });
    }
    return overdue.length;
  }

  /** Called by the worker when the last attempt failed. */
  async gaveUp(approvalId: string, status: string, reason: string): Promise<void> {
    await this.approvals.setCallbackState(approvalId, 'due', 'failed');
    await this.audit.record(SYSTEM, [{ type: AuditEventType.CallbackFailed, subject: { type: 'approval', id: approvalId }, data: { status, reason: reason.slice(0, 500) } }]);
  }
}
