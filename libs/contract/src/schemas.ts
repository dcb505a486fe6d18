import { z } from 'zod';

// The wire contract of the agent API and the people's API, written once. The OpenAPI document's
// `components.schemas` are generated from these (`openApiComponents`), the server's views and the web app use the
// inferred types, and the agent SDK gets a generated copy of the agent's part (libs/client/src/contract.generated.ts).
// Adding a field here is adding it everywhere; `npm run contract` regenerates the committed files.

const timestamp = z.string().describe('RFC 3339 timestamp');

export const ApprovalStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'cancelled']).meta({ id: 'ApprovalStatus' });

export const Classification = z
  .object({
    tier: z.string(),
    reversibility: z.string().nullable(),
    blast_radius: z.string().nullable(),
    rule: z.string(),
    taxonomy_version: z.number().int(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'Classification', description: 'How the taxonomy classified the action, and which version did it.' });

export const Notification = z
  .object({
    person: z.string(),
    channel: z.string(),
    kind: z.string(),
    state: z.string(),
    detail: z.string().nullable(),
    attempts: z.number().int(),
    updated_at: timestamp,
  })
  .meta({ id: 'Notification', description: 'Who was notified on which channel and how it went.' });

export const ApproverNotification = Notification.extend({
  person_name: z.string().describe('Who the delivery is for: their display name, else their email.'),
  state: z
    .string()
    .describe(
      '`queued`, `sent`, `failed`, `gone` (the push subscription expired), `unreachable` (no way to reach them on it), `off` (not configured on this deployment) or `not_chosen` (left out by their notification settings).',
    ),
}).meta({ id: 'ApproverNotification', description: 'Who was reached on which channel and how it went, as an approver sees it.' });

export const Escalation = z
  .object({
    step: z.number().int().describe('Steps of the escalation ladder taken so far (0: none yet).'),
    steps: z.number().int().describe("How many steps the tier's ladder has (0: the tier does not escalate)."),
    next_step_at: timestamp.nullable().describe('When the next step fires if nobody decides first; null when no step is left.'),
  })
  .meta({ id: 'Escalation', description: "Where the approval is on its tier's escalation ladder." });

export const AgentDecision = z
  .object({ person: z.string(), verdict: z.string(), reason: z.string().nullable(), channel: z.string(), decided_at: timestamp })
  .meta({ id: 'AgentDecision', description: "What an agent learns of each person's decision." });

export const AgentApproval = z
  .object({
    id: z.string(),
    status: ApprovalStatus,
    status_reason: z.string().nullable(),
    action: z.object({ type: z.string(), resource: z.string(), args: z.record(z.string(), z.unknown()) }),
    on_behalf_of: z.string(),
    audience: z.string(),
    classification: Classification,
    requirement: z.object({ approvals_required: z.number().int(), step_up: z.string(), channels: z.array(z.string()) }),
    action_digest: z.string(),
    created_at: timestamp,
    expires_at: timestamp,
    decided_at: timestamp.nullable(),
    decisions: z.array(AgentDecision),
    escalation: Escalation,
    notifications: z.array(Notification).describe('Empty until the worker has planned the notifications.'),
    approval_token: z.string().optional().describe('Present only when `status` is `approved`.'),
  })
  .meta({ id: 'AgentApproval', description: 'An approval as the agent that asked sees it (DESIGN.md, "Agent approval API").' });

const PersonRef = z.object({ id: z.string(), email: z.string(), display_name: z.string() });

export const InboxItem = z
  .object({
    id: z.string(),
    status: ApprovalStatus,
    tier: z.string(),
    action: z.object({ type: z.string(), resource: z.string() }),
    agent: z.object({ name: z.string() }),
    on_behalf_of: PersonRef,
    step_up: z.string(),
    created_at: timestamp,
    expires_at: timestamp,
  })
  .meta({ id: 'InboxItem', description: "One line of a person's inbox." });

export const Inbox = z
  .object({ approvals: z.array(InboxItem), next_cursor: z.string().nullable() })
  .meta({ id: 'Inbox', description: 'Approvals a person may decide, newest first; `next_cursor` pages on.' });

export const PersonDecision = z
  .object({
    person: PersonRef,
    for: PersonRef.nullable().describe('Set when the person decided through a delegation: whose approvals they stood in for.'),
    verdict: z.enum(['approve', 'deny']),
    reason: z.string().nullable(),
    channel: z.string(),
    step_up: z.boolean(),
    decided_at: timestamp,
  })
  .meta({ id: 'PersonDecision', description: 'A decision as a person sees it.' });

export const GroupEntry = z
  .object({
    entry: z.string().describe('The approver entry, e.g. `group:finance`.'),
    members: z.array(
      z.object({
        person: PersonRef,
        state: z
          .enum(['member', 'left', 'disabled', 'joined'])
          .describe(
            '`member`: recorded and still in the group; `left`: recorded, has left the group since (still eligible); `disabled`: recorded, disabled since (never decides); `joined`: joined after the entry was resolved (not eligible).',
          ),
        eligible: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'GroupEntry', description: "A `group:` approver entry's members, as recorded on the approval and as they are now." });

export const ApproverView = InboxItem.extend({
  status_reason: z.string().nullable(),
  action: z.object({ type: z.string(), resource: z.string(), args: z.record(z.string(), z.unknown()) }),
  audience: z.string(),
  classification: Classification,
  requirement: z.object({
    approvals_required: z.number().int(),
    approvers: z.array(z.string()),
    step_up: z.string(),
    channels: z.array(z.string()),
  }),
  escalated_to: z.array(z.string()).describe('Approver entries added by the escalation steps taken (a manager as `person:<id>`).'),
  groups: z
    .array(GroupEntry)
    .describe("Each `group:` approver entry's members as recorded when it was resolved, and who joined since (not eligible)."),
  escalation: Escalation,
  notifications: z.array(ApproverNotification).describe('Each approver × channel × kind (request, reminder): who was reached where.'),
  provenance: z.array(z.string()),
  provenance_warnings: z.array(z.string()),
  agent_reason: z.object({ text: z.string(), label: z.string() }).nullable(),
  binding_message: z
    .string()
    .nullable()
    .describe("OpenID CIBA's binding message: the agent shows the same text, so the person can tell it is the request they expect."),
  decisions: z.array(PersonDecision),
  you: z.object({
    can_decide: z.boolean(),
    step_up_required: z.boolean(),
    your_decision: z.string().nullable(),
    deciding_for: PersonRef.nullable().describe('Set when you may decide only through a delegation: whose approvals you stand in for.'),
  }),
  decided_at: timestamp.nullable(),
}).meta({ id: 'ApproverView', description: 'An approval as Countersign renders it for a person (DESIGN.md principle 3).' });

export const DecisionRequest = z
  .object({
    verdict: z.enum(['approve', 'deny']),
    reason: z.string().nullable().optional(),
    step_up: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('The WebAuthn assertion when the approval asks for a passkey.'),
  })
  .meta({ id: 'DecisionRequest', description: "A person's decision (`POST /v1/me/approvals/{id}/decision`)." });

export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code.'),
    correlation_id: z.string().optional(),
    field: z.string().optional().describe('The request field at fault, when there is one.'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`), plus a stable `code`.' });

export type ApprovalStatus = z.infer<typeof ApprovalStatus>;
export type Classification = z.infer<typeof Classification>;
export type Notification = z.infer<typeof Notification>;
export type ApproverNotification = z.infer<typeof ApproverNotification>;
export type Escalation = z.infer<typeof Escalation>;
export type AgentDecision = z.infer<typeof AgentDecision>;
export type AgentApproval = z.infer<typeof AgentApproval>;
export type InboxItem = z.infer<typeof InboxItem>;
export type Inbox = z.infer<typeof Inbox>;
export type PersonDecision = z.infer<typeof PersonDecision>;
export type GroupEntry = z.infer<typeof GroupEntry>;
export type ApproverView = z.infer<typeof ApproverView>;
export type DecisionRequest = z.infer<typeof DecisionRequest>;
export type Problem = z.infer<typeof Problem>;

/** Every named schema, in the order the OpenAPI document lists them. */
export const CONTRACT_SCHEMAS = [
  ApprovalStatus,
  Classification,
  Notification,
  ApproverNotification,
  Escalation,
  AgentDecision,
  AgentApproval,
  InboxItem,
  Inbox,
  PersonDecision,
  GroupEntry,
  ApproverView,
  DecisionRequest,
  Problem,
];
