import { Injectable } from '@nestjs/common';
import { type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuditEventType, AuditService } from '@countersign/audit';
import { APPROVAL_STATUSES, type ApprovalStatus, approverEntriesFor, DomainError, isEligibleApprover, type Requirement } from '@countersign/domain';
import { PasskeyService, type PersonRecord } from '@countersign/people';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { type ApprovalRecord, isUuid } from './approval.repository';
import { classificationView, type StoredClassification } from './approval-view';
import { type ApprovalActivity, type DecisionRecord, DecisionRepository, type InboxRow, type NotificationView } from './decision.repository';

const MAX_PAGE = 100;
export const AGENT_CLAIM_LABEL = "The agent's own words: Countersign has not verified them.";

export interface InboxItem {
  id: string;
  status: ApprovalStatus;
  tier: string;
  action: { type: string; resource: string };
  agent: { name: string };
  on_behalf_of: { id: string; email: string; display_name: string };
  step_up: string;
  created_at: string;
  expires_at: string;
}

/** What a person sees of an approval: rendered by Countersign from the structured action (DESIGN.md principle 3). */
export interface ApproverView extends InboxItem {
  status_reason: string | null;
  action: { type: string; resource: string; args: Record<string, unknown> };
  audience: string;
  classification: { tier: string; reversibility: string | null; blast_radius: string | null; rule: string; taxonomy_version: number; reasons: string[] };
  requirement: { approvals_required: number; approvers: string[]; step_up: string; channels: string[] };
  /** Approver entries added when the approval was escalated. */
  escalated_to: string[];
  notifications: NotificationView[];
  provenance: string[];
  provenance_warnings: string[];
  agent_reason: { text: string; label: string } | null;
  decisions: Array<{ person: { id: string; email: string; display_name: string }; verdict: string; reason: string | null; channel: string; step_up: boolean; decided_at: string }>;
  you: { can_decide: boolean; step_up_required: boolean; your_decision: string | null };
  decided_at: string | null;
}

/** An approval as channels render it: the approver's view without the reader's own part. */
export type ApprovalSummary = Omit<ApproverView, 'you'> & { agent_id: string; on_behalf_of_id: string; eligible: string[]; escalate_to: string[] };

/** The approver's reads: the inbox, one approval as a person sees it, and step-up options for it. */
@Injectable()
export class ApproverService {
  constructor(
    private readonly decisions: DecisionRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly passkeys: PasskeyService,
    private readonly audit: AuditService,
  ) {}

  async inbox(person: PersonRecord, options: { status?: string; limit?: string; cursor?: string }): Promise<{ approvals: InboxItem[]; next_cursor: string | null }> {
    const status = (options.status ?? 'pending') as ApprovalStatus;
    if (!APPROVAL_STATUSES.includes(status)) throw new DomainError('invalid_request', `status must be one of ${APPROVAL_STATUSES.join(', ')}`, { field: 'status' });
    const limit = options.limit === undefined ? 25 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new DomainError('invalid_request', `limit must be 1-${MAX_PAGE}`, { field: 'limit' });
    const rows = await this.decisions.inbox({ personId: person.id, entries: approverEntriesFor(person), status, limit, after: parseCursor(options.cursor) });
    const last = rows[rows.length - 1];
    return {
      approvals: rows.map((row) => inboxItem(row)),
      next_cursor: rows.length === limit && last ? Buffer.from(`${last.cursor.createdMicros}.${last.cursor.id}`).toString('base64url') : null,
    };
  }

  /** The full view; anyone who may not decide it gets 404, as if it did not exist (no enumeration). */
  async view(person: PersonRecord, id: string): Promise<ApproverView> {
    let row = await this.eligibleRow(person, id);
    if (row.approval.status === 'pending' && row.approval.expiresAt.getTime() <= Date.now()) {
      await this.lifecycle.expire(row.approval.id);
      row = await this.eligibleRow(person, id);
    }
    if (row.approval.status === 'pending' && (await this.decisions.recordOpened(row.approval.id, person.id))) {
      await this.audit.record({ type: 'person', id: person.id }, [{ type: AuditEventType.ApprovalOpened, subject: { type: 'approval', id: row.approval.id } }]);
    }
    return approverView(row, await this.decisions.decisionsOf(undefined, row.approval.id), person, await this.decisions.notificationsOf(row.approval.id));
  }

  /**
   * What a channel renders for the system (no person reading, nothing recorded as opened): the approval as an
   * approver sees it, with the decisions so far. Null when there is no such approval.
   */
  async summary(id: string): Promise<ApprovalSummary | null> {
    const found = isUuid(id) ? await this.decisions.withActivity(id) : null;
    return found ? approvalSummary(found) : null;
  }

