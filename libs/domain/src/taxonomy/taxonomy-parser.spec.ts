import { parseTaxonomy } from './taxonomy-parser';
import { SAMPLE_TAXONOMY_YAML, sampleWithLine } from './taxonomy.fixture';
import type { TaxonomyError } from './taxonomy.types';

function errorsOf(yamlText: string): TaxonomyError[] {
  const result = parseTaxonomy(yamlText);
  if (result.ok) {
    throw new Error('expected the taxonomy to be rejected');
  }
  return result.errors;
}

describe('parseTaxonomy', () => {
  it('accepts the documented format', () => {
    const result = parseTaxonomy(SAMPLE_TAXONOMY_YAML);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.taxonomy.actions[0].rules?.[1]).toEqual({
        name: 'hard limit',
        when: 'double(args.amount) >= 100000.0',
        tier: 'forbidden',
      });
      expect(result.taxonomy.tiers.critical).toMatchObject({ approvals: 2, escalate_to: ['role:admin'] });
    }
  });

  it('refuses U+0000, raw or as a YAML "\\0" escape, on its line (Postgres could not store it)', () => {
    const line = SAMPLE_TAXONOMY_YAML.split('\n').findIndex((text) => text.includes('name: hard limit')) + 1;
    expect(errorsOf(sampleWithLine(line, 'name: hard limit', 'name: "hard\\0limit"'))).toEqual([
      expect.objectContaining({ line, path: expect.stringContaining('rules'), message: expect.stringContaining('U+0000') }),
    ]);
    expect(errorsOf(sampleWithLine(line, 'name: hard limit', 'name: hard\u0000limit'))).toEqual([
      expect.objectContaining({ line, message: expect.stringContaining('U+0000') }),
    ]);
    expect(errorsOf(`${SAMPLE_TAXONOMY_YAML}\n# a comment with \u0000\n`)).toEqual([
      expect.objectContaining({ message: expect.stringContaining('U+0000') }),
    ]);
  });

  it('reports a bad tier name on the line it is written', () => {
    const errors = errorsOf(sampleWithLine(7, 'high:', 'hihg:'));
    expect(errors).toContainEqual(
      expect.objectContaining({ line: 7, path: 'tiers.hihg', message: expect.stringContaining('unknown tier name "hihg"') }),
    );
    expect(errors).toContainEqual(expect.objectContaining({ path: 'tiers', message: 'tier "high" is not defined' }));
  });

  it('reports a matrix cell naming an undefined tier on its line and column', () => {
    const errors = errorsOf(sampleWithLine(14, 'organization: high,', 'organization: severe,'));
    expect(errors).toEqual([
      { line: 14, column: 61, path: 'matrix.compensable.organization', message: expect.stringContaining('unknown tier "severe"') },
    ]);
  });

  it('reports a rule tier naming an undefined tier', () => {
    const errors = errorsOf(sampleWithLine(27, 'tier: forbidden', 'tier: blocked'));
    expect(errors).toEqual([
      { line: 27, column: 15, path: 'actions[0].rules[1].tier', message: expect.stringContaining('unknown tier "blocked"') },
    ]);
  });

  it('reports CEL that does not compile with the line of its condition', () => {
    const errors = errorsOf(sampleWithLine(23, 'double(args.amount) < 100.0', 'double(args.amount) < '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      line: 23,
      path: 'actions[0].rules[0].when',
      message: expect.stringContaining('CEL condition does not compile'),
    });
  });

  it('reports CEL that uses an unknown variable or does not yield a bool', () => {
    expect(errorsOf(sampleWithLine(23, 'double(args.amount) < 100.0', 'amount < 100.0'))[0]).toMatchObject({ line: 23 });
    expect(errorsOf(sampleWithLine(23, 'double(args.amount) < 100.0', 'double(args.amount) + 1.0'))[0]).toMatchObject({
      line: 23,
      message: expect.stringContaining('must be a bool'),
    });
  });

  it('reports unknown keys as errors at the key', () => {
    const errors = errorsOf(sampleWithLine(19, 'blast_radius: external', 'blast_radius: external\n    risk: low'));
    expect(errors).toEqual([{ line: 20, column: 5, path: 'actions[0].risk', message: 'unknown key "risk"' }]);
  });

  it('reports a bad enum value and a bad duration on their lines', () => {
    expect(errorsOf(sampleWithLine(18, 'irreversible', 'permanent'))).toEqual([
      expect.objectContaining({ line: 18, path: 'actions[0].reversibility' }),
    ]);
    expect(errorsOf(sampleWithLine(10, 'ttl: 2h', 'ttl: 2 hours'))).toEqual([
      expect.objectContaining({ line: 10, path: 'tiers.critical.ttl', message: expect.stringContaining('invalid duration') }),
    ]);
  });

  it('reports fields a decision does not allow', () => {
    const errors = errorsOf(sampleWithLine(11, '{ decision: deny }', '{ decision: deny, approvals: 1 }'));
    expect(errors).toEqual([expect.objectContaining({ line: 11, path: 'tiers.forbidden.approvals', message: 'unknown key "approvals"' })]);
  });

  it('reports a missing required key at its parent', () => {
    const errors = errorsOf(sampleWithLine(2, 'unknown_action: critical', ''));
    expect(errors).toEqual([expect.objectContaining({ path: 'unknown_action', message: 'missing required key "unknown_action"' })]);
  });

  it('reports a quorum that can never be reached', () => {
    const errors = errorsOf(sampleWithLine(9, 'approvers: [on_behalf_of, "role:admin"]', 'approvers: [on_behalf_of]'));
    expect(errors).toEqual([expect.objectContaining({ line: 9, path: 'tiers.critical.approvals' })]);
  });

  it('reports a rule that changes nothing and a duplicated action type', () => {
    const noEffect = errorsOf(sampleWithLine(27, 'tier: forbidden', 'description: nothing'));
    expect(noEffect).toEqual([
      expect.objectContaining({ line: 25, path: 'actions[0].rules[1]', message: expect.stringContaining('changes nothing') }),
    ]);
    const duplicate = errorsOf(sampleWithLine(31, '"email.*"', '"payments.*"'));
    expect(duplicate).toEqual([expect.objectContaining({ line: 31, message: expect.stringContaining('already defined by actions[1]') })]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    const syntax = errorsOf(sampleWithLine(13, '{ self: low,', '{ self: low,,'));
    expect(syntax[0].line).toBe(13);
    const duplicate = errorsOf(sampleWithLine(2, 'unknown_action: critical', 'unknown_action: critical\nunknown_action: low'));
    expect(duplicate[0]).toMatchObject({ line: 3 });
  });

  it('reports every problem at once, in line order', () => {
    const text = sampleWithLine(14, 'organization: high,', 'organization: severe,').replace('tier: forbidden', 'tier: blocked');
    const errors = errorsOf(text);
    expect(errors.map((error) => error.line)).toEqual([14, 27]);
  });
});
