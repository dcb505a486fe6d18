import type { ClassificationInput } from './taxonomy.types';

/** A small taxonomy in the documented format; tests replace lines in it to provoke one error at a time. */
export const SAMPLE_TAXONOMY_YAML = `trusted_provenance: [user, system]
unknown_action: critical
tiers:
  low:       { decision: auto_approve, token_ttl: 5m }
  medium:    { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none,
               channels: [slack, web_push], ttl: 30m, remind_after: 10m }
  high:      { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: passkey,
               channels: [web_push, slack], ttl: 30m }
  critical:  { decision: approve, approvals: 2, approvers: [on_behalf_of, "role:admin"], step_up: passkey,
               ttl: 2h, escalate_after: 30m, escalate_to: ["role:admin"] }
  forbidden: { decision: deny }
matrix:
  reversible:   { self: low,    team: low,    organization: medium,   external: medium }
  compensable:  { self: low,    team: medium, organization: high,     external: high }
  irreversible: { self: medium, team: high,   organization: critical, external: critical }
actions:
  - type: "payments.transfer"
    reversibility: irreversible
    blast_radius: external
    audience: "https://payments.internal"
    sensitive_args: ["account_number"]
    rules:
      - when: "double(args.amount) < 100.0"
        tier: medium
      - name: hard limit
        when: "double(args.amount) >= 100000.0"
        tier: forbidden
  - type: "payments.*"
    reversibility: compensable
    blast_radius: external
  - type: "email.*"
    reversibility: irreversible
    blast_radius: team
  - type: "email.bulk.*"
    reversibility: irreversible
    blast_radius: external
  - type: "files.delete"
    reversibility: irreversible
    blast_radius: team
    rules:
      - when: "args.permanent == false"
        reversibility: reversible
      - when: "args.shared"
        blast_radius: organization
        audience: "https://files.internal"
  - type: "chat.send"
    reversibility: compensable
    blast_radius: team
    rules:
      - when: "args.channel == '#general'"
        tier: low
`;

export function newClassificationInput(
  overrides: {
    type?: string;
    resource?: string;
    args?: Record<string, unknown>;
    provenance?: string[];
    role?: string;
  } = {},
): ClassificationInput {
  return {
    action: { type: overrides.type ?? 'payments.transfer', resource: overrides.resource ?? 'accounts/main', args: overrides.args ?? {} },
    agent: { id: 'agent-1', client_id: 'client-1', name: 'Billing bot' },
    person: { id: 'person-1', email: 'ann@acme.test', role: overrides.role ?? 'member' },
    context: { provenance: overrides.provenance ?? ['user'] },
  };
}

/** Replaces the 1-based line `line` of the sample; fails loudly if the line does not hold `expected`. */
export function sampleWithLine(line: number, expected: string, replacement: string): string {
  const lines = SAMPLE_TAXONOMY_YAML.split('\n');
  if (!lines[line - 1].includes(expected)) {
    throw new Error(`line ${line} is ${JSON.stringify(lines[line - 1])}, not ${expected}`);
  }
  lines[line - 1] = lines[line - 1].replace(expected, replacement);
  return lines.join('\n');
}
