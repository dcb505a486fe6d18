import { DomainError } from './errors';
import { escalationLadder } from './escalation';
import { CHANNEL_TYPES, listOfChannels, type NotificationChannelType, type Requirement } from './taxonomy';

// A person's channel preferences (ADR 0025): per tier, the channels they want to be reached on, within what the
// taxonomy allows. The planning statement (libs/channels DeliveryRepository.plan) applies `channelsToUse` in SQL;
// this is its rule in one readable place, and the check of what a person may choose.

/** A tier as preferences see it: the channels the taxonomy may reach people on for it (the tier's and its ladder's). */
export interface TierChannels {
  tier: string;
  /** Empty for a tier decided without people (auto_approve, deny): it has nothing to choose. */
  allowed: NotificationChannelType[];
}

/** What a person chose, per tier: null (or absent) is "no preference", i.e. every channel the tier allows. */
export type ChannelChoice = Record<string, readonly string[] | null>;

export function isChannelType(value: string): value is NotificationChannelType {
  return (CHANNEL_TYPES as readonly string[]).includes(value);
}

/** The channels a tier may use: its own and its escalation steps', in the order of CHANNEL_TYPES. */
export function tierChannels(tier: string, requirement: Requirement): TierChannels {
  if (requirement.decision !== 'approve') return { tier, allowed: [] };
  const used = new Set<string>([...requirement.channels, ...escalationLadder(requirement).flatMap((step) => step.channels)]);
  return { tier, allowed: CHANNEL_TYPES.filter((type) => used.has(type)) };
}

/**
 * The channels to reach a person on, of those `offered` (the tier's, or an escalation step's): the ones they
 * chose, unless that leaves none that can work (`usable`: configured, and for push a subscription), in which case
 * every offered channel, as without a preference. A preference narrows how someone is reached; it never makes
 * them unreachable (fail closed).
 */
export function channelsToUse<T extends string>(
  offered: readonly T[],
  chosen: readonly string[] | null,
  usable: (channel: T) => boolean = () => true,
): T[] {
  if (chosen === null) return [...offered];
  const kept = offered.filter((channel) => chosen.includes(channel));
  return kept.some(usable) ? kept : [...offered];
}

/**
 * Checks the preferences a person asks for against the active taxonomy's tiers and returns them normalised
 * (channels in the order of CHANNEL_TYPES, once each; null to clear a tier's preference). Refuses, naming the tier:
 * a tier the taxonomy does not have, a tier decided without people, an unknown channel, a channel the tier does
 * not use, and an empty choice (nobody may opt out of being reached for a tier).
 */
export function checkChannelPreferences(
  tiers: readonly TierChannels[],
  requested: ChannelChoice,
): Map<string, NotificationChannelType[] | null> {
  const byName = new Map(tiers.map((tier) => [tier.tier, tier]));
  const checked = new Map<string, NotificationChannelType[] | null>();
  for (const [name, channels] of Object.entries(requested)) {
    const field = `/preferences/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const refuse = (message: string): never => {
      throw new DomainError('invalid_request', `${field}: ${message}`, { field, tier: name });
    };
    const tier = byName.get(name);
    if (!tier) refuse(`the active taxonomy has no tier ${JSON.stringify(name)} (its tiers that reach people: ${namesOf(tiers)})`);
    const allowed = tier!.allowed;
    if (allowed.length === 0) refuse(`the tier ${JSON.stringify(name)} is decided without people, so it has no channels to choose`);
    if (channels === null) {
      checked.set(name, null);
      continue;
    }
    const unknown = channels.find((channel) => !isChannelType(channel));
    if (unknown !== undefined) refuse(`unknown channel ${JSON.stringify(unknown)}: channels are ${listOfChannels()}`);
    const notAllowed = channels.find((channel) => !(allowed as readonly string[]).includes(channel));
    if (notAllowed !== undefined)
      refuse(
        `the tier ${JSON.stringify(name)} does not use ${JSON.stringify(notAllowed)} (it uses ${allowed.map((c) => JSON.stringify(c)).join(', ')})`,
      );
    if (channels.length === 0)
      refuse(`choose at least one channel for the tier ${JSON.stringify(name)}: nobody may be unreachable (null uses all of its channels)`);
    checked.set(
      name,
      CHANNEL_TYPES.filter((type) => channels.includes(type)),
    );
  }
  return checked;
}

function namesOf(tiers: readonly TierChannels[]): string {
  const reaching = tiers.filter((tier) => tier.allowed.length > 0).map((tier) => tier.tier);
  return reaching.length > 0 ? reaching.join(', ') : 'none';
}
