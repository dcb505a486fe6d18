import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { type Actor, type AuditEntry, AuditEventType, AuditService } from '@countersign/audit';
import { type Tx } from '@countersign/database';
import { Deprovisioning, type DeprovisioningOutcome, type DeprovisioningStep, PeopleModule, type PersonRecord } from '@countersign/people';
import { PushSubscriptionRepository } from './web-push/push-subscription.repository';
import { type SlackIdentity, SlackIdentityRepository } from './slack/slack-identity.repository';
import { TeamsIdentityRepository } from './teams/teams-identity.repository';

/**
 * The channels' part of disabling a person (docs/adr/0020-deprovisioning.md): their push subscriptions and their
 * Slack and Teams links are deleted in the transaction that disables them, each audited. Nothing is kept for a re-enable.
 */
@Injectable()
export class ChannelsDeprovisioning implements DeprovisioningStep, OnModuleInit {
  private slackUnlinked: ((identity: SlackIdentity) => void) | null = null;

  constructor(
    private readonly deprovisioning: Deprovisioning,
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly identities: SlackIdentityRepository,
    private readonly teamsIdentities: TeamsIdentityRepository,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.deprovisioning.register('channels', this);
  }

  /** Told after the commit of each Slack link removed here (where Slack is loaded: the Home tab then says so); must not wait or throw. */
  onSlackUnlinked(listener: (identity: SlackIdentity) => void): void {
    this.slackUnlinked = listener;
  }

  async deprovision(tx: Tx, actor: Actor, person: PersonRecord): Promise<DeprovisioningOutcome> {
    const removed = await this.subscriptions.removeAllFor(tx, person.id);
    const slack = await this.identities.unlink(person.id, tx);
    const teams = await this.teamsIdentities.unlink(person.id, tx);
    const reason = 'the person was disabled';
    const entries: AuditEntry[] = removed.map((subscription) => ({
      type: AuditEventType.PushUnsubscribed,
      subject: { type: 'person', id: person.id },
      data: { subscription_id: subscription.id, origin: new URL(subscription.endpoint).origin, reason },
    }));
    if (slack)
      entries.push({
        type: AuditEventType.SlackUnlinked,
        subject: { type: 'person', id: person.id },
        data: { slack_user_id: slack.slackUserId, team_id: slack.teamId, reason },
      });
    if (teams)
      entries.push({
        type: AuditEventType.TeamsUnlinked,
        subject: { type: 'person', id: person.id },
        data: { aad_object_id: teams.aadObjectId, tenant_id: teams.tenantId, reason },
      });
    await this.audit.append(tx, actor, entries);
    const listener = this.slackUnlinked;
    return {
      summary: { removed_push_subscriptions: removed.length, removed_slack_link: slack !== null, removed_teams_link: teams !== null },
      afterCommit: slack && listener ? () => Promise.resolve(listener(slack)) : undefined,
    };
  }
}

/**
 * What deprovisioning needs of the channels, Postgres only (the CLI loads it without Redis or the channels
 * themselves); ChannelsModule imports it too.
 */
@Module({
  imports: [PeopleModule],
  providers: [ChannelsDeprovisioning, PushSubscriptionRepository, SlackIdentityRepository, TeamsIdentityRepository],
  exports: [ChannelsDeprovisioning, PushSubscriptionRepository, SlackIdentityRepository, TeamsIdentityRepository],
})
export class ChannelsDeprovisioningModule {}
