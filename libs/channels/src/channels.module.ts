import { Global, Module } from '@nestjs/common';
import { APPROVAL_OUTREACH, ApprovalsModule } from '@countersign/approvals';
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
import { SlackInteractionsService } from './slack/slack-interactions.service';
import { SlackLinksService } from './slack/slack-links.service';
import { VapidKeysService } from './web-push/vapid-keys.service';
import { WebPushChannel } from './web-push/web-push.channel';

/**
 * Reaching people out of band: the channels (one class each, under one token), deliveries, Slack and push APIs.
 * Global for one export: APPROVAL_OUTREACH, which the approvals library (imported here, so it cannot import this)
 * injects to plan new approvals' notifications at intake.
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
    SlackChannel,
    SlackInteractionsService,
    SlackLinksService,
    VapidKeysService,
    WebPushChannel,
    { provide: SLACK_CLIENT, inject: [CONFIG], useFactory: (config: CountersignConfig) => createSlackClient(config) },
    {
      provide: NOTIFICATION_CHANNELS,
      inject: [SlackChannel, WebPushChannel, EmailChannel],
      useFactory: (...channels: NotificationChannel[]) => channels,
    },
    { provide: APPROVAL_OUTREACH, useExisting: DeliveryPlanner },
  ],
  exports: [
    APPROVAL_OUTREACH,
    ChannelPreferencesService,
    NotificationService,
    PushSubscriptionsService,
    SlackInteractionsService,
    SlackLinksService,
  ],
})
export class ChannelsModule {}
