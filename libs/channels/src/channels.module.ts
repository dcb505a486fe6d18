import { Global, Module } from '@nestjs/common';
import { APPROVAL_OUTREACH, ApprovalsModule } from '@countersign/approvals';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { PeopleModule } from '@countersign/people';
import { ChannelsDeprovisioningModule } from './channels-deprovisioning';
import { DeliveryPlanner } from './delivery-planner';
import { DeliveryRepository } from './delivery.repository';
import { EmailChannel } from './email/email.channel';
import { NOTIFICATION_CHANNELS, type NotificationChannel } from './notification-channel';
import { NotificationService } from './notification.service';
import { PushSubscriptionsService } from './web-push/push-subscriptions.service';
import { createSlackClient, SLACK_CLIENT, SlackChannel } from './slack/slack.channel';
import { SlackInteractionsService } from './slack/slack-interactions.service';
import { SlackLinksService } from './slack/slack-links.service';
import { createTeamsBotFramework, TEAMS_BOT_FRAMEWORK } from './teams/teams-bot-framework';
import { TeamsActivitiesService } from './teams/teams-activities.service';
import { TeamsChannel } from './teams/teams.channel';
import { VapidKeysService } from './web-push/vapid-keys.service';
import { WebPushChannel } from './web-push/web-push.channel';

/**
 * Reaching people out of band: the channels (one class each, under one token), deliveries, Slack and push APIs.
 * Global for one export: APPROVAL_OUTREACH, which the approvals library (imported here, so it cannot import this)
 * injects to plan new approvals' notifications at intake.
 */
@Global()
@Module({
  imports: [ApprovalsModule, ChannelsDeprovisioningModule, PeopleModule],
  providers: [
    DeliveryPlanner,
    DeliveryRepository,
    EmailChannel,
    NotificationService,
    PushSubscriptionsService,
    SlackChannel,
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
  ],
  exports: [
    APPROVAL_OUTREACH,
    NotificationService,
    PushSubscriptionsService,
    SlackInteractionsService,
    SlackLinksService,
    TeamsActivitiesService,
  ],
})
export class ChannelsModule {}
