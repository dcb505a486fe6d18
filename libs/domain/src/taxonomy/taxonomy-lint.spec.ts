import { checkTaxonomy, globCovers, lintTaxonomy, type LintFinding } from './taxonomy-lint';
import { SAMPLE_TAXONOMY_YAML, sampleWithLine } from './taxonomy.fixture';
import { MAX_TOKEN_TTL_SECONDS } from './taxonomy.schema';

const withActions = (actions: string): string => SAMPLE_TAXONOMY_YAML + actions;
const warningsOf = (text: string, code: LintFinding['code']): LintFinding[] =>
  lintTaxonomy(text).findings.filter((finding) => finding.code === code && finding.severity === 'warning');
const errorsOf = (text: string): LintFinding[] => lintTaxonomy(text).findings.filter((finding) => finding.severity === 'error');
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('lintTaxonomy', () => {
  it('reports YAML syntax errors with their line', () => {
    const errors = errorsOf('trusted_provenance: [user\nunknown_action: critical\n');
    expect(errors[0]).toMatchObject({ code: 'syntax', severity: 'error', line: expect.any(Number) });
  });

  it('reports schema errors with their line', () => {
    const text = sampleWithLine(18, 'reversibility: irreversible', 'reversibility: sometimes');
    expect(errorsOf(text)).toEqual([expect.objectContaining({ code: 'schema', line: 18, path: 'actions[0].reversibility' })]);
  });

  it('refuses a token_ttl over an hour (MAX_TOKEN_TTL_SECONDS) with its line, and takes exactly an hour', () => {
    expect(MAX_TOKEN_TTL_SECONDS).toBe(3600);
    const text = sampleWithLine(4, 'token_ttl: 5m', 'token_ttl: 2h');
    expect(errorsOf(text)).toEqual([
      expect.objectContaining({ code: 'schema', line: 4, path: 'tiers.low.token_ttl', message: expect.stringContaining('at most 1h') }),
    ]);
    const approve = SAMPLE_TAXONOMY_YAML.replace('ttl: 2h,', 'ttl: 2h, token_ttl: 61m,');
    expect(errorsOf(approve)).toEqual([
      expect.objectContaining({ code: 'schema', line: lineOf(approve, '61m'), path: 'tiers.critical.token_ttl' }),
    ]);
    expect(errorsOf(sampleWithLine(4, 'token_ttl: 5m', 'token_ttl: 1h'))).toEqual([]);
    expect(errorsOf(sampleWithLine(4, 'token_ttl: 5m', 'token_ttl: 3600s'))).toEqual([]);
  });

  it('tells a CEL syntax error from a CEL type error', () => {
    const syntax = sampleWithLine(23, 'double(args.amount) < 100.0', 'double(args.amount) <');
    expect(errorsOf(syntax)).toEqual([expect.objectContaining({ code: 'cel_syntax', line: 23, path: 'actions[0].rules[0].when' })]);
    const type = sampleWithLine(23, 'double(args.amount) < 100.0', 'size(true) > 1');
    expect(errorsOf(type)).toEqual([
      expect.objectContaining({ code: 'cel_type', line: 23, message: expect.stringContaining('size(bool)') }),
    ]);
  });

  it('reports tiers referenced but not defined, in rules, the matrix and tests', () => {
    expect(errorsOf(sampleWithLine(24, 'tier: medium', 'tier: moderate'))).toEqual([
      expect.objectContaining({ code: 'undefined_tier', line: 24 }),
    ]);
    const test = withActions('tests:\n  - action: { type: chat.send }\n    expect: { tier: severe }\n');
    expect(errorsOf(test)).toEqual([
      expect.objectContaining({ code: 'undefined_tier', path: 'tests[0].expect.tier', line: lineOf(test, 'severe') }),
    ]);
  });

  it('warns about rules that can never match: constant false, a repeated condition, or after an always-true one', () => {
    const text = withActions(`  - type: "deploy.service"
    reversibility: compensable
    blast_radius: team
    rules:
      - name: disabled
        when: "1 > 2"
        tier: low
      - name: production
        when: "args.environment == 'production'"
        tier: high
      - name: production again
        when: "args.environment   ==   'production'"
        tier: critical
      - name: catch all
        when: "true"
        tier: medium
      - name: after the catch all
        when: "has(args.x)"
        tier: low
`);
    const warnings = warningsOf(text, 'unreachable_rule');
    expect(warnings.map((warning) => [warning.path, warning.line])).toEqual([
      ['actions[6].rules[0]', lineOf(text, 'name: disabled')],
      ['actions[6].rules[2]', lineOf(text, 'production again')],
      ['actions[6].rules[4]', lineOf(text, 'after the catch all')],
    ]);
    expect(warnings[0].message).toContain('always false');
    expect(warnings[1].message).toContain('rules[1] has the same condition');
    expect(warnings[2].message).toContain('rules[3] always matches first');
  });

  it('does not take a rule that reads a variable for a constant', () => {
    const text = withActions(
      '  - type: "deploy.service"\n    reversibility: compensable\n    blast_radius: team\n    rules:\n      - when: "has(args.x) || true"\n        tier: low\n',
    );
    expect(warningsOf(text, 'unreachable_rule')).toEqual([]);
  });

  it('warns about a glob every type of which an earlier-tried glob takes', () => {
    const text = withActions(
      '  - type: "email**"\n    reversibility: reversible\n    blast_radius: self\n  - type: "email*"\n    reversibility: reversible\n    blast_radius: self\n',
    );
    const warnings = warningsOf(text, 'shadowed_glob');
    expect(warnings).toEqual([
      expect.objectContaining({
        path: 'actions[6].type',
        line: lineOf(text, 'email**'),
        message: expect.stringContaining('taken first by "email*"'),
      }),
    ]);
  });

  it('does not call overlapping globs shadowed when each still matches types of its own', () => {
    expect(warningsOf(SAMPLE_TAXONOMY_YAML, 'shadowed_glob')).toEqual([]);
    const text = withActions('  - type: "*.delete"\n    reversibility: irreversible\n    blast_radius: team\n');
    expect(warningsOf(text, 'shadowed_glob')).toEqual([]);
  });

  it('warns about sensitive args no rule reads and no test sends, and not once a test sends them', () => {
    const warnings = warningsOf(SAMPLE_TAXONOMY_YAML, 'unused_sensitive_arg');
    expect(warnings).toEqual([
      expect.objectContaining({
        path: 'actions[0].sensitive_args[0]',
        line: 21,
        message: expect.stringContaining('"account_number" of "payments.transfer"'),
      }),
    ]);
    const tested = withActions(
      'tests:\n  - action: { type: payments.transfer, args: { amount: 5, account_number: "1" } }\n    expect: { tier: medium }\n',
    );
    expect(warningsOf(tested, 'unused_sensitive_arg')).toEqual([]);
    const read = sampleWithLine(21, '["account_number"]', '["amount"]');
    expect(warningsOf(read, 'unused_sensitive_arg')).toEqual([]);
  });

  it('counts errors and warnings; a file with errors gets no warnings and runs no tests', () => {
    expect(lintTaxonomy(SAMPLE_TAXONOMY_YAML)).toMatchObject({ errors: 0, warnings: 1 });
    const broken = checkTaxonomy(sampleWithLine(24, 'tier: medium', 'tier: moderate'));
    expect(broken.lint).toMatchObject({ errors: 1, warnings: 0 });
    expect(broken.tests).toBeNull();
    expect(broken.taxonomy).toBeNull();
  });
});

