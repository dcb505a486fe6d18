import { type ApprovalSummary } from '@countersign/approvals';
import { type PersonRecord } from '@countersign/people';
import { CHANNEL_TYPES, type NotificationChannelType } from '@countersign/domain';
import { type SlackIdentity } from './slack/slack-identity.repository';

/** The channel types are the one list in libs/domain (`CHANNEL_TYPES`): adding a channel starts there. */
export { CHANNEL_TYPES };
export type ChannelType = NotificationChannelType;
export type DeliveryKind = 'request' | 'reminder';
/** `not_chosen`: the tier offered the channel, the person's preference left it out (ADR 0025). */
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'gone' | 'unreachable' | 'off' | 'not_chosen';

/** One message to one person about one approval, as the channel sees it. */
export interface Notification {
  deliveryId: string;
  kind: DeliveryKind;
  /** Attempts before this one: a retry may follow an attempt that sent but did not record it. */
  previousAttempts: number;
  person: PersonRecord;
  approval: ApprovalSummary;
  /** What the channel recorded when it sent (Slack: the DM channel and ts). */
  externalRef: Record<string, unknown> | null;
  /** Read with the claim of a Slack delivery (null: not linked yet); absent when the channel must look it up. */
  slackIdentity?: SlackIdentity | null;
}

export type DeliveryOutcome =
  | { state: 'sent'; externalRef: Record<string, unknown> | null; detail?: string }
  | { state: 'unreachable' | 'gone' | 'off'; detail: string };

/**
 * STYLE.md "Channels": every way of reaching a person implements this, one class per channel, all registered
 * under NOTIFICATION_CHANNELS and chosen by `type`. Transient failures throw (the job retries with backoff);
 * `PermanentJobError` stops retrying; `RetryLaterError` honours the other side's Retry-After.
 */
export interface NotificationChannel {
  readonly type: ChannelType;
  /** False when the deployment did not configure it: its deliveries are recorded as `off`. */
  readonly enabled: boolean;
  deliver(notification: Notification): Promise<DeliveryOutcome>;
  /** Rewrites a sent message to show the final outcome (a no-op for channels whose messages cannot change). */
  showOutcome(notification: Notification): Promise<void>;
}

export const NOTIFICATION_CHANNELS = Symbol('NOTIFICATION_CHANNELS');
