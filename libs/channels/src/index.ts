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
export { SlackBoltService } from './slack/slack-bolt.service';
export { type SlackAnswer, type SlackHttpRequest } from './slack/slack-http.receiver';
export { bindSlackUser, type SlackBindingRefusal } from './slack/slack-binding';
export { SlackHomeService, type SlackUserRef } from './slack/slack-home.service';
export { renderCommandReply, renderHomeView } from './slack/slack-home';
export { type SlackLinkView, SlackLinksService } from './slack/slack-links.service';
export { escapeMrkdwn, renderApprovalMessage } from './slack/slack-message';
export { checkSlackSignature, signSlackRequest, SLACK_MAX_SKEW_SECONDS } from './slack/slack-signature';
export { type TeamsAnswer, TeamsActivitiesService, type TeamsRequest } from './teams/teams-activities.service';
export { escapeCardText, renderApprovalCard } from './teams/teams-card';
export { MAX_PUSH_PAYLOAD_BYTES, pushPayload } from './web-push/web-push.channel';
