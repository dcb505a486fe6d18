import { escalationLadder, escalationProgress, mergeGroupMembers, resolveStepEntries } from '../escalation';
import { loadTaxonomy } from './taxonomy-compiler';
import { lintTaxonomy, type LintFinding } from './taxonomy-lint';
import { SAMPLE_TAXONOMY_YAML } from './taxonomy.fixture';

// The sample's critical tier: two lines, "critical:  { … step_up: passkey," and "ttl: 2h, escalate_after: 30m, escalate_to: [...] }".
const CRITICAL_TAIL = 'ttl: 2h, escalate_after: 30m, escalate_to: ["role:admin"] }';

/** The sample taxonomy with the critical tier's escalation written as `ladder` (YAML flow, after `ttl: 2h, `). */
const withLadder = (ladder: string, ttl = '2h'): string => {
  if (!SAMPLE_TAXONOMY_YAML.includes(CRITICAL_TAIL)) throw new Error('the sample taxonomy changed');
  return SAMPLE_TAXONOMY_YAML.replace(CRITICAL_TAIL, `ttl: ${ttl}, channels: [slack, web_push], escalation: ${ladder} }`);
};
const THREE_STEPS =
  '[{ after: 10m, to: ["role:security"] }, { after: 30m, to: ["person:cfo@example.com", manager], channels: [slack] }, { after: 1h, to: ["group:finance"], channels: [web_push] }]';

const errorsOf = (text: string): LintFinding[] => lintTaxonomy(text).findings.filter((finding) => finding.severity === 'error');
const warningsOf = (text: string): LintFinding[] =>
  lintTaxonomy(text).findings.filter((finding) => finding.code === 'escalation_may_reach_nobody');
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('escalation ladder: schema and semantics', () => {
  it('accepts a ladder of steps with their own approvers and channels', () => {
    expect(errorsOf(withLadder(THREE_STEPS))).toEqual([]);
  });

  it('refuses delays that do not increase strictly, at the later step', () => {
    const equal = withLadder('[{ after: 30m, to: ["role:security"] }, { after: 30m, to: ["role:finance"] }]');
    expect(errorsOf(equal)).toEqual([
      expect.objectContaining({
        code: 'invalid',
        path: 'tiers.critical.escalation[1].after',
        line: lineOf(equal, 'escalation:'),
        message: expect.stringContaining('delays increase strictly'),
      }),
    ]);
    const decreasing = withLadder('[{ after: 1h, to: ["role:security"] }, { after: 45m, to: ["role:finance"] }]');
    expect(errorsOf(decreasing).map((error) => error.path)).toEqual(['tiers.critical.escalation[1].after']);
    // 3600 s and 1h are the same delay, whatever the spelling.
    expect(errorsOf(withLadder('[{ after: 3600s, to: ["role:security"] }, { after: 1h, to: ["role:finance"] }]'))).toHaveLength(1);
  });

  it('refuses a step at or after the ttl, including the default ttl', () => {
    expect(errorsOf(withLadder('[{ after: 2h, to: ["role:security"] }]'))).toEqual([
      expect.objectContaining({
        path: 'tiers.critical.escalation[0].after',
        message: expect.stringContaining("before the tier's ttl (2h)"),
      }),
    ]);
    const noTtl = SAMPLE_TAXONOMY_YAML.replace(CRITICAL_TAIL, 'escalation: [{ after: 45m, to: ["role:security"] }] }');
    expect(errorsOf(noTtl)).toEqual([expect.objectContaining({ message: expect.stringContaining('(30m)') })]);
  });

  it('refuses an empty step, and a step that adds nobody new', () => {
    expect(errorsOf(withLadder('[{ after: 10m, to: [] }]'))).toEqual([
      expect.objectContaining({
        code: 'schema',
        path: 'tiers.critical.escalation[0].to',
        message: expect.stringContaining('at least one'),
      }),
    ]);
    // role:admin is already an approver of the critical tier; role:security is added by the step before.
    const adds = withLadder(
      '[{ after: 10m, to: ["role:admin"] }, { after: 20m, to: ["role:security"] }, { after: 30m, to: ["role:security"] }]',
    );
    expect(errorsOf(adds)).toEqual([
      expect.objectContaining({ path: 'tiers.critical.escalation[0].to', message: expect.stringContaining('adds nobody') }),
      expect.objectContaining({ path: 'tiers.critical.escalation[2].to', message: expect.stringContaining('adds nobody') }),
    ]);
    expect(errorsOf(withLadder('[{ after: 10m, to: ["role:admin", "role:security"] }]'))).toEqual([]);
  });

  it('refuses unknown channel names, unknown entries and unknown step fields', () => {
    expect(errorsOf(withLadder('[{ after: 10m, to: ["role:security"], channels: [carrier_pigeon] }]'))).toEqual([
      expect.objectContaining({
        code: 'schema',
        path: 'tiers.critical.escalation[0].channels[0]',
        message: expect.stringContaining('unknown channel'),
      }),
    ]);
    expect(errorsOf(withLadder('[{ after: 10m, to: ["boss"] }]'))).toEqual([
      expect.objectContaining({
        code: 'schema',
        path: 'tiers.critical.escalation[0].to[0]',
        message: expect.stringContaining('"manager"'),
      }),
    ]);
    expect(errorsOf(withLadder('[{ after: 10m, to: ["role:security"], delay: 5m }]'))).toEqual([
      expect.objectContaining({ code: 'schema', path: 'tiers.critical.escalation[0].delay', message: 'unknown key "delay"' }),
    ]);
    expect(errorsOf(withLadder('[{ after: soon, to: ["role:security"] }]'))).toEqual([
      expect.objectContaining({ code: 'schema', path: 'tiers.critical.escalation[0].after' }),
    ]);
  });

  it('refuses a ladder beside the one-step escalate_after/escalate_to', () => {
    const both = SAMPLE_TAXONOMY_YAML.replace(
      CRITICAL_TAIL,
      'ttl: 2h, escalate_after: 30m, escalation: [{ after: 10m, to: ["role:security"] }] }',
    );
    expect(errorsOf(both)).toEqual([
      expect.objectContaining({ path: 'tiers.critical.escalate_after', message: expect.stringContaining('one-step form') }),
    ]);
  });

  it('manager is an escalation entry, not an approver of the tier itself', () => {
    const asApprover = SAMPLE_TAXONOMY_YAML.replace('approvers: [on_behalf_of, "role:admin"]', 'approvers: [on_behalf_of, manager]');
    expect(errorsOf(asApprover)).toEqual([expect.objectContaining({ code: 'schema', path: 'tiers.critical.approvers[1]' })]);
  });

  it('warns about a step that names only the manager (nobody when the directory has none), not one with a fallback', () => {
    const only = withLadder('[{ after: 10m, to: ["role:security"] }, { after: 20m, to: [manager] }]');
    expect(warningsOf(only)).toEqual([
      expect.objectContaining({
        code: 'escalation_may_reach_nobody',
        path: 'tiers.critical.escalation[1].to',
        line: lineOf(only, 'manager'),
      }),
    ]);
    expect(errorsOf(only)).toEqual([]);
    expect(warningsOf(withLadder('[{ after: 20m, to: [manager, "role:security"] }]'))).toEqual([]);
    const legacy = SAMPLE_TAXONOMY_YAML.replace(CRITICAL_TAIL, 'ttl: 2h, escalate_after: 30m, escalate_to: [manager] }');
    expect(warningsOf(legacy)).toEqual([expect.objectContaining({ path: 'tiers.critical.escalate_to' })]);
  });
});

