import { DomainError } from '../errors';
import { compileTaxonomy, loadTaxonomy } from './taxonomy-compiler';
import { parseTaxonomy } from './taxonomy-parser';
import { SAMPLE_TAXONOMY_YAML, newClassificationInput, sampleWithLine } from './taxonomy.fixture';
import type { TaxonomyDocument } from './taxonomy.types';

const taxonomy = loadTaxonomy(SAMPLE_TAXONOMY_YAML);

describe('compiled taxonomy: classify', () => {
  it('uses the matrix when no rule matches', () => {
    const classification = taxonomy.classify(newClassificationInput({ args: { amount: 5000 } }));
    expect(classification).toMatchObject({
      tier: 'critical',
      reversibility: 'irreversible',
      blast_radius: 'external',
      rule: 'payments.transfer',
      matched_action: 'payments.transfer',
      audience: 'https://payments.internal',
      sensitive_args: ['account_number'],
    });
    expect(classification.requirement).toEqual({
      decision: 'approve',
      approvals_required: 2,
      approvers: ['on_behalf_of', 'role:admin'],
      step_up: 'passkey',
      channels: ['web_push', 'slack'],
      ttl_seconds: 7200,
      token_ttl_seconds: 300,
      remind_after_seconds: null,
      escalate_after_seconds: 1800,
      escalate_to: ['role:admin'],
      escalation: [{ after_seconds: 1800, to: ['role:admin'], channels: ['web_push', 'slack'] }],
    });
  });

  it('applies the first matching rule', () => {
    const small = taxonomy.classify(newClassificationInput({ args: { amount: 50 } }));
    expect(small).toMatchObject({ tier: 'medium', rule: 'payments.transfer#rules[0]' });
    expect(small.requirement).toMatchObject({ decision: 'approve', approvals_required: 1, step_up: 'none', remind_after_seconds: 600 });
    const huge = taxonomy.classify(newClassificationInput({ args: { amount: 1_000_000 } }));
    expect(huge).toMatchObject({ tier: 'forbidden', rule: 'payments.transfer#rules[1]' });
    expect(huge.requirement).toMatchObject({ decision: 'deny', approvals_required: 0 });
    expect(huge.reasons.join(' ')).toContain('"hard limit"');
  });

  it('recomputes the tier through the matrix when a rule overrides reversibility or blast radius', () => {
    const trash = taxonomy.classify(newClassificationInput({ type: 'files.delete', args: { permanent: false, shared: true } }));
    expect(trash).toMatchObject({
      tier: 'low',
      reversibility: 'reversible',
      blast_radius: 'team',
      rule: 'files.delete#rules[0]',
      audience: null,
    });
    expect(trash.requirement).toMatchObject({ decision: 'auto_approve', approvals_required: 0, token_ttl_seconds: 300 });
    const shared = taxonomy.classify(newClassificationInput({ type: 'files.delete', args: { permanent: true, shared: true } }));
    expect(shared).toMatchObject({
      tier: 'critical',
      reversibility: 'irreversible',
      blast_radius: 'organization',
      rule: 'files.delete#rules[1]',
      audience: 'https://files.internal',
    });
  });

  it('prefers an exact type over a glob, and the more specific glob over a shorter one', () => {
    expect(taxonomy.classify(newClassificationInput({ type: 'payments.transfer', args: { amount: 500 } })).matched_action).toBe(
      'payments.transfer',
    );
    expect(taxonomy.classify(newClassificationInput({ type: 'payments.payout' }))).toMatchObject({
      matched_action: 'payments.*',
      tier: 'high',
    });
    // email.bulk.* is declared after email.* but is more specific.
    expect(taxonomy.classify(newClassificationInput({ type: 'email.bulk.send' }))).toMatchObject({
      matched_action: 'email.bulk.*',
      tier: 'critical',
    });
    expect(taxonomy.classify(newClassificationInput({ type: 'email.send' }))).toMatchObject({ matched_action: 'email.*', tier: 'high' });
  });

  it('treats an unknown action type as unknown_action', () => {
    const classification = taxonomy.classify(newClassificationInput({ type: 'nuclear.launch' }));
    expect(classification).toMatchObject({
      tier: 'critical',
      rule: 'unknown_action',
      matched_action: null,
      reversibility: null,
      blast_radius: null,
      audience: null,
      sensitive_args: [],
    });
    expect(classification.reasons).toEqual(['Unknown action type "nuclear.launch": treated as critical.']);
  });

  it('raises the tier by one for untrusted provenance and names the untrusted entries', () => {
    const classification = taxonomy.classify(newClassificationInput({ args: { amount: 50 }, provenance: ['user', 'web', 'email'] }));
    expect(classification.tier).toBe('high');
    expect(classification.requirement.step_up).toBe('passkey');
    expect(classification.reasons[classification.reasons.length - 1]).toBe(
      'Untrusted provenance (web, email) raises the tier from medium to high.',
    );
    expect(taxonomy.classify(newClassificationInput({ args: { amount: 50 }, provenance: ['user', 'system'] })).tier).toBe('medium');
    expect(taxonomy.classify(newClassificationInput({ args: { amount: 50 }, provenance: [] })).tier).toBe('medium');
  });

  it('keeps critical and forbidden where they are under untrusted provenance', () => {
    expect(taxonomy.classify(newClassificationInput({ type: 'unknown.x', provenance: ['web'] })).tier).toBe('critical');
    expect(taxonomy.classify(newClassificationInput({ args: { amount: 1e6 }, provenance: ['web'] })).tier).toBe('forbidden');
  });

  it('never makes an action look safer when a condition cannot be evaluated', () => {
    // No amount at all: the "< 100" rule errors, and the stricter of medium and the base critical wins.
    const missing = taxonomy.classify(newClassificationInput({ args: {} }));
    expect(missing).toMatchObject({ tier: 'critical', rule: 'payments.transfer#rules[0]' });
    expect(missing.reasons[1]).toMatch(/could not be evaluated \(.*amount.*\); treated as matched with the stricter outcome, critical/);
    // A string where a number is expected is a type error, not a pass.
    expect(taxonomy.classify(newClassificationInput({ args: { amount: 'fifty' } })).tier).toBe('critical');
  });

  it('takes the stricter rule outcome when the rule would have been stricter than the base', () => {
    const classification = taxonomy.classify(newClassificationInput({ type: 'files.delete', args: { permanent: true } }));
    // rules[1] ("args.shared") errors: its outcome critical beats the base high.
    expect(classification).toMatchObject({ tier: 'critical', blast_radius: 'organization', audience: null, rule: 'files.delete#rules[1]' });
  });

  it('treats a non-bool condition result as an evaluation error', () => {
    // "args.shared" yields the string itself, which must not count as false.
    const classification = taxonomy.classify(newClassificationInput({ type: 'files.delete', args: { permanent: true, shared: 'yes' } }));
    expect(classification.tier).toBe('critical');
    expect(classification.reasons[1]).toContain('could not be evaluated (condition returned string, not a bool)');
  });

  it('compares JSON numbers with int and double literals alike', () => {
    const text = SAMPLE_TAXONOMY_YAML.replace('double(args.amount) < 100.0', 'args.amount < 100');
    const intRules = loadTaxonomy(text);
    expect(intRules.classify(newClassificationInput({ args: { amount: 99.5 } })).tier).toBe('medium');
    expect(intRules.classify(newClassificationInput({ args: { amount: 99 } })).tier).toBe('medium');
    expect(intRules.classify(newClassificationInput({ args: { amount: 100 } })).tier).toBe('critical');
  });

  it('ignores risk labels the agent puts into args', () => {
    const classification = taxonomy.classify(newClassificationInput({ type: 'nuclear.launch', args: { tier: 'low', risk: 'low' } }));
    expect(classification.tier).toBe('critical');
  });

  it('exposes the requirement of each tier and shares it read-only', () => {
    expect(taxonomy.requirementFor('low')).toMatchObject({ decision: 'auto_approve', ttl_seconds: 0 });
    expect(taxonomy.requirementFor('high')).toMatchObject({
      ttl_seconds: 1800,
      remind_after_seconds: null,
      channels: ['web_push', 'slack'],
    });
    expect(Object.isFrozen(taxonomy.requirementFor('critical').approvers)).toBe(true);
  });

  it('classifies fast enough for the intake path', () => {
    const inputs = [
      newClassificationInput({ args: { amount: 50 } }),
      newClassificationInput({ type: 'email.bulk.send' }),
      newClassificationInput({ type: 'files.delete', args: { permanent: false, shared: false }, provenance: ['web'] }),
      newClassificationInput({ type: 'something.else' }),
    ];
    const iterations = 20_000;
    const started = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) {
      taxonomy.classify(inputs[index & 3]);
    }
    const perSecond = iterations / (Number(process.hrtime.bigint() - started) / 1e9);
    // Generous floor for loaded CI machines; the measured rate is far higher.
    expect(perSecond).toBeGreaterThan(20_000);
  });
});

describe('compileTaxonomy', () => {
  it('rejects a hand-built document that references an undefined tier', () => {
    const parsed = parseTaxonomy(SAMPLE_TAXONOMY_YAML);
    if (!parsed.ok) throw new Error('sample must parse');
    const broken = { ...parsed.taxonomy, unknown_action: 'severe' } as unknown as TaxonomyDocument;
    expect(() => compileTaxonomy(broken)).toThrow(DomainError);
  });
});

describe('loadTaxonomy', () => {
  it('throws invalid_taxonomy with every error and its line', () => {
    let thrown: unknown;
    try {
      loadTaxonomy(sampleWithLine(27, 'tier: forbidden', 'tier: blocked'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('invalid_taxonomy');
    expect((thrown as DomainError).message).toContain('line 27');
    expect((thrown as DomainError).details?.errors).toEqual([expect.objectContaining({ line: 27 })]);
  });
});
