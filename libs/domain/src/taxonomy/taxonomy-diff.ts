import { isDeepStrictEqual } from 'node:util';
import { compareOversight, oversightOf, type Strictness } from './taxonomy-strictness';
import { BLAST_RADII, REVERSIBILITIES, TIERS, tierRank, type BlastRadius, type Reversibility, type Tier } from './tiers';
import type { CompiledTaxonomy, TaxonomyAction, TaxonomyDocument, TaxonomyRule } from './taxonomy.types';

export type TierMove = 'up' | 'down' | 'unchanged';

/** A tier before and after; null where the entry does not exist on that side (or, for a glob, has no single tier). */
export interface TierChange {
  before: Tier | null;
  after: Tier | null;
  move: TierMove;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface RuleDiff {
  /** The rule's name, or its condition when it has none: how a rule is recognised across versions. */
  rule: string;
  change: 'added' | 'removed' | 'changed';
  fields: FieldChange[];
  tier: TierChange;
}

export interface ActionDiff {
  type: string;
  change: 'added' | 'removed' | 'changed';
  fields: FieldChange[];
  /**
   * The tier of the action without its rules. For an added or removed exact type, the other side is what that
   * taxonomy gave the type instead (through a glob, or `unknown_action`).
   */
  tier: TierChange;
  rules: RuleDiff[];
}

export interface TierRequirementDiff {
  tier: Tier;
  fields: FieldChange[];
  strictness: Strictness;
}

export interface MatrixDiff {
  reversibility: Reversibility;
  blast_radius: BlastRadius;
  tier: TierChange;
}

export interface TaxonomyDiff {
  unknown_action: TierChange | null;
  trusted_provenance: { added: string[]; removed: string[] };
  tiers: TierRequirementDiff[];
  matrix: MatrixDiff[];
  actions: ActionDiff[];
  tests: { before: number; after: number };
  summary: {
    actions_added: number;
    actions_removed: number;
    actions_changed: number;
    rules_added: number;
    rules_removed: number;
    rules_changed: number;
    /** Action types and rules whose outcome tier moved. */
    tiers_up: number;
    tiers_down: number;
  };
}

const ACTION_FIELDS = ['description', 'reversibility', 'blast_radius', 'audience', 'sensitive_args'] as const;
const RULE_FIELDS = ['when', 'tier', 'reversibility', 'blast_radius', 'audience', 'description'] as const;

/** What changed in meaning between two taxonomies: entries by action type and rule, and where tiers moved. */
export function diffTaxonomies(before: CompiledTaxonomy, after: CompiledTaxonomy): TaxonomyDiff {
  const old = before.document;
  const next = after.document;
  const actions = diffActions(before, after);
  const moves = actions.flatMap((action) => [action.tier, ...action.rules.map((rule) => rule.tier)]).map((tier) => tier.move);
  const count = (items: Array<{ change: string }>, change: string) => items.filter((item) => item.change === change).length;
  const rules = actions.flatMap((action) => action.rules);
  return {
    unknown_action: old.unknown_action === next.unknown_action ? null : tierChange(old.unknown_action, next.unknown_action),
    trusted_provenance: {
      added: next.trusted_provenance.filter((entry) => !old.trusted_provenance.includes(entry)),
      removed: old.trusted_provenance.filter((entry) => !next.trusted_provenance.includes(entry)),
    },
    tiers: diffTierRequirements(before, after),
    matrix: REVERSIBILITIES.flatMap((reversibility) =>
      BLAST_RADII.filter((blastRadius) => old.matrix[reversibility][blastRadius] !== next.matrix[reversibility][blastRadius]).map(
        (blastRadius) => ({
          reversibility,
          blast_radius: blastRadius,
          tier: tierChange(old.matrix[reversibility][blastRadius], next.matrix[reversibility][blastRadius]),
        }),
      ),
    ),
    actions,
    tests: { before: old.tests?.length ?? 0, after: next.tests?.length ?? 0 },
    summary: {
      actions_added: count(actions, 'added'),
      actions_removed: count(actions, 'removed'),
      actions_changed: count(actions, 'changed'),
      rules_added: count(rules, 'added'),
      rules_removed: count(rules, 'removed'),
      rules_changed: count(rules, 'changed'),
      tiers_up: moves.filter((move) => move === 'up').length,
      tiers_down: moves.filter((move) => move === 'down').length,
    },
  };
}

function diffActions(before: CompiledTaxonomy, after: CompiledTaxonomy): ActionDiff[] {
  const old = new Map(before.document.actions.map((action) => [action.type, action]));
  const next = new Map(after.document.actions.map((action) => [action.type, action]));
  const diffs: ActionDiff[] = [];
  for (const [type, action] of next) {
    const previous = old.get(type);
    if (previous === undefined) {
      diffs.push({
        type,
        change: 'added',
        fields: [],
        tier: tierChange(type.includes('*') ? null : resolvedTier(before, type), baseTier(after.document, action)),
        rules: (action.rules ?? []).map((rule) => ({
          rule: ruleKey(rule),
          change: 'added',
          fields: [],
          tier: tierChange(null, ruleTier(after.document, action, rule)),
        })),
      });
      continue;
    }
    const fields = changedFields(previous, action, ACTION_FIELDS);
    const tier = tierChange(baseTier(before.document, previous), baseTier(after.document, action));
    const rules = diffRules(before.document, previous, after.document, action);
    if (fields.length > 0 || tier.move !== 'unchanged' || rules.length > 0) diffs.push({ type, change: 'changed', fields, tier, rules });
  }
  for (const [type, action] of old) {
    if (next.has(type)) continue;
    diffs.push({
      type,
      change: 'removed',
      fields: [],
      tier: tierChange(baseTier(before.document, action), type.includes('*') ? null : resolvedTier(after, type)),
      rules: (action.rules ?? []).map((rule) => ({
        rule: ruleKey(rule),
        change: 'removed',
        fields: [],
        tier: tierChange(ruleTier(before.document, action, rule), null),
      })),
    });
  }
  return diffs;
}

function diffRules(
  oldDocument: TaxonomyDocument,
  oldAction: TaxonomyAction,
  newDocument: TaxonomyDocument,
  newAction: TaxonomyAction,
): RuleDiff[] {
  const old = keyedRules(oldAction);
  const next = keyedRules(newAction);
  const diffs: RuleDiff[] = [];
  for (const [key, { rule, index }] of next) {
    const previous = old.get(key);
    const after = ruleTier(newDocument, newAction, rule);
    if (previous === undefined) {
      diffs.push({ rule: key, change: 'added', fields: [], tier: tierChange(null, after) });
      continue;
    }
    // First match wins, so a rule that moved in the list can decide other requests than before.
    const fields = changedFields(previous.rule, rule, RULE_FIELDS);
    if (previous.index !== index) fields.push({ field: 'position', before: previous.index, after: index });
    const tier = tierChange(ruleTier(oldDocument, oldAction, previous.rule), after);
    if (fields.length > 0 || tier.move !== 'unchanged') diffs.push({ rule: key, change: 'changed', fields, tier });
  }
  for (const [key, { rule }] of old) {
    if (!next.has(key))
      diffs.push({ rule: key, change: 'removed', fields: [], tier: tierChange(ruleTier(oldDocument, oldAction, rule), null) });
  }
  return diffs;
}

function keyedRules(action: TaxonomyAction): Map<string, { rule: TaxonomyRule; index: number }> {
  const keyed = new Map<string, { rule: TaxonomyRule; index: number }>();
  (action.rules ?? []).forEach((rule, index) => {
    let key = ruleKey(rule);
    for (let repeat = 2; keyed.has(key); repeat++) key = `${ruleKey(rule)} (${repeat})`;
    keyed.set(key, { rule, index });
  });
  return keyed;
}

function ruleKey(rule: TaxonomyRule): string {
  return rule.name ?? rule.when;
}

function diffTierRequirements(before: CompiledTaxonomy, after: CompiledTaxonomy): TierRequirementDiff[] {
  const diffs: TierRequirementDiff[] = [];
  for (const tier of TIERS) {
    const old = before.requirementFor(tier);
    const next = after.requirementFor(tier);
    // Both sides' keys: a field only one side sets (`fast_decision_seconds`) is a change too.
    const fields = changedFields(old, next, [...new Set([...Object.keys(old), ...Object.keys(next)])] as Array<keyof typeof old>);
    if (fields.length > 0) diffs.push({ tier, fields, strictness: compareOversight(oversightOf(tier, old), oversightOf(tier, next)) });
  }
  return diffs;
}

function changedFields<T extends object>(before: T, after: T, fields: ReadonlyArray<keyof T>): FieldChange[] {
  return fields
    .filter((field) => !isDeepStrictEqual(before[field], after[field]))
    .map((field) => ({ field: String(field), before: before[field] ?? null, after: after[field] ?? null }));
}

function baseTier(document: TaxonomyDocument, action: TaxonomyAction): Tier {
  return document.matrix[action.reversibility][action.blast_radius];
}

function ruleTier(document: TaxonomyDocument, action: TaxonomyAction, rule: TaxonomyRule): Tier {
  return rule.tier ?? document.matrix[rule.reversibility ?? action.reversibility][rule.blast_radius ?? action.blast_radius];
}

function resolvedTier(taxonomy: CompiledTaxonomy, type: string): Tier {
  const action = taxonomy.matchAction(type);
  return action === null ? taxonomy.document.unknown_action : baseTier(taxonomy.document, action);
}

function tierChange(before: Tier | null, after: Tier | null): TierChange {
  const move = before === null || after === null || before === after ? 'unchanged' : tierRank(after) > tierRank(before) ? 'up' : 'down';
  return { before, after, move };
}
