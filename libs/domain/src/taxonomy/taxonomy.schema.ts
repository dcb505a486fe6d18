import { z } from 'zod';
import { isDuration, parseDuration } from '../duration';
import { BLAST_RADII, REVERSIBILITIES } from './tiers';
import { CHANNEL_TYPES, listOfChannels } from './taxonomy.types';

const duration = z.string().refine(isDuration, { message: 'invalid duration: use a positive integer with s, m, h or d, e.g. "30m"' });

/**
 * The longest an approval token may live (a tier's `token_ttl`). A rotated signing key stays in the JWKS this long
 * (plus clock skew), and verifiers default to refusing tokens older than this plus a margin: raising it means
 * raising both.
 */
export const MAX_TOKEN_TTL_SECONDS = 3600;
const tokenTtl = duration.refine((text) => !isDuration(text) || parseDuration(text) <= MAX_TOKEN_TTL_SECONDS, {
  message: `token_ttl must be at most 1h (${MAX_TOKEN_TTL_SECONDS}s): rotated signing keys stay published, and verifiers accept tokens, only that long`,
});
const approver = z.string().regex(/^(on_behalf_of|(role|group|person):\S+)$/, {
  message: 'approver must be "on_behalf_of", "role:<role>", "group:<name>" or "person:<id>"',
});
/** What an escalation step may add: any approver, or `manager` (the on-behalf-of person's manager, found when the step fires). */
const escalationApprover = z.string().regex(/^(on_behalf_of|manager|(role|group|person):\S+)$/, {
  message: 'escalation approver must be "on_behalf_of", "manager", "role:<role>", "group:<name>" or "person:<id>"',
});
const channel = z.enum(CHANNEL_TYPES, { message: `unknown channel: channels are ${listOfChannels()}` });
const escalationStep = z.strictObject({
  after: duration,
  to: z.array(escalationApprover).min(1, { message: 'an escalation step must add at least one approver' }),
  channels: z.array(channel).min(1).optional(),
});
const tierName = z.string().min(1);
const reversibility = z.enum(REVERSIBILITIES as [string, ...string[]]);
const blastRadius = z.enum(BLAST_RADII as [string, ...string[]]);
const actionPattern = z
  .string()
  .regex(/^[A-Za-z0-9_.*:-]+$/, { message: 'action type must be letters, digits, "_", "-", ":", "." or the wildcard "*"' });

const autoApproveTier = z.strictObject({ decision: z.literal('auto_approve'), token_ttl: tokenTtl.optional() });
const approveTier = z.strictObject({
  decision: z.literal('approve'),
  approvals: z.number().int().min(1).max(10).optional(),
  approvers: z.array(approver).min(1).optional(),
  approvals_from: z
    .record(z.string().regex(/^group:\S+$/, { message: 'approvals_from names "group:<name>" entries' }), z.number().int().min(1).max(10))
    .optional(),
  step_up: z.enum(['none', 'passkey']).optional(),
  channels: z.array(channel).min(1).optional(),
  ttl: duration.optional(),
  token_ttl: tokenTtl.optional(),
  remind_after: duration.optional(),
  escalate_after: duration.optional(),
  escalate_to: z.array(escalationApprover).min(1).optional(),
  escalation: z.array(escalationStep).min(1).optional(),
  /** A decision sooner than this after the person was shown the request is flagged fast; 0 turns the flag off. */
  fast_decision_seconds: z.number().min(0).max(300).optional(),
});
const denyTier = z.strictObject({ decision: z.literal('deny') });

const rule = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  when: z.string().min(1),
  tier: tierName.optional(),
  reversibility: reversibility.optional(),
  blast_radius: blastRadius.optional(),
  audience: z.string().min(1).optional(),
});

const action = z.strictObject({
  type: actionPattern,
  description: z.string().optional(),
  reversibility,
  blast_radius: blastRadius,
  audience: z.string().min(1).optional(),
  sensitive_args: z.array(z.string().min(1)).optional(),
  rules: z.array(rule).optional(),
});

const identity = z.strictObject({
  id: z.string().min(1).optional(),
  client_id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
});
const person = z.strictObject({
  id: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  role: z.string().min(1).optional(),
});
const testCase = z.strictObject({
  name: z.string().min(1).optional(),
  action: z.strictObject({ type: z.string().min(1), resource: z.string().optional(), args: z.record(z.string(), z.unknown()).optional() }),
  provenance: z.array(z.string().min(1)).optional(),
  agent: identity.optional(),
  person: person.optional(),
  expect: z.strictObject({
    tier: tierName,
    decision: z.enum(['auto_approve', 'approve', 'deny']).optional(),
    approvals: z.number().int().min(0).optional(),
    step_up: z.enum(['none', 'passkey']).optional(),
    reversibility: reversibility.optional(),
    blast_radius: blastRadius.optional(),
    rule: z.string().min(1).optional(),
  }),
});

const matrixRow = z.strictObject({ self: tierName, team: tierName, organization: tierName, external: tierName });

/** Shape only; tier references, durations in context and CEL are checked by the semantic pass. */
export const taxonomySchema = z.strictObject({
  description: z.string().optional(),
  trusted_provenance: z.array(z.string().min(1)),
  unknown_action: tierName,
  tiers: z.record(z.string(), z.discriminatedUnion('decision', [autoApproveTier, approveTier, denyTier])),
  matrix: z.strictObject({ reversible: matrixRow, compensable: matrixRow, irreversible: matrixRow }),
  actions: z.array(action),
  tests: z.array(testCase).optional(),
});
