import { Inject, Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { type ChannelPreferences, type ChannelPreferencesRequest, type ChannelSetUp } from '@countersign/contract';
import {
  CHANNEL_TYPES,
  channelsToUse,
  checkChannelPreferences,
  DomainError,
  type Tier,
  type TierChannels,
  tierChannels,
} from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import { ChannelPreferenceRepository, type PersonChannelsSetUp } from './channel-preference.repository';
import { type ChannelType, NOTIFICATION_CHANNELS, type NotificationChannel } from './notification-channel';

/** A person's preferences on the wire (libs/contract). */
export type { ChannelPreferences };

/**
 * A person's channels per tier (ADR 0025): what they chose, within what the active taxonomy allows, and whether
 * each channel can reach them. Planning applies the choice in its own statement (DeliveryRepository.plan).
 */
@Injectable()
export class ChannelPreferencesService {
  private readonly configured: ReadonlySet<ChannelType>;

  constructor(
    @Inject(NOTIFICATION_CHANNELS) channels: NotificationChannel[],
    private readonly preferences: ChannelPreferenceRepository,
    private readonly taxonomy: TaxonomyService,
    private readonly people: PeopleService,
    private readonly audit: AuditService,
  ) {
    this.configured = new Set(channels.filter((channel) => channel.enabled).map((channel) => channel.type));
  }

  async view(person: PersonRecord): Promise<ChannelPreferences> {
    const [{ version, tiers }, stored, setUp] = await Promise.all([
      this.activeTiers(),
      this.preferences.ofPerson(person.id),
      this.preferences.setUp(person.id),
    ]);
    const channels = CHANNEL_TYPES.map((channel) => this.setUpView(channel, person, setUp));
    // The planning statement's rule: a channel can work if the deployment has it, and push only with a subscription.
    const usable = (channel: string) =>
      channels.some((entry) => entry.channel === channel && entry.configured && (channel !== 'web_push' || entry.set_up === true));
    const reaching = tiers.filter((tier) => tier.allowed.length > 0);
    // A tier the taxonomy dropped, or now decides without people: its preference is kept but does nothing.
    const active = new Set(reaching.map((tier) => tier.tier));
    return {
      taxonomy_version: version,
      channels,
      tiers: reaching.map(({ tier, allowed }) => {
        const chosen = stored.get(tier) ?? null;
        return { tier, allowed, chosen, used: channelsToUse(allowed, chosen, usable) };
      }),
      ignored: [...stored].filter(([tier]) => !active.has(tier)).map(([tier, chosen]) => ({ tier, chosen })),
    };
  }

  /** An admin reading a person's preferences for support. */
  async viewOf(personId: string): Promise<ChannelPreferences> {
    const person = /^[0-9a-f-]{36}$/i.test(personId) ? await this.people.find(personId) : null;
    if (!person) throw new DomainError('not_found', 'no such person');
    return this.view(person);
  }

  /**
   * Replaces the person's preferences for the active taxonomy's tiers: a tier the request leaves out has none any
   * more (all its channels). Preferences for tiers the taxonomy no longer has are kept. Refusals are audited.
   */
  async update(actor: Actor, person: PersonRecord, request: ChannelPreferencesRequest): Promise<ChannelPreferences> {
    const { tiers } = await this.activeTiers();
    let checked;
    try {
      checked = checkChannelPreferences(tiers, request.preferences);
    } catch (error) {
      return this.refuse(actor, person, error);
    }
    const replaced = new Map(tiers.filter((tier) => tier.allowed.length > 0).map((tier) => [tier.tier, checked.get(tier.tier) ?? null]));
    await this.preferences.replace(person.id, replaced);
    await this.audit.record(actor, [
      {
        type: AuditEventType.ChannelPreferencesChanged,
        subject: { type: 'person', id: person.id },
        data: { preferences: Object.fromEntries(replaced) },
      },
    ]);
    return this.view(person);
  }

  /** Records a refused change (a bad body, from the transport's parse, or a choice the taxonomy does not allow) and rethrows it. */
  async refuse(actor: Actor, person: PersonRecord, error: unknown): Promise<never> {
    if (error instanceof DomainError) {
      await this.audit.record(actor, [
        {
          type: AuditEventType.ChannelPreferencesRefused,
          subject: { type: 'person', id: person.id },
          data: {
            code: error.code,
            reason: error.message,
            ...(typeof error.details?.field === 'string' ? { field: error.details.field } : {}),
          },
        },
      ]);
    }
    throw error;
  }

  private async activeTiers(): Promise<{ version: number; tiers: TierChannels[] }> {
    const { version, taxonomy } = await this.taxonomy.active();
    return {
      version,
      tiers: (Object.keys(taxonomy.document.tiers) as Tier[]).map((tier) => tierChannels(tier, taxonomy.requirementFor(tier))),
    };
  }

  private setUpView(channel: ChannelType, person: PersonRecord, setUp: PersonChannelsSetUp): ChannelSetUp {
    const known: Partial<Record<ChannelType, boolean>> = {
      slack: setUp.slackLinked,
      web_push: setUp.pushSubscribed,
      email: person.email.length > 0,
      teams: setUp.teamsLinked,
    };
    return { channel, configured: this.configured.has(channel), set_up: known[channel] ?? null };
  }
}
