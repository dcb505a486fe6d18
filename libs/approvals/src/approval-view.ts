import {
  type AgentApproval,
  type AgentDecision,
  type ApproverView as WireApproverView,
  type InboxItem as WireInboxItem,
} from '@countersign/contract';
import { escalationProgress } from '@countersign/domain';
import { type ApprovalRecord, eligibleEntriesOf } from './approval.repository';
import { type ApprovalActivity, type InboxRow, type NotificationView } from './decision.repository';

// Every view of an approval, in one place: the agent's (`ApprovalView`), a person's (`InboxItem`, `ApproverView`)
// and a channel's (`ApprovalSummary`). Services read rows; these turn them into what a reader is shown.

export const AGENT_CLAIM_LABEL = "The agent's own words: Countersign has not verified them.";

// The views' shapes are the wire contract (libs/contract, docs/adr/0011-wire-contract.md): the OpenAPI document,
// the web app and the agent SDK use the same ones. Changing a view is changing the contract there.

/** The agent's view of an approval: the contract in DESIGN.md ("Agent approval API"). */
export type ApprovalView = AgentApproval;

/** What an agent learns of each person's decision. */
export type AgentDecisionView = AgentDecision;

export function toApprovalView(
  approval: ApprovalRecord,
  approvalToken: string | null,
  decisions: AgentDecisionView[] = [],
  notifications: NotificationView[] = [],
): ApprovalView {
  const requirement = approval.requirement;
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
    escalation: escalationView(approval),
    notifications,
    ...(approval.status === 'approved' && approvalToken ? { approval_token: approvalToken } : {}),
  };
}

/** The classification as both views show it: the stored one plus the taxonomy version that made it. */
export function classificationView(approval: ApprovalRecord): ApprovalView['classification'] {
  const classification = approval.classification;
  return {
    tier: classification.tier,
    reversibility: classification.reversibility,
    blast_radius: classification.blast_radius,
    rule: classification.rule,
    taxonomy_version: approval.taxonomyVersion,
    reasons: classification.reasons,
  };
}

/** Where the approval is on its ladder; a final approval has no next step. */
export function escalationView(approval: ApprovalRecord): ApprovalView['escalation'] {
  const progress = escalationProgress(approval.requirement, approval.escalationStep, approval.createdAt);
  return {
    step: progress.step,
    steps: progress.steps,
    next_step_at: approval.status === 'pending' && progress.nextAt !== null ? progress.nextAt.toISOString() : null,
  };
}

export type InboxItem = WireInboxItem;

/** What a person sees of an approval: rendered by Countersign from the structured action (DESIGN.md principle 3). */
export type ApproverView = WireApproverView;

/** An approval as channels render it: the approver's view without the reader's own part. */
export type ApprovalSummary = Omit<ApproverView, 'you'> & {
  agent_id: string;
  on_behalf_of_id: string;
  eligible: string[];
};

export function inboxItem(row: InboxRow): InboxItem {
  const { approval } = row;
  return {
    id: approval.id,
    status: approval.status,
    tier: approval.tier,
    action: { type: approval.actionType, resource: approval.actionResource },
    agent: { name: row.agentName },
    on_behalf_of: { id: row.onBehalfOf.id, email: row.onBehalfOf.email, display_name: row.onBehalfOf.displayName },
    step_up: approval.requirement.step_up,
    created_at: approval.createdAt.toISOString(),
    expires_at: approval.expiresAt.toISOString(),
  };
}

/** The approval as `reader` sees it; `you` says what is left for them to do. */
export function approverView({ row, decisions, notifications }: ApprovalActivity, reader: { id: string } | null): ApproverView {
  const { approval } = row;
  const classification = approval.classification;
  const requirement = approval.requirement;
  const mine = decisions.find((decision) => decision.personId === reader?.id) ?? null;
  const open = approval.status === 'pending' && approval.expiresAt.getTime() > Date.now();
  return {
    ...inboxItem(row),
    status_reason: approval.statusReason,
    // Arguments were redacted when stored (the taxonomy's sensitive paths): secrets never reach a screen.
    action: { type: approval.actionType, resource: approval.actionResource, args: approval.args },
    audience: approval.audience,
    classification: classificationView(approval),
    requirement: {
      approvals_required: requirement.approvals_required,
      approvers: requirement.approvers,
      step_up: requirement.step_up,
      channels: requirement.channels,
    },
    escalated_to: approval.escalatedTo,
    escalation: escalationView(approval),
    notifications,
    provenance: approval.provenance,
    provenance_warnings: classification.reasons.filter((reason) => reason.startsWith('Untrusted provenance')),
    agent_reason: approval.reason === null ? null : { text: approval.reason, label: AGENT_CLAIM_LABEL },
    binding_message: approval.bindingMessage,
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

/** The summary of an approval read with its activity (`APPROVAL_ACTIVITY_SQL`). */
export function approvalSummary(activity: ApprovalActivity): ApprovalSummary {
  const { you: _you, ...view } = approverView(activity, null);
  const { approval } = activity.row;
  return {
    ...view,
    agent_id: approval.agentId,
    on_behalf_of_id: approval.onBehalfOfId,
    eligible: eligibleEntriesOf(approval),
  };
}
