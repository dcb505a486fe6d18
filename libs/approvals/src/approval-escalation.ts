import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { type Tx } from '@countersign/database';
import { type ApprovalRecord, ApprovalRepository } from './approval.repository';

/**
 * Escalating an approval, in the caller's transaction (Postgres only, so the CLI's deprovisioning can do it): its
 * `escalate_to` approvers become eligible, audited. The one place an escalation happens: the scheduled job, the
 * early one, and deprovisioning all come here.
 */
@Injectable()
export class ApprovalEscalation {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly audit: AuditService,
  ) {}

  /** Null when it was escalated already, is final, or has nobody to escalate to. */
  async escalate(tx: Tx, actor: Actor, approvalId: string, reason?: string): Promise<{ approval: ApprovalRecord; added: string[] } | null> {
    const approval = await this.approvals.claimEscalation(tx, approvalId);
    if (!approval) return null;
    const added = approval.escalatedTo;
    await this.audit.append(tx, actor, [
      {
        type: AuditEventType.ApprovalEscalated,
        subject: { type: 'approval', id: approvalId },
        data: { escalate_to: added, ...(reason ? { reason } : {}) },
      },
    ]);
    return { approval, added };
  }
}
