export { type ChannelPreferences, ChannelPreferencesService } from './channel-preferences.service';
export { ChannelsDeprovisioning, ChannelsDeprovisioningModule } from './channels-deprovisioning';
export { ChannelsModule } from './channels.module';
export {
  CHANNEL_TYPES,
  type ChannelType,
  type DeliveryOutcome,
  type DeliveryState,
  NOTIFICATION_CHANNELS,
  type Notification,
  type NotificationChannel,
} from './notification-channel';
export { NotificationService } from './notification.service';
export { parseSubscription, type PushSubscriptionInput, pushSubscriptionInput } from './web-push/push-subscription.input';
export { type PushSubscriptionView, PushSubscriptionsService } from './web-push/push-subscriptions.service';
export { SlackInteractionsService, type SlackAnswer, type SlackRequest } from './slack/slack-interactions.service';
export { type SlackLinkView, SlackLinksService } from './slack/slack-links.service';
export { escapeMrkdwn, renderApprovalMessage } from './slack/slack-message';
export { checkSlackSignature, signSlackRequest, SLACK_MAX_SKEW_SECONDS } from './slack/slack-signature';
export { MAX_PUSH_PAYLOAD_BYTES, pushPayload } from './web-push/web-push.channel';