describe('escalation ladder: compiled requirement', () => {
  it('compiles each step with its delay in seconds and its channels (the tier’s when left out)', () => {
    const requirement = loadTaxonomy(withLadder(THREE_STEPS)).requirementFor('critical');
    expect(requirement.escalation).toEqual([
      { after_seconds: 600, to: ['role:security'], channels: ['slack', 'web_push'] },
      { after_seconds: 1800, to: ['person:cfo@example.com', 'manager'], channels: ['slack'] },
      { after_seconds: 3600, to: ['group:finance'], channels: ['web_push'] },
    ]);
    // What code reading the one-step fields sees: the first step.
    expect(requirement).toMatchObject({ escalate_after_seconds: 600, escalate_to: ['role:security'] });
    expect(Object.isFrozen(requirement.escalation?.[1].to)).toBe(true);
  });

  it('compiles the legacy escalate_after/escalate_to to a ladder of one step, and no escalation to none', () => {
    const taxonomy = loadTaxonomy(SAMPLE_TAXONOMY_YAML);
    expect(taxonomy.requirementFor('critical').escalation).toEqual([
      { after_seconds: 1800, to: ['role:admin'], channels: ['web_push', 'slack'] },
    ]);
    expect(taxonomy.requirementFor('medium')).toMatchObject({ escalation: [], escalate_after_seconds: null, escalate_to: [] });
    expect(taxonomy.requirementFor('low').escalation).toEqual([]);
  });

  it('reads a requirement stored before the ladder (no escalation field) as one step', () => {
    const stored = { escalate_after_seconds: 900, escalate_to: ['role:admin'], channels: ['slack' as const] };
    expect(escalationLadder(stored)).toEqual([{ after_seconds: 900, to: ['role:admin'], channels: ['slack'] }]);
    expect(escalationLadder({ escalate_after_seconds: null, escalate_to: [], channels: [] })).toEqual([]);
  });

  it('tells where an approval is on its ladder and when the next step fires', () => {
    const requirement = loadTaxonomy(withLadder(THREE_STEPS)).requirementFor('critical');
    const created = new Date('2026-12-01T10:00:00Z');
    expect(escalationProgress(requirement, 0, created)).toEqual({ step: 0, steps: 3, nextAt: new Date('2026-12-01T10:10:00Z') });
    expect(escalationProgress(requirement, 2, created)).toEqual({ step: 2, steps: 3, nextAt: new Date('2026-12-01T11:00:00Z') });
    expect(escalationProgress(requirement, 3, created)).toEqual({ step: 3, steps: 3, nextAt: null });
  });
});

describe('escalation ladder: resolving a step', () => {
  const step = { after_seconds: 60, to: ['manager', 'role:admin', 'group:finance'], channels: ['slack' as const] };

  it('records the manager as a person, and adds nothing already listed', () => {
    expect(resolveStepEntries(step, 'm-1', ['on_behalf_of'])).toEqual(['person:m-1', 'role:admin', 'group:finance']);
    expect(resolveStepEntries(step, 'm-1', ['role:admin', 'person:m-1'])).toEqual(['group:finance']);
  });

  it('drops the manager when the directory names no enabled one', () => {
    expect(resolveStepEntries({ ...step, to: ['manager'] }, null, [])).toEqual([]);
  });

  it('merges group snapshots without rewriting one recorded earlier', () => {
    expect(mergeGroupMembers({ finance: ['a'] }, { finance: ['a', 'b'], legal: ['c'] })).toEqual({ finance: ['a'], legal: ['c'] });
    expect(mergeGroupMembers({}, { empty: [] })).toEqual({ empty: [] });
  });
});
