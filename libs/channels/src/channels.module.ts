import { Global, Module } from '@nestjs/common';
import { APPROVAL_OUTREACH, APPROVAL_WATCHER, ApprovalsModule } from '@countersign/approvals';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { PeopleModule } from '@countersign/people';
import { TaxonomyModule } from '@countersign/taxonomy';
import { ChannelPreferenceRepository } from './channel-preference.repository';
import { ChannelPreferencesService } from './channel-preferences.service';
import { ChannelsDeprovisioningModule } from './channels-deprovisioning';
import { DeliveryPlanner } from './delivery-planner';
import { DeliveryRepository } from './delivery.repository';
import { EmailChannel } from './email/email.channel';
import { NOTIFICATION_CHANNELS, type NotificationChannel } from './notification-channel';
import { NotificationService } from './notification.service';
import { PushSubscriptionsService } from './web-push/push-subscriptions.service';
import { createSlackClient, SLACK_CLIENT, SlackChannel } from './slack/slack.channel';
import { SlackBoltService } from './slack/slack-bolt.service';
import { SlackHomeService } from './slack/slack-home.service';
import { SlackHomeWatcher } from './slack/slack-home-watcher';
import { SlackInteractionsService } from './slack/slack-interactions.service';
import { SlackLinksService } from './slack/slack-links.service';
import { createTeamsBotFramework, TEAMS_BOT_FRAMEWORK } from './teams/teams-bot-framework';
import { TeamsActivitiesService } from './teams/teams-activities.service';
import { TeamsChannel } from './teams/teams.channel';
import { VapidKeysService } from './web-push/vapid-keys.service';
import { WebPushChannel } from './web-push/web-push.channel';

/**
 * Reaching people out of band: the channels (one class each, under one token), deliveries, Slack and push APIs, and
 * Slack's incoming side on Bolt (`SlackBoltService`, which only the API starts).
 * Global for two exports the approvals library (imported here, so it cannot import this) injects: APPROVAL_OUTREACH,
 * to plan new approvals' notifications at intake, and APPROVAL_WATCHER, told of changes (Slack Home tabs).
 */
@Global()
@Module({
  imports: [ApprovalsModule, ChannelsDeprovisioningModule, PeopleModule, TaxonomyModule],
  providers: [
    ChannelPreferenceRepository,
    ChannelPreferencesService,
    DeliveryPlanner,
    DeliveryRepository,
    EmailChannel,
    NotificationService,
    PushSubscriptionsService,
    SlackBoltService,
    SlackChannel,
    SlackHomeService,
    SlackHomeWatcher,
    SlackInteractionsService,
    SlackLinksService,
    TeamsActivitiesService,
    TeamsChannel,
    VapidKeysService,
    WebPushChannel,
    { provide: SLACK_CLIENT, inject: [CONFIG], useFactory: (config: CountersignConfig) => createSlackClient(config) },
    { provide: TEAMS_BOT_FRAMEWORK, inject: [CONFIG], useFactory: (config: CountersignConfig) => createTeamsBotFramework(config) },
    {
      provide: NOTIFICATION_CHANNELS,
      inject: [SlackChannel, WebPushChannel, EmailChannel, TeamsChannel],
      useFactory: (...channels: NotificationChannel[]) => channels,
    },
    { provide: APPROVAL_OUTREACH, useExisting: DeliveryPlanner },
    { provide: APPROVAL_WATCHER, useExisting: SlackHomeWatcher },
  ],
  exports: [
    APPROVAL_OUTREACH,
    APPROVAL_WATCHER,
    ChannelPreferencesService,
    NotificationService,
    PushSubscriptionsService,
    SlackBoltService,
    SlackHomeService,
    SlackLinksService,
    TeamsActivitiesService,
  ],
})
export class ChannelsModule {}
