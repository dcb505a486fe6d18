import { z } from 'zod';
import { ApprovalStatus } from './schemas';

// The wire contract of the admin API and the people's own settings (who I am, passkeys, sessions, channels),
// written once, as schemas.ts is for the agent's and the approver's API (docs/adr/0011-wire-contract.md). The shapes
// are described as they are served: the admin API's older views are camelCase in places (`clientId`, `createdAt`).
// Request bodies are here too: the controllers parse them with these schemas, and the OpenAPI document's
// `requestBody` is the same schema, so what is documented is what is enforced.

const timestamp = z.string().describe('RFC 3339 timestamp');
const positiveInteger = z.number().int().min(1);
const patterns = z.array(z.string()).describe('Action type patterns, e.g. "chat.*"');

// --- People ---

export const Role = z.enum(['admin', 'approver', 'member']).meta({ id: 'Role' });

export const Person = z
  .object({
    id: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: Role,
    permissions: patterns,
    status: z.enum(['active', 'disabled']),
    created_at: timestamp,
  })
  .meta({ id: 'Person', description: 'A person, as `/v1/me` and the admin API show them.' });

export const Me = z
  .object({ person: Person, csrf_token: z.string(), session_expires_at: timestamp })
  .meta({ id: 'Me', description: 'The signed-in person and the CSRF token of this session.' });

export const EnrollmentLink = z
  .object({
    url: z.string(),
    expires_at: timestamp,
    emailed: z.boolean().describe('True when the link was also emailed to the person (SMTP configured and the server took the mail).'),
  })
  .meta({ id: 'EnrollmentLink', description: 'A one-time link to enroll a passkey (earlier links stop working).' });

export const People = z.object({ people: z.array(Person) }).meta({ id: 'People' });

// --- Groups (the directory's, with the permissions a member gains; docs/adr/0017-scim-provisioning.md) ---

export const GroupSummary = z
  .object({
    id: z.string(),
    name: z.string(),
    external_id: z.string().nullable().describe("The directory's id for the group (SCIM externalId), if any"),
    permissions: patterns.describe('Action type patterns every member may authorize, beside their own'),
    member_count: z.number().int().min(0),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'GroupSummary', description: 'A group of people, from the directory (SCIM) or the admin API.' });

export const GroupMember = z
  .object({ id: z.string(), email: z.string(), display_name: z.string(), status: z.enum(['active', 'disabled']) })
  .meta({ id: 'GroupMember' });

export const GroupDetail = GroupSummary.extend({ members: z.array(GroupMember) }).meta({
  id: 'GroupDetail',
  description: 'A group with its members.',
});

export const Groups = z.object({ groups: z.array(GroupSummary) }).meta({ id: 'Groups' });

export const Invitation = z
  .object({
    person: Person,
    enrollment: EnrollmentLink.nullable().describe(
      'Null when the deployment requires single sign-on (REQUIRE_SSO): the person signs in through their organization, no link needed.',
    ),
  })
  .meta({ id: 'Invitation', description: 'An invited person and their enrollment link.' });

// --- Delegation (docs/adr/0018-groups-and-delegation.md) ---

const DelegationParty = z.object({ id: z.string(), email: z.string(), display_name: z.string() });

export const Delegation = z
  .object({
    id: z.string(),
    delegator: DelegationParty.describe('Whose approvals are handed over.'),
    delegate: DelegationParty.describe('Who may decide them meanwhile.'),
    starts_at: timestamp,
    ends_at: timestamp,
    reason: z.string().nullable(),
    state: z
      .enum(['scheduled', 'active', 'ended', 'revoked'])
      .describe('Where it stands now; an ended or revoked delegation grants nothing from that moment on.'),
    created_by: z.string(),
    created_at: timestamp,
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'Delegation', description: "A person's approvals handed to another enabled person for a period of at most 90 days." });

export const Delegations = z
  .object({ delegations: z.array(Delegation) })
  .meta({ id: 'Delegations', description: 'Delegations a person gave and holds, newest first.' });

