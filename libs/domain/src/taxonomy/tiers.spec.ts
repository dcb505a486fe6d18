import { raiseTier, stricterTier, tierRank, TIERS } from './tiers';

describe('tiers', () => {
  it('ranks tiers from low to forbidden', () => {
    expect(TIERS.map(tierRank)).toEqual([0, 1, 2, 3, 4]);
  });

  it('picks the stricter of two tiers', () => {
    expect(stricterTier('low', 'high')).toBe('high');
    expect(stricterTier('forbidden', 'critical')).toBe('forbidden');
    expect(stricterTier('medium', 'medium')).toBe('medium');
  });

  it('raises one step, keeping critical and forbidden where they are', () => {
    expect(TIERS.map(raiseTier)).toEqual(['medium', 'high', 'critical', 'critical', 'forbidden']);
  });
});
