import { tierRank, type Tier } from './tiers';
import type { Decision, Requirement } from './taxonomy.types';

/** The part of an outcome that decides how much oversight an action gets. */
export interface Oversight {
  tier: Tier;
  decision: Decision;
  approvals_required: number;
  /** How many of the approvals must come from each group (`approvals_from`); absent: none. */
  approvals_from?: Readonly<Record<string, number>>;
  step_up: Requirement['step_up'];
}

export type Strictness = 'stricter' | 'looser' | 'same';

const DECISION_RANK: Record<Decision, number> = { auto_approve: 0, approve: 1, deny: 2 };

/**
 * How `after` compares with `before`. Looser wins over stricter: a change that raises the tier but drops the
 * passkey, or needs fewer approvals (in all, or from a group), still relaxes something, and the relax guard must see it. Changes that do
 * not alter who must agree (TTLs, channels, reminders) are the same.
 */
export function compareOversight(before: Oversight, after: Oversight): Strictness {
  const steps = [
    tierRank(after.tier) - tierRank(before.tier),
    DECISION_RANK[after.decision] - DECISION_RANK[before.decision],
    after.decision === 'approve' && before.decision === 'approve' ? after.approvals_required - before.approvals_required : 0,
    after.decision === 'approve' && before.decision === 'approve' ? stepUpRank(after.step_up) - stepUpRank(before.step_up) : 0,
    ...(after.decision === 'approve' && before.decision === 'approve' ? fromGroupSteps(before.approvals_from, after.approvals_from) : []),
  ];
  if (steps.some((step) => step < 0)) return 'looser';
  if (steps.some((step) => step > 0)) return 'stricter';
  return 'same';
}

export function oversightOf(tier: Tier, requirement: Requirement): Oversight {
  return {
    tier,
    decision: requirement.decision,
    approvals_required: requirement.approvals_required,
    ...(requirement.approvals_from === undefined ? {} : { approvals_from: requirement.approvals_from }),
    step_up: requirement.step_up,
  };
}

/** Per group entry of either side, how many more approvals `after` needs from it (negative: fewer). */
function fromGroupSteps(before: Oversight['approvals_from'] = {}, after: Oversight['approvals_from'] = {}): number[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].map((entry) => (after[entry] ?? 0) - (before[entry] ?? 0));
}

function stepUpRank(stepUp: Requirement['step_up']): number {
  return stepUp === 'passkey' ? 1 : 0;
}