export const CreateDelegationRequest = z
  .strictObject({
    delegate: z.string().min(1).describe("The delegate: an enabled person's id or email (not yourself)."),
    starts_at: z.iso.datetime({ offset: true }).optional().describe('Default: now.'),
    ends_at: z.iso.datetime({ offset: true }).describe('Required: at most 90 days after the start.'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'CreateDelegationRequest', description: 'A delegation to create (`POST /v1/me/delegations`, or an admin for a person).' });

export const Passkey = z
  .object({ id: z.string(), name: z.string(), created_at: timestamp, last_used_at: timestamp.nullable(), backed_up: z.boolean() })
  .meta({ id: 'Passkey', description: "One of a person's passkeys." });

export const Passkeys = z.object({ passkeys: z.array(Passkey) }).meta({ id: 'Passkeys' });

export const SsoProvider = z
  .object({ id: z.string(), name: z.string() })
  .meta({ id: 'SsoProvider', description: 'An OpenID provider people sign in through: `GET /v1/auth/sso/{id}/start`.' });

export const SsoProviders = z
  .object({ providers: z.array(SsoProvider), required: z.boolean().describe('Passkey-only sign-in and enrollment links are off.') })
  .meta({ id: 'SsoProviders', description: 'The single sign-on providers for the sign-in page (docs/adr/0016).' });

export const SessionView = z
  .object({ id: z.string(), user_agent: z.string().nullable(), created_at: timestamp, last_seen_at: timestamp, current: z.boolean() })
  .meta({ id: 'SessionView', description: "One of a person's open sessions; `current` is the one asking." });

export const Sessions = z.object({ sessions: z.array(SessionView) }).meta({ id: 'Sessions' });

export const PushSubscriptionView = z
  .object({ id: z.string(), endpoint_origin: z.string(), created_at: timestamp, last_sent_at: timestamp.nullable() })
  .meta({ id: 'PushSubscriptionView', description: "A browser's web push subscription (its endpoint's origin only)." });

export const SlackLink = z
  .object({ slack_user_id: z.string(), team_id: z.string(), enterprise_id: z.string().nullable(), linked_by: z.string() })
  .meta({ id: 'SlackLink', description: "A person's Slack user, found by email or set by an admin (`linked_by`)." });

// --- Channel preferences (docs/adr/0025-channel-preferences.md) ---

export const ChannelSetUp = z
  .object({
    channel: z.string(),
    configured: z.boolean().describe('Whether this deployment has the channel set up at all (else nothing is sent on it).'),
    set_up: z
      .boolean()
      .nullable()
      .describe('Whether the person can be reached on it: Slack linked, a browser subscribed to push, an email address. Null: not known.'),
  })
  .meta({ id: 'ChannelSetUp', description: 'A channel, and whether it can reach the person.' });

export const TierChannelPreference = z
  .object({
    tier: z.string(),
    allowed: z.array(z.string()).describe("The channels the taxonomy uses for the tier (its own and its escalation steps')."),
    chosen: z.array(z.string()).nullable().describe("The person's choice; null: no preference, every allowed channel."),
    used: z
      .array(z.string())
      .describe(
        'The channels a request of this tier would be sent on now: the choice, unless none of it can work (then every allowed one).',
      ),
  })
  .meta({ id: 'TierChannelPreference', description: "A tier of the active taxonomy and the person's channels for it." });

export const ChannelPreferences = z
  .object({
    taxonomy_version: z.number().int(),
    channels: z.array(ChannelSetUp),
    tiers: z.array(TierChannelPreference).describe('Every tier of the active taxonomy that reaches people.'),
    ignored: z
      .array(z.object({ tier: z.string(), chosen: z.array(z.string()) }))
      .describe('Preferences for tiers the active taxonomy does not have: kept, and used again if the tier comes back.'),
  })
  .meta({ id: 'ChannelPreferences', description: "A person's channels per tier (`GET /v1/me/channel-preferences`)." });

export const ChannelPreferencesRequest = z
  .strictObject({
    preferences: z
      .record(z.string(), z.array(z.string()).nullable())
      .describe(
        'Per tier of the active taxonomy, the channels to use (at least one, each allowed by the tier), or null for all of them. A tier left out has no preference.',
      ),
  })
  .meta({ id: 'ChannelPreferencesRequest', description: 'Replaces my channel preferences (`PUT /v1/me/channel-preferences`).' });

// --- Agents and resource servers ---

export const CibaRegistration = z
  .strictObject({
    delivery_mode: z.enum(['poll', 'ping']).describe('How the client learns of a decision: it polls, or Countersign pings it.'),
    notification_endpoint: z
      .string()
      .nullable()
      .optional()
      .describe('Ping mode: where Countersign POSTs {auth_req_id} (backchannel_client_notification_endpoint).'),
    authorization_details_types: z
      .array(z.string())
      .min(1)
      .describe('The RFC 9396 authorization_details types (action types, e.g. "payments.refund") the client may send.'),
  })
  .meta({ id: 'CibaRegistration', description: "An agent's OpenID CIBA settings (README, OpenID CIBA)." });

export const Agent = z
  .object({
    id: z.string(),
    name: z.string(),
    clientId: z.string(),
    status: z.enum(['active', 'suspended']),
    capabilities: patterns,
    requestsPerMinute: z.number().int(),
    maxPending: z.number().int(),
    ciba: CibaRegistration.required().nullable().describe('Null: the agent does not use CIBA.'),
    createdAt: timestamp,
  })
  .meta({ id: 'Agent', description: 'An agent as the admin API shows it.' });

export const Agents = z.object({ agents: z.array(Agent) }).meta({ id: 'Agents' });

export const CreatedAgent = Agent.extend({
  client_secret: z.string().describe('Shown once; only its hash is stored.'),
  callback_secret: z.string().nullable().describe('The secret signing callbacks, when one was asked for; shown once.'),
}).meta({ id: 'CreatedAgent', description: 'A new agent with its secrets, shown this once.' });

export const SuspendedAgent = Agent.extend({
  cancelled_approvals: z.array(z.string()).describe('Ids of the pending approvals the suspension cancelled.'),
}).meta({ id: 'SuspendedAgent', description: 'An agent after the kill switch.' });

export const AgentApprovalSummary = z
  .object({
    id: z.string(),
    status: ApprovalStatus,
    status_reason: z.string().nullable(),
    tier: z.string(),
    action: z.object({ type: z.string(), resource: z.string() }),
    on_behalf_of: z.object({ id: z.string(), email: z.string() }),
    created_at: timestamp,
    decided_at: timestamp.nullable(),
  })
  .meta({ id: 'AgentApprovalSummary', description: "One of an agent's approvals, as the admin API lists them." });

export const AgentApprovals = z.object({ approvals: z.array(AgentApprovalSummary) }).meta({ id: 'AgentApprovals' });

export const ResourceServer = z
  .object({ id: z.string(), audience: z.string(), clientId: z.string(), status: z.enum(['active', 'disabled']), createdAt: timestamp })
  .meta({ id: 'ResourceServer', description: 'A downstream service that verifies and consumes approval tokens.' });

export const ResourceServers = z.object({ resource_servers: z.array(ResourceServer) }).meta({ id: 'ResourceServers' });

export const CreatedResourceServer = ResourceServer.extend({ client_secret: z.string().describe('Shown once.') }).meta({
  id: 'CreatedResourceServer',
  description: 'A new resource server with its client secret, shown this once.',
});

// --- Taxonomy ---

export const TaxonomyVersionSummary = z
  .object({
    version: z.number().int(),
    active: z.boolean(),
    checksum: z.string(),
    createdBy: z.string(),
    comment: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'TaxonomyVersionSummary', description: 'A stored taxonomy version, without its source.' });

export const TaxonomyVersion = TaxonomyVersionSummary.extend({ source: z.string().describe('The YAML file as applied.') }).meta({
  id: 'TaxonomyVersion',
  description: 'A stored taxonomy version with its source.',
});

export const LintFinding = z
  .object({
    severity: z.enum(['error', 'warning']),
    code: z.string(),
    line: z.number().int(),
    column: z.number().int(),
    path: z.string().describe('Dot path into the document, e.g. "actions[3].rules[1]".'),
    message: z.string(),
  })
  .meta({ id: 'LintFinding', description: 'A lint finding in a taxonomy file, with its line.' });

const TestOutcome = {
  tier: z.string(),
  decision: z.string(),
  approvals: z.number().int(),
  step_up: z.string(),
  reversibility: z.string().nullable(),
  blast_radius: z.string().nullable(),
  rule: z.string(),
};

export const TaxonomyTestFailure = z
  .object({
    index: z.number().int(),
    path: z.string().describe('"tests[3]"'),
    line: z.number().int().optional(),
    name: z.string(),
    case: z.object({
      name: z.string().optional(),
      action: z.object({ type: z.string(), resource: z.string().optional(), args: z.record(z.string(), z.unknown()).optional() }),
      provenance: z.array(z.string()).optional(),
      agent: z.unknown().optional(),
      person: z.unknown().optional(),
      expect: z.unknown(),
    }),
    expected: z.object(TestOutcome).partial().required({ tier: true }),
    actual: z.object(TestOutcome),
    mismatches: z.array(z.string()).describe("The expectation's fields that differ."),
    decided_by: z.string(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'TaxonomyTestFailure', description: "A failing case of the taxonomy's own `tests:`." });

export const TaxonomyCheck = z
  .object({
    lint: z.object({ errors: z.number().int(), warnings: z.number().int(), findings: z.array(LintFinding) }),
    tests: z
      .object({ total: z.number().int(), passed: z.number().int(), failures: z.array(TaxonomyTestFailure) })
      .nullable()
      .describe('Null when lint found errors (the tests need a valid file).'),
  })
  .meta({ id: 'TaxonomyCheck', description: 'Lint findings of a candidate taxonomy file and its own test results.' });

export const AppliedTaxonomy = z
  .object({
    version: z.number().int(),
    checksum: z.string(),
    warnings: z.array(LintFinding).describe('Lint warnings: reported, not blocking.'),
    tests: z.object({ total: z.number().int(), passed: z.number().int() }),
  })
  .meta({ id: 'AppliedTaxonomy', description: 'A taxonomy file stored and activated as the next version.' });

export const ActivatedTaxonomy = z
  .object({ version: z.number().int(), previousVersion: z.number().int().nullable() })
  .meta({ id: 'ActivatedTaxonomy', description: 'The version now active and the one it replaced.' });

export const FieldChange = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() }).meta({ id: 'FieldChange' });