describe('globCovers', () => {
  it.each([
    ['*', 'email.*', true],
    ['email.*', 'email.bulk.*', true],
    ['email.*', 'email*', false],
    ['*.delete', 'cloud.*.delete', true],
    ['cloud.*.delete', '*.delete', false],
    ['a*a', 'a*', false],
    ['a*', 'a**', true],
  ])('%s covers %s: %s', (general, specific, covers) => {
    expect(globCovers(general, specific)).toBe(covers);
  });
});

describe('groups in the taxonomy', () => {
  const grouped = SAMPLE_TAXONOMY_YAML.replace(
    'approvers: [on_behalf_of, "role:admin"], step_up: passkey,',
    'approvers: [on_behalf_of, "group:finance", "group:treasury"], approvals_from: { "group:finance": 2 }, step_up: passkey,',
  );

  it('warns about a group: entry naming no group in the directory, with its line, when the groups are known', () => {
    const warnings = lintTaxonomy(grouped, ['finance']).findings.filter((finding) => finding.code === 'unknown_group');
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'tiers.critical.approvers[2]',
        line: lineOf(grouped, 'group:treasury'),
        message: expect.stringContaining('group:treasury names no group'),
      }),
    ]);
    expect(lintTaxonomy(grouped, ['finance', 'treasury']).findings.filter((finding) => finding.code === 'unknown_group')).toEqual([]);
    // A file checked without a directory (CI) cannot know the groups: no warning either way.
    expect(lintTaxonomy(grouped).findings.filter((finding) => finding.code === 'unknown_group')).toEqual([]);
  });

  it('compiles approvals_from into the requirement', () => {
    const { taxonomy } = checkTaxonomy(grouped, { runTests: false });
    expect(taxonomy?.requirementFor('critical').approvals_from).toEqual({ 'group:finance': 2 });
    expect(taxonomy?.requirementFor('high').approvals_from).toBeUndefined();
  });

  it('refuses approvals_from naming an entry the tier does not list, or more than its approvals', () => {
    const unlisted = grouped.replace('approvals_from: { "group:finance": 2 }', 'approvals_from: { "group:ops": 1 }');
    expect(errorsOf(unlisted)).toEqual([expect.objectContaining({ message: expect.stringContaining('group:ops, which is not among') })]);
    const tooMany = grouped.replace('approvals_from: { "group:finance": 2 }', 'approvals_from: { "group:finance": 3 }');
    expect(errorsOf(tooMany)).toEqual([expect.objectContaining({ message: expect.stringContaining('raise approvals') })]);
    const notGroup = grouped.replace('approvals_from: { "group:finance": 2 }', 'approvals_from: { "role:admin": 1 }');
    expect(errorsOf(notGroup)).toEqual([expect.objectContaining({ code: 'schema' })]);
  });
});