  /** The view as it is after the person's own decision: no expiry check, no first-open record. */
  async viewAfterDecision(person: PersonRecord, id: string): Promise<ApproverView> {
    const row = await this.eligibleRow(person, id);
    const [decisions, notifications] = await Promise.all([this.decisions.decisionsOf(undefined, id), this.decisions.notificationsOf(id)]);
    return approverView(row, decisions, person, notifications);
  }

  async stepUpOptions(person: PersonRecord, id: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { approval } = await this.eligibleRow(person, id);
    if (approval.status !== 'pending') throw new DomainError(approval.status === 'expired' ? 'expired' : 'already_decided', `the approval is ${approval.status}`);
    if (approval.expiresAt.getTime() <= Date.now()) throw new DomainError('expired', 'the approval has expired');
    return this.passkeys.stepUpOptions(person, { id: approval.id, actionDigest: approval.actionDigest });
  }

  private async eligibleRow(person: PersonRecord, id: string): Promise<InboxRow> {
    const row = isUuid(id) ? await this.decisions.withParties(id) : null;
    if (!row || !isEligibleApprover(person, row.approval.onBehalfOfId, eligibleEntriesOf(row.approval))) throw new DomainError('not_found', 'no such approval');
    return row;
  }
}

/** The summary of an approval read with its activity (`APPROVAL_ACTIVITY_SQL`). */
export function approvalSummary({ row, decisions, notifications }: ApprovalActivity): ApprovalSummary {
  const { you: _you, ...view } = approverView(row, decisions, null, notifications);
  return { ...view, agent_id: row.approval.agentId, on_behalf_of_id: row.approval.onBehalfOfId, eligible: eligibleEntriesOf(row.approval), escalate_to: requirementOf(row.approval).escalate_to ?? [] };
}

export function requirementOf(approval: ApprovalRecord): Requirement {
  return approval.requirement as unknown as Requirement;
}

/**
 * Who may decide an approval: the requirement's `approvers` plus the `escalate_to` entries once it was escalated.
 * The one place eligibility reads; the inbox query mirrors it in SQL.
 */
export function eligibleEntriesOf(approval: ApprovalRecord): string[] {
  return [...requirementOf(approval).approvers, ...(approval.escalatedTo ?? [])];
}

function parseCursor(cursor: string | undefined): { createdMicros: string; id: string } | null {
  if (cursor === undefined || cursor === '') return null;
  const match = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new DomainError('invalid_request', 'cursor must be the next_cursor of a previous page', { field: 'cursor' });
  return { createdMicros: match[1], id: match[2] };
}

function inboxItem(row: InboxRow): InboxItem {
  const { approval } = row;
  return {
    id: approval.id,
    status: approval.status,
    tier: approval.tier,
    action: { type: approval.actionType, resource: approval.actionResource },
    agent: { name: row.agentName },
    on_behalf_of: { id: row.onBehalfOf.id, email: row.onBehalfOf.email, display_name: row.onBehalfOf.displayName },
    step_up: requirementOf(approval).step_up,
    created_at: approval.createdAt.toISOString(),
    expires_at: approval.expiresAt.toISOString(),
  };
}

function approverView(row: InboxRow, decisions: DecisionRecord[], person: PersonRecord | null, notifications: NotificationView[]): ApproverView {
  const { approval } = row;
  const classification = approval.classification as unknown as StoredClassification;
  const requirement = requirementOf(approval);
  const mine = decisions.find((decision) => decision.personId === person?.id) ?? null;
  const open = approval.status === 'pending' && approval.expiresAt.getTime() > Date.now();
  return {
    ...inboxItem(row),
    status_reason: approval.statusReason,
    // Arguments were redacted when stored (the taxonomy's sensitive paths): secrets never reach a screen.
    action: { type: approval.actionType, resource: approval.actionResource, args: approval.args },
    audience: approval.audience,
    classification: classificationView(approval),
    requirement: { approvals_required: requirement.approvals_required, approvers: requirement.approvers, step_up: requirement.step_up, channels: requirement.channels },
    escalated_to: approval.escalatedTo,
    notifications,
    provenance: approval.provenance,
    provenance_warnings: classification.reasons.filter((reason) => reason.startsWith('Untrusted provenance')),
    agent_reason: approval.reason === null ? null : { text: approval.reason, label: AGENT_CLAIM_LABEL },
    decisions: decisions.map((decision) => ({
      person: { id: decision.personId, email: decision.email, display_name: decision.displayName },
      verdict: decision.verdict,
      reason: decision.reason,
      channel: decision.channel,
      step_up: decision.amr.includes('passkey'),
      decided_at: decision.createdAt.toISOString(),
    })),
    you: { can_decide: open && mine === null, step_up_required: requirement.step_up === 'passkey', your_decision: mine?.verdict ?? null },
    decided_at: approval.decidedAt?.toISOString() ?? null,
  };
}
