import { loadTaxonomy } from './taxonomy-compiler';
import { diffTaxonomies } from './taxonomy-diff';
import { lintTaxonomy } from './taxonomy-lint';
import { SAMPLE_TAXONOMY_YAML, sampleWithLine } from './taxonomy.fixture';

/** The sample's medium tier (line 6) with `fast_decision_seconds` set to `value`. */
const mediumWith = (value: string): string =>
  sampleWithLine(6, 'remind_after: 10m }', `remind_after: 10m, fast_decision_seconds: ${value} }`);

describe("fast_decision_seconds (a tier's approval-fatigue threshold)", () => {
  it("is compiled into the tier's requirement only where the tier sets it (the default, 2 s, applies elsewhere)", () => {
    const taxonomy = loadTaxonomy(mediumWith('5'));
    expect(taxonomy.requirementFor('medium').fast_decision_seconds).toBe(5);
    expect(taxonomy.requirementFor('high')).not.toHaveProperty('fast_decision_seconds');
    expect(loadTaxonomy(mediumWith('0.5')).requirementFor('medium').fast_decision_seconds).toBe(0.5);
    expect(loadTaxonomy(mediumWith('0')).requirementFor('medium').fast_decision_seconds).toBe(0);
  });

  it('is refused when negative, above 300 s, not a number, or on a tier people do not decide', () => {
    for (const bad of ['-1', '301', '"2s"']) {
      expect([bad, lintTaxonomy(mediumWith(bad)).findings.filter((finding) => finding.severity === 'error')]).toEqual([
        bad,
        [expect.objectContaining({ code: 'schema', line: 6, path: 'tiers.medium.fast_decision_seconds' })],
      ]);
    }
    const onAutoApprove = sampleWithLine(4, 'token_ttl: 5m }', 'token_ttl: 5m, fast_decision_seconds: 3 }');
    expect(lintTaxonomy(onAutoApprove).findings.filter((finding) => finding.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'schema', line: 4 }),
    ]);
  });

  it('shows in a diff when only the new version sets it', () => {
    const diff = diffTaxonomies(loadTaxonomy(SAMPLE_TAXONOMY_YAML), loadTaxonomy(mediumWith('5')));
    expect(diff.tiers).toEqual([
      expect.objectContaining({ tier: 'medium', fields: [{ field: 'fast_decision_seconds', before: null, after: 5 }] }),
    ]);
  });
});