export const TierChange = z
  .object({ before: z.string().nullable(), after: z.string().nullable(), move: z.enum(['up', 'down', 'unchanged']) })
  .meta({ id: 'TierChange', description: 'A tier before and after; null where the entry does not exist on that side.' });

const EntryChange = z.enum(['added', 'removed', 'changed']);

export const TaxonomyDiff = z
  .object({
    unknown_action: TierChange.nullable(),
    trusted_provenance: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
    tiers: z.array(z.object({ tier: z.string(), fields: z.array(FieldChange), strictness: z.enum(['stricter', 'looser', 'same']) })),
    matrix: z.array(z.object({ reversibility: z.string(), blast_radius: z.string(), tier: TierChange })),
    actions: z.array(
      z.object({
        type: z.string(),
        change: EntryChange,
        fields: z.array(FieldChange),
        tier: TierChange,
        rules: z.array(z.object({ rule: z.string(), change: EntryChange, fields: z.array(FieldChange), tier: TierChange })),
      }),
    ),
    tests: z.object({ before: z.number().int(), after: z.number().int() }),
    summary: z.object({
      actions_added: z.number().int(),
      actions_removed: z.number().int(),
      actions_changed: z.number().int(),
      rules_added: z.number().int(),
      rules_removed: z.number().int(),
      rules_changed: z.number().int(),
      tiers_up: z.number().int(),
      tiers_down: z.number().int(),
    }),
    from: z.number().int().optional().describe('The versions compared, when both are stored ones (GET).'),
    to: z.number().int().optional(),
  })
  .meta({ id: 'TaxonomyDiff', description: 'What changed in meaning between two taxonomies, and where tiers moved.' });

