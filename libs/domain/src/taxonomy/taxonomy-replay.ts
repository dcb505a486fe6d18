import { compareOversight, oversightOf, type Oversight } from './taxonomy-strictness';
import type { ClassificationInput, CompiledTaxonomy } from './taxonomy.types';
import { tierRank, type Tier } from './tiers';

/** One stored approval as replay needs it: what was asked, and what it got when it was asked. */
export interface RecordedApproval {
  id: string;
  createdAt: Date;
  input: ClassificationInput;
  recorded: Oversight & { rule: string };
}

export type ReplayCategory = 'tier_up' | 'tier_down' | 'newly_forbidden' | 'human_to_auto' | 'more_strict' | 'less_strict';

export interface ReplayExample {
  approval_id: string;
  created_at: string;
  action_type: string;
  resource: string;
  agent: string;
  before: { tier: Tier; decision: Oversight['decision']; rule: string };
  after: { tier: Tier; decision: Oversight['decision']; rule: string; reasons: string[] };
}

export interface ReplayReport {
  replayed: number;
  unchanged: number;
  tier_up: number;
  tier_down: number;
  /** Not forbidden when recorded, forbidden now. */
  newly_forbidden: number;
  /** Needed a person's approval when recorded, approved automatically now. */
  human_to_auto: number;
  /** More oversight in any way: a higher tier, a stronger decision, more approvals or a step-up. */
  more_strict: number;
  /** Any relaxation: a lower tier, a weaker decision, fewer approvals or no step-up. What the relax guard counts. */
  less_strict: number;
  /** "high -> low": how many approvals moved that way. */
  moves: Record<string, number>;
  examples: Record<ReplayCategory, ReplayExample[]>;
}

export const REPLAY_EXAMPLES_PER_CATEGORY = 5;

/** Classifies recorded approvals with a candidate taxonomy, one at a time, and tallies what would change. */
export class ReplayComparison {
  private readonly report: ReplayReport = {
    replayed: 0,
    unchanged: 0,
    tier_up: 0,
    tier_down: 0,
    newly_forbidden: 0,
    human_to_auto: 0,
    more_strict: 0,
    less_strict: 0,
    moves: {},
    examples: { tier_up: [], tier_down: [], newly_forbidden: [], human_to_auto: [], more_strict: [], less_strict: [] },
  };

  constructor(private readonly candidate: CompiledTaxonomy) {}

  add(approval: RecordedApproval): void {
    const classification = this.candidate.classify(approval.input);
    const before = approval.recorded;
    const after = oversightOf(classification.tier, classification.requirement);
    const report = this.report;
    report.replayed++;
    const strictness = compareOversight(before, after);
    const categories: ReplayCategory[] = [];
    if (before.tier !== after.tier) {
      const move = `${before.tier} -> ${after.tier}`;
      report.moves[move] = (report.moves[move] ?? 0) + 1;
      categories.push(tierRank(after.tier) > tierRank(before.tier) ? 'tier_up' : 'tier_down');
    }
    if (after.tier === 'forbidden' && before.tier !== 'forbidden') categories.push('newly_forbidden');
    if (before.decision === 'approve' && after.decision === 'auto_approve') categories.push('human_to_auto');
    if (strictness === 'stricter') categories.push('more_strict');
    if (strictness === 'looser') categories.push('less_strict');
    if (categories.length === 0) {
      report.unchanged++;
      return;
    }
    const example = (): ReplayExample => ({
      approval_id: approval.id,
      created_at: approval.createdAt.toISOString(),
      action_type: approval.input.action.type,
      resource: approval.input.action.resource,
      agent: approval.input.agent.name,
      before: { tier: before.tier, decision: before.decision, rule: before.rule },
      after: { tier: after.tier, decision: after.decision, rule: classification.rule, reasons: classification.reasons },
    });
    for (const category of categories) {
      report[category]++;
      if (report.examples[category].length < REPLAY_EXAMPLES_PER_CATEGORY) report.examples[category].push(example());
    }
  }

  result(): ReplayReport {
    return this.report;
  }
}

/** The relax guard: a candidate that makes any recorded approval less strict needs an explicit allowance. */
export function replayRelaxes(report: ReplayReport): boolean {
  return report.less_strict > 0;
}
