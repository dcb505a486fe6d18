import { channelsToUse, checkChannelPreferences, tierChannels, type TierChannels } from './channel-preferences';
import { DomainError } from './errors';
import { loadTaxonomy } from './taxonomy';

const TAXONOMY = `
trusted_provenance: [user]
unknown_action: critical
tiers:
  low:      { decision: auto_approve }
  medium:   { decision: approve, channels: [slack, web_push], ttl: 30m }
  critical: { decision: approve, approvers: [on_behalf_of], channels: [web_push], ttl: 2h,
              escalation: [{ after: 10m, to: ["role:admin"], channels: [email] }] }
  high:     { decision: approve, channels: [slack], ttl: 30m }
  forbidden: { decision: deny }
matrix:
  reversible:   { self: low, team: low, organization: medium, external: medium }
  compensable:  { self: low, team: medium, organization: critical, external: critical }
  irreversible: { self: medium, team: critical, organization: critical, external: critical }
actions: []
`;

function refusal(run: () => unknown): { message: string; field?: unknown; tier?: unknown } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('invalid_request');
    return { message: (error as DomainError).message, ...(error as DomainError).details };
  }
  throw new Error('expected a refusal');
}

describe('channel preferences', () => {
  const taxonomy = loadTaxonomy(TAXONOMY);
  const tiers: TierChannels[] = (['low', 'medium', 'critical', 'forbidden'] as const).map((tier) =>
    tierChannels(tier, taxonomy.requirementFor(tier)),
  );

  it("allows a tier its own channels and its escalation steps', and nothing to tiers decided without people", () => {
    expect(tiers).toEqual([
      { tier: 'low', allowed: [] },
      { tier: 'medium', allowed: ['slack', 'web_push'] },
      { tier: 'critical', allowed: ['web_push', 'email'] },
      { tier: 'forbidden', allowed: [] },
    ]);
  });

  describe('channelsToUse', () => {
    it('uses every offered channel without a preference (the behaviour before preferences)', () => {
      expect(channelsToUse(['slack', 'web_push'], null)).toEqual(['slack', 'web_push']);
    });

    it('keeps only the chosen channels among those offered', () => {
      expect(channelsToUse(['slack', 'web_push'], ['web_push'])).toEqual(['web_push']);
      expect(channelsToUse(['slack', 'web_push', 'email'], ['email', 'slack'])).toEqual(['slack', 'email']);
    });

    it('falls back to every offered channel when the choice leaves none (an escalation step on other channels)', () => {
      expect(channelsToUse(['email'], ['web_push'])).toEqual(['email']);
    });

    it('falls back when no chosen channel can work (push chosen, no subscription): nobody becomes unreachable by choice', () => {
      const subscribed = false;
      expect(channelsToUse(['slack', 'web_push'], ['web_push'], (channel) => channel !== 'web_push' || subscribed)).toEqual([
        'slack',
        'web_push',
      ]);
      expect(channelsToUse(['slack', 'web_push'], ['web_push', 'slack'], (channel) => channel !== 'web_push')).toEqual([
        'slack',
        'web_push',
      ]);
    });
  });

  describe('checkChannelPreferences', () => {
    it('normalises a valid choice: the order of the channel list, each once; null clears a tier', () => {
      const checked = checkChannelPreferences(tiers, { medium: ['web_push', 'slack', 'web_push'], critical: null });
      expect([...checked]).toEqual([
        ['medium', ['slack', 'web_push']],
        ['critical', null],
      ]);
    });

    it('refuses a tier the active taxonomy does not have, naming it', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { urgent: ['slack'] }))).toEqual({
        message: '/preferences/urgent: the active taxonomy has no tier "urgent" (its tiers that reach people: medium, critical)',
        field: '/preferences/urgent',
        tier: 'urgent',
      });
    });

    it('refuses a tier decided without people', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { low: ['slack'] })).message).toBe(
        '/preferences/low: the tier "low" is decided without people, so it has no channels to choose',
      );
    });

    it('refuses an unknown channel', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { medium: ['fax'] })).message).toBe(
        '/preferences/medium: unknown channel "fax": channels are "slack", "web_push", "email" and "teams"',
      );
    });

    it('refuses a channel the tier does not use', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { medium: ['email'] }))).toMatchObject({
        message: '/preferences/medium: the tier "medium" does not use "email" (it uses "slack", "web_push")',
        tier: 'medium',
      });
    });

    it('refuses an empty choice: a person cannot opt out of being reached for a tier', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { critical: [] })).message).toMatch(
        /^\/preferences\/critical: choose at least one channel for the tier "critical"/,
      );
    });

    it('escapes a tier name in the JSON pointer', () => {
      expect(refusal(() => checkChannelPreferences(tiers, { 'a/b': ['slack'] })).field).toBe('/preferences/a~1b');
    });
  });
});