const ReplayDecision = { tier: z.string(), decision: z.string(), rule: z.string() };

export const ReplayResult = z
  .object({
    replayed: z.number().int(),
    unchanged: z.number().int(),
    tier_up: z.number().int(),
    tier_down: z.number().int(),
    newly_forbidden: z.number().int().describe('Not forbidden when recorded, forbidden now.'),
    human_to_auto: z.number().int().describe("Needed a person's approval when recorded, approved automatically now."),
    more_strict: z.number().int(),
    less_strict: z.number().int().describe('Any relaxation: what the relax guard counts.'),
    moves: z.record(z.string(), z.number().int()).describe('"high -> low": how many approvals moved that way.'),
    examples: z.record(
      z.enum(['tier_up', 'tier_down', 'newly_forbidden', 'human_to_auto', 'more_strict', 'less_strict']),
      z.array(
        z.object({
          approval_id: z.string(),
          created_at: timestamp,
          action_type: z.string(),
          resource: z.string(),
          agent: z.string(),
          before: z.object(ReplayDecision),
          after: z.object({ ...ReplayDecision, reasons: z.array(z.string()) }),
        }),
      ),
    ),
    window: z.object({ last: z.number().int().optional(), days: z.number().int().optional() }),
    relaxes: z.boolean().describe('True when any replayed approval would get less oversight.'),
  })
  .meta({ id: 'ReplayResult', description: 'Stored approvals classified again with a candidate taxonomy: what would change.' });

