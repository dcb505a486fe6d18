import type {
  Classification,
  ClassificationInput,
  CompiledTaxonomy,
  TaxonomyDocument,
  TaxonomyTestCase,
  TaxonomyTestExpectation,
} from './taxonomy.types';

/** Stand-ins for the parts of a case the author left out; the same for every case, so results are reproducible. */
const DEFAULT_AGENT: ClassificationInput['agent'] = { id: 'test-agent', client_id: 'test-agent', name: 'test-agent' };
const DEFAULT_PERSON: ClassificationInput['person'] = { id: 'test-person', email: 'person@example.com', role: 'member' };

export interface TaxonomyTestOutcome {
  tier: Classification['tier'];
  decision: Classification['requirement']['decision'];
  approvals: number;
  step_up: Classification['requirement']['step_up'];
  reversibility: Classification['reversibility'];
  blast_radius: Classification['blast_radius'];
  rule: string;
}

export interface TaxonomyTestFailure {
  index: number;
  /** "tests[3]", and its line in the file when the runner had the file (checkTaxonomy). */
  path: string;
  line?: number;
  name: string;
  case: TaxonomyTestCase;
  expected: TaxonomyTestExpectation;
  actual: TaxonomyTestOutcome;
  /** The expectation's fields that differ. */
  mismatches: Array<keyof TaxonomyTestExpectation>;
  /** The rule that decided, with its name and condition when it is a rule. */
  decided_by: string;
  reasons: string[];
}

export interface TaxonomyTestReport {
  total: number;
  passed: number;
  failures: TaxonomyTestFailure[];
}

/** Runs the taxonomy's own `tests:` section against itself. */
export function runTaxonomyTests(taxonomy: CompiledTaxonomy): TaxonomyTestReport {
  const cases = taxonomy.document.tests ?? [];
  const failures: TaxonomyTestFailure[] = [];
  cases.forEach((testCase, index) => {
    const classification = taxonomy.classify(testInput(testCase));
    const actual = outcomeOf(classification);
    const mismatches = mismatchesOf(taxonomy.document, testCase.expect, actual);
    if (mismatches.length > 0) {
      failures.push({
        index,
        path: `tests[${index}]`,
        name: testCase.name ?? `${testCase.action.type} #${index + 1}`,
        case: testCase,
        expected: testCase.expect,
        actual,
        mismatches,
        decided_by: describeRule(taxonomy.document, classification.rule),
        reasons: classification.reasons,
      });
    }
  });
  return { total: cases.length, passed: cases.length - failures.length, failures };
}

export function testInput(testCase: TaxonomyTestCase): ClassificationInput {
  return {
    action: { type: testCase.action.type, resource: testCase.action.resource ?? '', args: testCase.action.args ?? {} },
    agent: { ...DEFAULT_AGENT, ...testCase.agent },
    person: { ...DEFAULT_PERSON, ...testCase.person },
    context: { provenance: testCase.provenance ?? [] },
  };
}

/** "payments.transfer#rules[0] "small transfer" (double(args.amount) < 100.0)", or the id as it is. */
export function describeRule(document: TaxonomyDocument, ruleId: string): string {
  const rule = findRule(document, ruleId);
  if (rule === undefined) return ruleId;
  return `${ruleId}${rule.name === undefined ? '' : ` "${rule.name}"`} (${rule.when})`;
}

function findRule(document: TaxonomyDocument, ruleId: string): { name?: string; when: string } | undefined {
  const match = /^(.*)#rules\[(\d+)\]$/.exec(ruleId);
  if (match === null) return undefined;
  return document.actions.find((action) => action.type === match[1])?.rules?.[Number(match[2])];
}

function outcomeOf(classification: Classification): TaxonomyTestOutcome {
  return {
    tier: classification.tier,
    decision: classification.requirement.decision,
    approvals: classification.requirement.approvals_required,
    step_up: classification.requirement.step_up,
    reversibility: classification.reversibility,
    blast_radius: classification.blast_radius,
    rule: classification.rule,
  };
}

function mismatchesOf(
  document: TaxonomyDocument,
  expected: TaxonomyTestExpectation,
  actual: TaxonomyTestOutcome,
): Array<keyof TaxonomyTestExpectation> {
  const mismatches: Array<keyof TaxonomyTestExpectation> = [];
  for (const field of ['tier', 'decision', 'approvals', 'step_up', 'reversibility', 'blast_radius'] as const) {
    if (expected[field] !== undefined && expected[field] !== actual[field]) mismatches.push(field);
  }
  if (expected.rule !== undefined && expected.rule !== actual.rule && expected.rule !== findRule(document, actual.rule)?.name) {
    mismatches.push('rule');
  }
  return mismatches;
}
