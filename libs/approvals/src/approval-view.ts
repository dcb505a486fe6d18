import { type ApprovalStatus, type Requirement } from '@countersign/domain';
import { type ApprovalRecord } from './approval.repository';
import { type NotificationView } from './decision.repository';

/** What `classification` holds in the approvals row. */
export interface StoredClassification {
  tier: string;
  reversibility: string | null;
  blast_radius: string | null;
  rule: string;
  reasons: string[];
  /** Set when intake refused the request (confused deputy, policy): replays answer with the same refusal. */
  refusal?: { code: 'capability_missing' | 'permission_missing' | 'forbidden_by_policy'; message: string };
}

/** The agent's view of an approval: the contract in DESIGN.md ("Agent approval API"). */
export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  status_reason: string | null;
  action: { type: string; resource: string; args: Record<string, unknown> };
  on_behalf_of: string;
  audience: string;
  classification: { tier: string; reversibility: string | null; blast_radius: string | null; rule: string; taxonomy_version: number; reasons: string[] };
  requirement: { approvals_required: number; step_up: string; channels: string[] };
  action_digest: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decisions: AgentDecisionView[];
  /** Who was notified on which channel and how it went (empty until the worker has planned the notifications). */
  notifications: NotificationView[];
  approval_token?: string;
}

/** What an agent learns of each person's decision. */
export interface AgentDecisionView {
  person: string;
  verdict: string;
  reason: string | null;
  channel: string;
  decided_at: string;
}

export function toApprovalView(approval: ApprovalRecord, approvalToken: string | null, decisions: AgentDecisionView[] = [], notifications: NotificationView[] = []): ApprovalView {
  const requirement = approval.requirement as unknown as Requirement;
  return {
    id: approval.id,
    status: approval.status,
    status_reason: approval.statusReason,
    action: { type: approval.actionType, resource: approval.actionResource, args: approval.args },
    on_behalf_of: approval.onBehalfOfId,
    audience: approval.audience,
    classification: classificationView(approval),
    requirement: { approvals_required: requirement.approvals_required, step_up: requirement.step_up, channels: requirement.channels },
    action_digest: approval.actionDigest,
    created_at: approval.createdAt.toISOString(),
    expires_at: approval.expiresAt.toISOString(),
    decided_at: approval.decidedAt ? approval.decidedAt.toISOString() : null,
    decisions,
    notifications,
    ...(approval.status === 'approved' && approvalToken ? { approval_token: approvalToken } : {}),
  };
}

/** The classification as both views show it: the stored one plus the taxonomy version that made it. */
export function classificationView(approval: ApprovalRecord): ApprovalView['classification'] {
  const classification = approval.classification as unknown as StoredClassification;
  return {
    tier: classification.tier,
    reversibility: classification.reversibility,
    blast_radius: classification.blast_radius,
    rule: classification.rule,
    taxonomy_version: approval.taxonomyVersion,
    reasons: classification.reasons,
  };
}
