export type Tier = 'low' | 'medium' | 'high' | 'critical' | 'forbidden';
export type Reversibility = 'reversible' | 'compensable' | 'irreversible';
export type BlastRadius = 'self' | 'team' | 'organization' | 'external';

export const TIERS: readonly Tier[] = ['low', 'medium', 'high', 'critical', 'forbidden'];
export const REVERSIBILITIES: readonly Reversibility[] = ['reversible', 'compensable', 'irreversible'];
export const BLAST_RADII: readonly BlastRadius[] = ['self', 'team', 'organization', 'external'];

const RANK: Record<Tier, number> = { low: 0, medium: 1, high: 2, critical: 3, forbidden: 4 };

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
}

export function tierRank(tier: Tier): number {
  return RANK[tier];
}

export function stricterTier(a: Tier, b: Tier): Tier {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * One step up for untrusted provenance. Critical stays critical: a raise must not silently turn a request
 * humans could approve into an automatic denial; forbidden stays forbidden.
 */
export function raiseTier(tier: Tier): Tier {
  switch (tier) {
    case 'low':
      return 'medium';
    case 'medium':
      return 'high';
    case 'high':
    case 'critical':
      return 'critical';
    case 'forbidden':
      return 'forbidden';
  }
}
