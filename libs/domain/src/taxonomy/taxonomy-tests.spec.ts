import { checkTaxonomy } from './taxonomy-lint';
import { loadTaxonomy } from './taxonomy-compiler';
import { runTaxonomyTests } from './taxonomy-tests';
import { SAMPLE_TAXONOMY_YAML } from './taxonomy.fixture';

const withTests = (tests: string): string => `${SAMPLE_TAXONOMY_YAML}tests:\n${tests}`;

describe('runTaxonomyTests', () => {
  it('passes cases whose every named field matches, by rule id or rule name', () => {
    const report = runTaxonomyTests(
      loadTaxonomy(
        withTests(`  - name: small transfer
    action: { type: payments.transfer, args: { amount: 50 } }
    expect: { tier: medium, decision: approve, approvals: 1, step_up: none, rule: "payments.transfer#rules[0]" }
  - action: { type: payments.transfer, args: { amount: 500000 } }
    expect: { tier: forbidden, decision: deny, rule: hard limit }
  - action: { type: chat.send, args: { channel: "#general" } }
    provenance: [web_page]
    expect: { tier: medium, reversibility: compensable, blast_radius: team }
  - action: { type: never.seen }
    expect: { tier: critical, rule: unknown_action }
`),
      ),
    );
    expect(report).toEqual({ total: 4, passed: 4, failures: [] });
  });

  it('reports a failing case with the expectation, what came out and the rule that decided it', () => {
    const text = withTests(`  - name: refunds are cheap
    action: { type: payments.transfer, args: { amount: 50 } }
    person: { email: bob@acme.test }
    expect: { tier: low, step_up: none }
`);
    const check = checkTaxonomy(text);
    expect(check.tests).toMatchObject({ total: 1, passed: 0 });
    expect(check.tests?.failures).toEqual([
      expect.objectContaining({
        name: 'refunds are cheap',
        path: 'tests[0]',
        line: text.split('\n').indexOf('  - name: refunds are cheap') + 1,
        expected: { tier: 'low', step_up: 'none' },
        actual: expect.objectContaining({ tier: 'medium', decision: 'approve', rule: 'payments.transfer#rules[0]' }),
        mismatches: ['tier'],
        decided_by: 'payments.transfer#rules[0] (double(args.amount) < 100.0)',
      }),
    ]);
  });

  it('uses the stand-in agent and person where the case names none, and the ones it names otherwise', () => {
    const text = `${SAMPLE_TAXONOMY_YAML.replace('      - when: "args.channel == \'#general\'"', "      - when: \"person.role == 'admin' && agent.name == 'ops-bot'\"")}tests:
  - action: { type: chat.send }
    expect: { tier: medium }
  - action: { type: chat.send }
    agent: { name: ops-bot }
    person: { role: admin }
    expect: { tier: low }
`;
    expect(runTaxonomyTests(loadTaxonomy(text))).toMatchObject({ total: 2, passed: 2 });
  });

  it('has nothing to run without a tests section', () => {
    expect(runTaxonomyTests(loadTaxonomy(SAMPLE_TAXONOMY_YAML))).toEqual({ total: 0, passed: 0, failures: [] });
  });
});
