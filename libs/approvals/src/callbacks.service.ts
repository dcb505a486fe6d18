import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { type AgentRecord, AgentsService } from '@countersign/agents';
import { CONFIG, type CountersignConfig, outboundAgents, refusedAddressOf } from '@countersign/config';
import { jobId, JobName, PermanentJobError, QueueService } from '@countersign/queue';
import { ApprovalEventSigner, ApprovalTokenService, KeyEncryption } from '@countersign/tokens';
import { ApprovalRepository, type ApprovalRecord } from './approval.repository';
import { CibaRepository } from './ciba.repository';

const CALLBACK_TIMEOUT_MS = 10_000;

/**
 * POSTs the approval-event JWS to the agent's callback URL, or, for a CIBA request in ping mode, its notification
 * (CIBA Core 1.0 §10.2: `{auth_req_id}` with the client's bearer token) to the agent's notification endpoint; the
 * worker retries failures with backoff, under the same address rules.
 */
@Injectable()
export class CallbacksService implements OnApplicationShutdown {
  /** Unless ALLOW_PRIVATE_CALLBACK_URLS, connect only to addresses checked at connect time (no DNS rebinding). */
  private readonly outbound: ReturnType<typeof outboundAgents>;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly approvals: ApprovalRepository,
    private readonly agents: AgentsService,
    private readonly signer: ApprovalEventSigner,
    private readonly tokens: ApprovalTokenService,
    private readonly audit: AuditService,
    private readonly queue: QueueService,
    private readonly ciba: CibaRepository,
    private readonly encryption: KeyEncryption,
  ) {
    this.outbound = outboundAgents({ allowPrivate: config.allowPrivateCallbackUrls });
  }

  async deliver(approvalId: string, status: string): Promise<void> {
    const approval = await this.approvals.findById(approvalId);
    if (!approval) throw new PermanentJobError(`approval ${approvalId} does not exist`);
    if (!approval.callbackUrl || approval.status !== status || approval.callbackState !== 'due') return;
    const agent = await this.agents.findById(approval.agentId);
    if (!agent) throw new PermanentJobError(`agent of approval ${approvalId} does not exist`);
    const url = new URL(approval.callbackUrl);
    const pingEnc = await this.ciba.pingFor(approval.id);
    const { headers, body } = pingEnc ? this.cibaPing(pingEnc) : await this.approvalEvent(approval, agent);
    let httpStatus: number;
    try {
      httpStatus = await this.post(url, headers, body);
    } catch (error) {
      // A host that is or resolves to a private address is refused before connecting, and would be again.
      const refused = refusedAddressOf(error);
      if (refused) throw new PermanentJobError(`callback host ${refused.message}`);
      throw error;
    }
    if (httpStatus < 200 || httpStatus >= 300) throw new Error(`callback answered HTTP ${httpStatus}`);
    await this.approvals.setCallbackState(approval.id, 'due', 'delivered');
    await this.audit.record(SYSTEM, [
      {
        type: AuditEventType.CallbackDelivered,
        subject: { type: 'approval', id: approval.id },
        data: { status: approval.status, http_status: httpStatus },
      },
    ]);
  }

  /** The signed approval event, HMAC'd with the agent's callback secret when it has one. */
  private async approvalEvent(approval: ApprovalRecord, agent: AgentRecord): Promise<{ headers: Record<string, string>; body: string }> {
    const approvalToken = approval.status === 'approved' ? await this.tokens.tokenFor(approval.id) : null;
    const body = await this.signer.sign(approval.callbackUrl!, {
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
    return { headers, body };
  }

  /** CIBA ping: only the request's id, authenticated by the token the client gave for it; the client then redeems. */
  private cibaPing(pingEnc: string): { headers: Record<string, string>; body: string } {
    const ping = JSON.parse(this.encryption.open(pingEnc).toString('utf8')) as { auth_req_id: string; token: string };
    return {
      headers: { 'content-type': 'application/json', 'user-agent': 'Countersign-Callbacks', authorization: `Bearer ${ping.token}` },
      body: JSON.stringify({ auth_req_id: ping.auth_req_id }),
    };
  }

  onApplicationShutdown(): void {
    this.outbound.http.destroy();
    this.outbound.https.destroy();
  }

  /**
   * One POST through the checked agents; resolves with the status code. Redirects are not followed (node:http
   * never does): a redirect could lead the request somewhere the address check never saw.
   */
  private post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? this.outbound.https : this.outbound.http;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent,
          signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        },
        (response) => {
          // The answer's body is not read; it is drained so the connection can be reused.
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
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
    await this.audit.record(SYSTEM, [
      {
        type: AuditEventType.CallbackFailed,
        subject: { type: 'approval', id: approvalId },
        data: { status, reason: reason.slice(0, 500) },
      },
    ]);
  }
}
