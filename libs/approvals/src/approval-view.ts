import {
  type AgentApproval,
  type AgentDecision,
  type ApproverView as WireApproverView,
  type GroupEntry,
  type InboxItem as WireInboxItem,
} from '@countersign/contract';
import { decidingFor, escalationProgress } from '@countersign/domain';
import { type ApprovalRecord, eligibleEntriesOf } from './approval.repository';
import { type ApprovalActivity, type GroupRosterRow, type InboxRow, type NotificationView, type PersonName } from './decision.repository';

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
export type ApprovalSummary = Omit<ApproverView, 'you' | 'groups'> & {
  agent_id: string;
  on_behalf_of_id: string;
  eligible: string[];
  /** The members recorded for each group of a `group:` entry (by group name). */
  group_members: Record<string, string[]>;
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

const personRef = (person: PersonName) => ({ id: person.id, email: person.email, display_name: person.displayName });

/**
 * Each `group:` entry's members for the view: the recorded ones (eligible unless disabled since, shown as `left`
 * when they have left the group since: eligibility reads the record) and those who joined since (not eligible).
 */
export function groupRosterView(groupMembers: Record<string, string[]>, roster: readonly GroupRosterRow[]): GroupEntry[] {
  return Object.keys(groupMembers)
    .sort()
    .map((name) => ({
      entry: `group:${name}`,
      members: roster
        .filter((row) => row.name === name)
        .map((row) => {
          const state = !row.recorded ? 'joined' : row.status === 'disabled' ? 'disabled' : row.member_now ? 'member' : 'left';
          return {
            person: { id: row.id, email: row.email, display_name: row.display_name },
            state,
            eligible: state === 'member' || state === 'left',
          };
        }),
    }));
}

/** What the approver's view adds for its reader: the group entries' members, and in whose right the reader decides. */
export interface ReaderContext {
  groups: GroupEntry[];
  decidingFor: PersonName | null;
  /** The people the deliveries are for, to name them (a delivery for someone not in it is named by id). */
  people?: PersonName[];
}

/** The approval as `reader` sees it; `you` says what is left for them to do. */
export function approverView(
  { row, decisions, notifications }: ApprovalActivity,
  reader: { id: string } | null,
  context: ReaderContext = { groups: [], decidingFor: null },
): ApproverView {
  const { approval } = row;
  const classification = approval.classification;
  const requirement = approval.requirement;
  const mine = decisions.find((decision) => decision.personId === reader?.id) ?? null;
  // One decision per right: nothing is left to do once the right the reader would use has been used.
  const right = context.decidingFor?.id ?? reader?.id;
  const rightUsed = decisions.some((decision) => decidingFor(decision) === right);
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
    groups: context.groups,
    escalation: escalationView(approval),
    notifications: notifications.map((notification) => {
      const named = context.people?.find((person) => person.id === notification.person);
      return { ...notification, person_name: named ? named.displayName || named.email : notification.person };
    }),
    provenance: approval.provenance,
    provenance_warnings: classification.reasons.filter((reason) => reason.startsWith('Untrusted provenance')),
    agent_reason: approval.reason === null ? null : { text: approval.reason, label: AGENT_CLAIM_LABEL },
    binding_message: approval.bindingMessage,
    decisions: decisions.map((decision) => ({
      person: { id: decision.personId, email: decision.email, display_name: decision.displayName },
      for: decision.via && personRef(decision.via),
      verdict: decision.verdict,
      reason: decision.reason,
      channel: decision.channel,
      step_up: decision.amr.includes('passkey'),
      decided_at: decision.createdAt.toISOString(),
    })),
    you: {
      can_decide: open && mine === null && !rightUsed,
      step_up_required: requirement.step_up === 'passkey',
      your_decision: mine?.verdict ?? null,
      deciding_for: context.decidingFor && personRef(context.decidingFor),
    },
    decided_at: approval.decidedAt?.toISOString() ?? null,
  };
}

/** The summary of an approval read with its activity (`APPROVAL_ACTIVITY_SQL`). */
export function approvalSummary(activity: ApprovalActivity): ApprovalSummary {
  const { you: _you, groups: _groups, ...view } = approverView(activity, null);
  const { approval } = activity.row;
  return {
    ...view,
    agent_id: approval.agentId,
    on_behalf_of_id: approval.onBehalfOfId,
    eligible: eligibleEntriesOf(approval),
    group_members: approval.groupMembers,
  };
}