export const UnknownActions = z
  .object({
    days: z.number().int(),
    actions: z.array(
      z.object({
        action_type: z.string(),
        count: z.number().int(),
        last_seen: timestamp,
        agents: z.array(z.string()),
        matched_now: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'UnknownActions', description: 'Action types requested recently that matched nothing, with counts and agents.' });

// --- Audit and overview ---

export const AuditEvent = z
  .object({
    seq: z.string(),
    occurredAt: timestamp,
    actorType: z.string(),
    actorId: z.string().nullable(),
    type: z.string(),
    subjectType: z.string().nullable(),
    subjectId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent', description: 'An audit event, chained to the one before by its hash.' });

export const AuditPage = z
  .object({ events: z.array(AuditEvent), next_before: z.string().nullable() })
  .meta({ id: 'AuditPage', description: 'Audit events, newest first; `next_before` pages on.' });

export const ChainCheck = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    broken: z.object({ seq: z.string(), problem: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap']) }).nullable(),
    verified_at: timestamp,
  })
  .meta({ id: 'ChainCheck', description: 'The audit hash chain walked from the first event; `broken` names the first bad link.' });

const outcomeCounts = {
  approved: z.number().int(),
  denied: z.number().int(),
  expired: z.number().int(),
  cancelled: z.number().int(),
  pending: z.number().int(),
};

export const Overview = z
  .object({
    period: z.object({ days: z.number().int(), since: timestamp, until: timestamp }),
    approvals: z.object({
      total: z.number().int(),
      by_outcome: z.object(outcomeCounts),
      by_tier: z.array(z.object({ tier: z.string(), total: z.number().int(), ...outcomeCounts })),
    }),
    time_to_decision: z.object({ decided: z.number().int(), p50_seconds: z.number().nullable(), p90_seconds: z.number().nullable() }),
    decisions: z.object({
      total: z.number().int(),
      fast: z.number().int(),
      fast_threshold_seconds: z.number(),
      recent_fast: z.array(
        z.object({
          approval_id: z.string(),
          action_type: z.string(),
          tier: z.string(),
          person: z.string(),
          verdict: z.enum(['approve', 'deny']),
          channel: z.string(),
          decided_at: timestamp,
        }),
      ),
    }),
    deliveries_failing: z.object({
      total: z.number().int(),
      by_channel: z.array(
        z.object({
          channel: z.string(),
          failed: z.number().int(),
          gone: z.number().int(),
          unreachable: z.number().int(),
          total: z.number().int(),
        }),
      ),
    }),
    pending_now: z.object({ total: z.number().int(), by_tier: z.array(z.object({ tier: z.string(), count: z.number().int() })) }),
  })
  .meta({ id: 'Overview', description: "The admin console's overview of the last `days` days, plus what is pending now." });

// --- Request bodies (strict: an unknown member is refused, named) ---

const quota = positiveInteger.nullable().describe('A positive integer; null = the default.');

export const CreateAgentRequest = z
  .strictObject({
    name: z.string(),
    capabilities: patterns.optional(),
    requests_per_minute: quota.optional(),
    max_pending: quota.optional(),
    callback_secret: z.boolean().optional().describe('True: generate a secret that signs callbacks.'),
    ciba: CibaRegistration.optional(),
  })
  .meta({ id: 'CreateAgentRequest', description: 'A new agent (`POST /v1/admin/agents`).' });

export const UpdateAgentRequest = z
  .strictObject({
    capabilities: patterns.optional(),
    requests_per_minute: quota.optional(),
    max_pending: quota.optional(),
    ciba: CibaRegistration.nullable().optional().describe('Null: the agent no longer uses CIBA.'),
  })
  .meta({
    id: 'UpdateAgentRequest',
    description: "Changes to an agent's capabilities, quotas (null = the default quota) and CIBA settings (null = none).",
  });

export const SuspendAgentRequest = z
  .strictObject({ reason: z.string().optional() })
  .meta({ id: 'SuspendAgentRequest', description: 'Why the agent is suspended (optional; the body may be absent).' });

export const InvitePersonRequest = z
  .strictObject({ email: z.string(), role: Role, permissions: patterns.optional(), display_name: z.string().optional() })
  .meta({ id: 'InvitePersonRequest', description: 'A person to invite (`POST /v1/admin/people`).' });

export const UpdatePersonRequest = z
  .strictObject({ role: Role.optional(), permissions: patterns.optional(), status: z.enum(['active', 'disabled']).optional() })
  .meta({ id: 'UpdatePersonRequest', description: "Changes to a person's role, permissions or status (disabling ends their sessions)." });

export const SetGroupPermissionsRequest = z
  .strictObject({ permissions: patterns })
  .meta({ id: 'SetGroupPermissionsRequest', description: "A group's permissions, replacing the old ones (audited)." });

export const CreateResourceServerRequest = z
  .strictObject({ audience: z.string().describe('An absolute URL, e.g. https://payments.internal') })
  .meta({ id: 'CreateResourceServerRequest', description: 'A resource server to register.' });

export const ActivateTaxonomyRequest = z
  .strictObject({ reason: z.string().describe('Why this version is being activated (audited).') })
  .meta({ id: 'ActivateTaxonomyRequest', description: 'Activating a stored taxonomy version (a rollback).' });

export const SlackLinkRequest = z
  .strictObject({
    user_id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id (U…)'),
    team_id: z.string().regex(/^T[A-Z0-9]{2,}$/, 'must be a Slack team id (T…)'),
    enterprise_id: z
      .string()
      .regex(/^E[A-Z0-9]{2,}$/, 'must be a Slack Enterprise Grid id (E…)')
      .nullable()
      .optional(),
  })
  .meta({ id: 'SlackLinkRequest', description: 'Linking a person to a Slack user explicitly (when emails differ).' });

export type Role = z.infer<typeof Role>;
export type Person = z.infer<typeof Person>;
export type Me = z.infer<typeof Me>;
export type ChannelSetUp = z.infer<typeof ChannelSetUp>;
export type TierChannelPreference = z.infer<typeof TierChannelPreference>;
export type ChannelPreferences = z.infer<typeof ChannelPreferences>;
export type ChannelPreferencesRequest = z.infer<typeof ChannelPreferencesRequest>;
export type EnrollmentLink = z.infer<typeof EnrollmentLink>;
export type People = z.infer<typeof People>;
export type Invitation = z.infer<typeof Invitation>;
export type GroupSummary = z.infer<typeof GroupSummary>;
export type GroupMember = z.infer<typeof GroupMember>;
export type GroupDetail = z.infer<typeof GroupDetail>;
export type Groups = z.infer<typeof Groups>;
export type SetGroupPermissionsRequest = z.infer<typeof SetGroupPermissionsRequest>;
export type Passkey = z.infer<typeof Passkey>;
export type Passkeys = z.infer<typeof Passkeys>;
export type SsoProvider = z.infer<typeof SsoProvider>;
export type SsoProviders = z.infer<typeof SsoProviders>;
export type Delegation = z.infer<typeof Delegation>;
export type Delegations = z.infer<typeof Delegations>;
export type CreateDelegationRequest = z.infer<typeof CreateDelegationRequest>;
export type SessionView = z.infer<typeof SessionView>;
export type Sessions = z.infer<typeof Sessions>;
export type PushSubscriptionView = z.infer<typeof PushSubscriptionView>;
export type SlackLink = z.infer<typeof SlackLink>;
export type Agent = z.infer<typeof Agent>;
export type Agents = z.infer<typeof Agents>;
export type CreatedAgent = z.infer<typeof CreatedAgent>;
export type SuspendedAgent = z.infer<typeof SuspendedAgent>;
export type AgentApprovalSummary = z.infer<typeof AgentApprovalSummary>;
export type AgentApprovals = z.infer<typeof AgentApprovals>;
export type ResourceServer = z.infer<typeof ResourceServer>;
export type ResourceServers = z.infer<typeof ResourceServers>;
export type CreatedResourceServer = z.infer<typeof CreatedResourceServer>;
export type TaxonomyVersionSummary = z.infer<typeof TaxonomyVersionSummary>;
export type TaxonomyVersion = z.infer<typeof TaxonomyVersion>;
export type LintFinding = z.infer<typeof LintFinding>;
export type TaxonomyTestFailure = z.infer<typeof TaxonomyTestFailure>;
export type TaxonomyCheck = z.infer<typeof TaxonomyCheck>;
export type AppliedTaxonomy = z.infer<typeof AppliedTaxonomy>;
export type ActivatedTaxonomy = z.infer<typeof ActivatedTaxonomy>;
export type FieldChange = z.infer<typeof FieldChange>;
export type TierChange = z.infer<typeof TierChange>;
export type TaxonomyDiff = z.infer<typeof TaxonomyDiff>;
export type ReplayResult = z.infer<typeof ReplayResult>;
export type UnknownActions = z.infer<typeof UnknownActions>;
export type AuditEvent = z.infer<typeof AuditEvent>;
export type AuditPage = z.infer<typeof AuditPage>;
export type ChainCheck = z.infer<typeof ChainCheck>;
export type Overview = z.infer<typeof Overview>;
export type CibaRegistration = z.infer<typeof CibaRegistration>;
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;
export type SuspendAgentRequest = z.infer<typeof SuspendAgentRequest>;
export type InvitePersonRequest = z.infer<typeof InvitePersonRequest>;
export type UpdatePersonRequest = z.infer<typeof UpdatePersonRequest>;
export type CreateResourceServerRequest = z.infer<typeof CreateResourceServerRequest>;
export type ActivateTaxonomyRequest = z.infer<typeof ActivateTaxonomyRequest>;
export type SlackLinkRequest = z.infer<typeof SlackLinkRequest>;

/** The admin API's and the people's settings' named schemas, after CONTRACT_SCHEMAS in the OpenAPI document. */
export const ADMIN_SCHEMAS = [
  Role,
  Person,
  Me,
  EnrollmentLink,
  People,
  Invitation,
  GroupSummary,
  GroupMember,
  GroupDetail,
  Groups,
  Passkey,
  Passkeys,
  SsoProvider,
  SsoProviders,
  Delegation,
  Delegations,
  SessionView,
  Sessions,
  PushSubscriptionView,
  SlackLink,
  ChannelSetUp,
  TierChannelPreference,
  ChannelPreferences,
  ChannelPreferencesRequest,
  CibaRegistration,
  Agent,
  Agents,
  CreatedAgent,
  SuspendedAgent,
  AgentApprovalSummary,
  AgentApprovals,
  ResourceServer,
  ResourceServers,
  CreatedResourceServer,
  TaxonomyVersionSummary,
  TaxonomyVersion,
  LintFinding,
  TaxonomyTestFailure,
  TaxonomyCheck,
  AppliedTaxonomy,
  ActivatedTaxonomy,
  FieldChange,
  TierChange,
  TaxonomyDiff,
  ReplayResult,
  UnknownActions,
  AuditEvent,
  AuditPage,
  ChainCheck,
  Overview,
  CreateAgentRequest,
  UpdateAgentRequest,
  SuspendAgentRequest,
  InvitePersonRequest,
  UpdatePersonRequest,
  SetGroupPermissionsRequest,
  CreateResourceServerRequest,
  ActivateTaxonomyRequest,
  SlackLinkRequest,
  CreateDelegationRequest,
];
