import { loadTaxonomy } from './taxonomy-compiler';
import { diffTaxonomies } from './taxonomy-diff';
import { SAMPLE_TAXONOMY_YAML, sampleWithLine } from './taxonomy.fixture';

const base = loadTaxonomy(SAMPLE_TAXONOMY_YAML);
const diffTo = (text: string) => diffTaxonomies(base, loadTaxonomy(text));

describe('diffTaxonomies', () => {
  it('finds nothing between a taxonomy and itself', () => {
    const diff = diffTo(SAMPLE_TAXONOMY_YAML);
    expect(diff).toMatchObject({
      unknown_action: null,
      tiers: [],
      matrix: [],
      actions: [],
      trusted_provenance: { added: [], removed: [] },
    });
    expect(diff.summary).toEqual({
      actions_added: 0,
      actions_removed: 0,
      actions_changed: 0,
      rules_added: 0,
      rules_removed: 0,
      rules_changed: 0,
      tiers_up: 0,
      tiers_down: 0,
    });
  });

  it('reports a changed action field and the tier it moved to', () => {
    const diff = diffTo(sampleWithLine(30, 'blast_radius: external', 'blast_radius: team'));
    expect(diff.actions).toEqual([
      {
        type: 'payments.*',
        change: 'changed',
        fields: [{ field: 'blast_radius', before: 'external', after: 'team' }],
        tier: { before: 'high', after: 'medium', move: 'down' },
        rules: [],
      },
    ]);
    expect(diff.summary).toMatchObject({ actions_changed: 1, tiers_down: 1, tiers_up: 0 });
  });

  it('recognises rules by name, or by condition when unnamed, and reports their tier moves', () => {
    const diff = diffTo(
      sampleWithLine(27, 'tier: forbidden', 'tier: critical').replace('double(args.amount) < 100.0', 'double(args.amount) < 50.0'),
    );
    expect(diff.actions).toHaveLength(1);
    expect(diff.actions[0].rules).toEqual([
      { rule: 'double(args.amount) < 50.0', change: 'added', fields: [], tier: { before: null, after: 'medium', move: 'unchanged' } },
      {
        rule: 'hard limit',
        change: 'changed',
        fields: [{ field: 'tier', before: 'forbidden', after: 'critical' }],
        tier: { before: 'forbidden', after: 'critical', move: 'down' },
      },
      { rule: 'double(args.amount) < 100.0', change: 'removed', fields: [], tier: { before: 'medium', after: null, move: 'unchanged' } },
    ]);
  });

  it('reports a reordered rule, since first match wins', () => {
    const swapped = SAMPLE_TAXONOMY_YAML.replace(
      '      - when: "args.permanent == false"\n        reversibility: reversible\n      - when: "args.shared"\n        blast_radius: organization\n        audience: "https://files.internal"\n',
      '      - when: "args.shared"\n        blast_radius: organization\n        audience: "https://files.internal"\n      - when: "args.permanent == false"\n        reversibility: reversible\n',
    );
    const rules = diffTo(swapped).actions[0].rules;
    expect(rules.map((rule) => [rule.rule, rule.fields])).toEqual([
      ['args.shared', [{ field: 'position', before: 1, after: 0 }]],
      ['args.permanent == false', [{ field: 'position', before: 0, after: 1 }]],
    ]);
  });

  it('says what an added or removed exact type got from the other side instead', () => {
    const added = diffTo(`${SAMPLE_TAXONOMY_YAML}  - type: "payments.refund"\n    reversibility: reversible\n    blast_radius: external\n`);
    expect(added.actions).toEqual([
      expect.objectContaining({ type: 'payments.refund', change: 'added', tier: { before: 'high', after: 'medium', move: 'down' } }),
    ]);
    const removed = diffTaxonomies(
      loadTaxonomy(`${SAMPLE_TAXONOMY_YAML}  - type: "calendar.invite"\n    reversibility: reversible\n    blast_radius: team\n`),
      base,
    );
    expect(removed.actions).toEqual([
      expect.objectContaining({ type: 'calendar.invite', change: 'removed', tier: { before: 'low', after: 'critical', move: 'up' } }),
    ]);
    expect(removed.summary).toMatchObject({ actions_removed: 1, tiers_up: 1 });
  });

  it('reports matrix cells, tier requirements and settings, and the actions a matrix change moves', () => {
    const text = sampleWithLine(15, 'team: high,', 'team: critical,')
      .replace('unknown_action: critical', 'unknown_action: forbidden')
      .replace('trusted_provenance: [user, system]', 'trusted_provenance: [user, scheduler]')
      .replace('critical:  { decision: approve, approvals: 2,', 'critical:  { decision: approve, approvals: 3,');
    const diff = diffTo(text);
    expect(diff.matrix).toEqual([
      { reversibility: 'irreversible', blast_radius: 'team', tier: { before: 'high', after: 'critical', move: 'up' } },
    ]);
    expect(diff.unknown_action).toEqual({ before: 'critical', after: 'forbidden', move: 'up' });
    expect(diff.trusted_provenance).toEqual({ added: ['scheduler'], removed: ['system'] });
    expect(diff.tiers).toEqual([
      { tier: 'critical', fields: [{ field: 'approvals_required', before: 2, after: 3 }], strictness: 'stricter' },
    ]);
    // email.* and files.delete are irreversible/team: the matrix change moves them without a word changed in them.
    expect(diff.actions.map((action) => [action.type, action.fields, action.tier.move])).toEqual([
      ['email.*', [], 'up'],
      ['files.delete', [], 'up'],
    ]);
  });

  it('a tier that needs fewer approvals from a group relaxes it, even with more approvals in all', () => {
    const grouped = SAMPLE_TAXONOMY_YAML.replace(
      'approvers: [on_behalf_of, "role:admin"], step_up: passkey,',
      'approvers: [on_behalf_of, "group:finance"], approvals_from: { "group:finance": 2 }, step_up: passkey,',
    );
    const before = loadTaxonomy(grouped);
    const fewerFromFinance = loadTaxonomy(
      grouped.replace(
        'approvals: 2, approvers: [on_behalf_of, "group:finance"], approvals_from: { "group:finance": 2 }',
        'approvals: 3, approvers: [on_behalf_of, "group:finance"], approvals_from: { "group:finance": 1 }',
      ),
    );
    expect(diffTaxonomies(before, fewerFromFinance).tiers).toEqual([expect.objectContaining({ tier: 'critical', strictness: 'looser' })]);
    const dropped = loadTaxonomy(grouped.replace(', approvals_from: { "group:finance": 2 }', ''));
    expect(diffTaxonomies(before, dropped).tiers).toEqual([
      { tier: 'critical', fields: [{ field: 'approvals_from', before: { 'group:finance': 2 }, after: null }], strictness: 'looser' },
    ]);
    expect(diffTaxonomies(dropped, before).tiers).toEqual([expect.objectContaining({ strictness: 'stricter' })]);
  });
});
