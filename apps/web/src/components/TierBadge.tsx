import { TIER_LABELS } from '../format';

export function TierBadge({ tier }: { tier: string }) {
  return <span className={`tier tier-${tier}`}>{TIER_LABELS[tier] ?? tier}</span>;
}
