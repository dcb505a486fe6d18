import { Inject, Injectable } from '@nestjs/common';
import { WebClient, ErrorCode as SlackErrorCode, LogLevel, type WebAPICallResult } from '@slack/web-api';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { PermanentJobError, RetryLaterError } from '@countersign/queue';
import { type DeliveryOutcome, type Notification, type NotificationChannel } from '../notification-channel';
import { renderApprovalMessage } from './slack-message';
import { type SlackIdentity, SlackIdentityRepository } from './slack-identity.repository';

const METADATA_EVENT = 'countersign_approval';
/** Slack errors that retrying cannot fix. */
const PERMANENT = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'channel_not_found',
  'is_archived',
  'invalid_blocks',
  'msg_too_long',
  'message_not_found',
  'cant_update_message',
]);

/** The Web API client, or null when Slack is not configured (the channel is off). */
export function createSlackClient(config: CountersignConfig): WebClient | null {
  if (!config.slack) return null;
  // BullMQ owns retries (with backoff and Retry-After): the client itself tries once.
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}

export const SLACK_CLIENT = Symbol('SLACK_CLIENT');

/**
 * Slack DMs: find the person by email the first time (users.lookupByEmail, keeping user id + team/enterprise),
 * open the DM, post Block Kit rendered from the structured action. A retry first looks for the message an
 * earlier attempt may have posted (by its metadata), so a worker dying mid-delivery does not send it twice.
 */
@Injectable()
export class SlackChannel implements NotificationChannel {
  readonly type = 'slack' as const;
  readonly enabled: boolean;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    @Inject(SLACK_CLIENT) private readonly client: WebClient | null,
    private readonly identities: SlackIdentityRepository,
    private readonly audit: AuditService,
  ) {
    this.enabled = client !== null;
  }

  async deliver(notification: Notification): Promise<DeliveryOutcome> {
    const client = this.client;
    if (!client) return { state: 'off', detail: 'Slack is not configured on this deployment' };
    return this.call(async () => {
      const identity = await this.identityOf(client, notification);
      if (!identity) return { state: 'unreachable', detail: 'no Slack user with this email address' };
      const channel = await this.dmChannel(client, identity);
      if (notification.previousAttempts > 0) {
        const earlier = await this.findPosted(client, channel, notification.deliveryId);
        if (earlier) return { state: 'sent', externalRef: { channel, ts: earlier }, detail: 'found the message an earlier attempt posted' };
      }
      const message = renderApprovalMessage(notification.approval, {
        publicUrl: this.config.publicUrl,
        kind: notification.kind,
        deliveryId: notification.deliveryId,
      });
      let posted;
      try {
        posted = await client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks as never,
          unfurl_links: false,
          unfurl_media: false,
          metadata: {
            event_type: METADATA_EVENT,
            event_payload: { delivery_id: notification.deliveryId, approval_id: notification.approval.id },
          },
        });
      } catch (error) {
        // A remembered DM channel Slack no longer knows: forget it, and the retry opens the DM afresh.
        if (slackError(error) === 'channel_not_found' && identity.dmChannelId === channel) {
          await this.identities.rememberDmChannel(identity.personId, identity.slackUserId, null);
          throw new Error(`the remembered DM channel ${channel} is gone; the next attempt opens a new one`, { cause: error });
        }
        throw error;
      }
      if (!posted.ts) throw new Error('chat.postMessage answered without a ts');
      return { state: 'sent', externalRef: { channel, ts: posted.ts } };
    });
  }

  async showOutcome(notification: Notification): Promise<void> {
    const client = this.client;
    const channel = notification.externalRef?.channel;
    const ts = notification.externalRef?.ts;
    if (!client || typeof channel !== 'string' || typeof ts !== 'string') return;
    const message = renderApprovalMessage(notification.approval, {
      publicUrl: this.config.publicUrl,
      kind: notification.kind,
      deliveryId: notification.deliveryId,
    });
    await this.call(() => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never }));
  }

  /** Opens the modal that asks for a reason to deny (the trigger is valid for 3 s after the click). */
  async openDenyModal(triggerId: string, approvalId: string, summary: string): Promise<void> {
    if (!this.client) return;
    await this.client.views.open({
      trigger_id: triggerId,
      view: {
        type: 'modal',
        callback_id: 'deny_with_reason',
        private_metadata: approvalId,
        title: { type: 'plain_text', text: 'Deny this request' },
        submit: { type: 'plain_text', text: 'Deny' },
        close: { type: 'plain_text', text: 'Cancel' },
        blocks: [
          { type: 'section', text: { type: 'plain_text', text: summary.slice(0, 2900) } },
          {
            type: 'input',
            block_id: 'reason',
            optional: true,
            label: { type: 'plain_text', text: 'Reason (the agent sees it)' },
            element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 1000 },
          },
        ],
      },
    });
  }

  /** A message only this Slack user sees, in the channel given (the DM), e.g. that a click decided nothing. */
  async tell(channel: string, slackUserId: string, text: string): Promise<void> {
    if (!this.client) return;
    await this.client.chat.postEphemeral({ channel, user: slackUserId, text });
  }

  /** Publishes a user's Home tab (`views.publish`); Slack's failures map onto the job's like a delivery's. */
  async publishHome(slackUserId: string, view: { type: 'home'; blocks: unknown[] }): Promise<void> {
    const client = this.client;
    if (!client) return;
    await this.call(() => client.views.publish({ user_id: slackUserId, view: view as never }));
  }

  /** The bot's DM with the person: `conversations.open` the first time, then the channel remembered with the link. */
  private async dmChannel(client: WebClient, identity: SlackIdentity): Promise<string> {
    if (identity.dmChannelId) return identity.dmChannelId;
    const opened = (await client.conversations.open({ users: identity.slackUserId })) as WebAPICallResult & { channel?: { id?: string } };
    const channel = opened.channel?.id;
    if (!channel) throw new Error('conversations.open answered without a channel');
    await this.identities.rememberDmChannel(identity.personId, identity.slackUserId, channel);
    return channel;
  }

  private async identityOf(client: WebClient, notification: Notification): Promise<SlackIdentity | null> {
    const known =
      notification.slackIdentity !== undefined ? notification.slackIdentity : await this.identities.forPerson(notification.person.id);
    if (known) return known;
    let found: WebAPICallResult & {
      user?: { id?: string; team_id?: string; deleted?: boolean; is_bot?: boolean; enterprise_user?: { enterprise_id?: string } };
    };
    try {
      found = await client.users.lookupByEmail({ email: notification.person.email });
    } catch (error) {
      if (slackError(error) === 'users_not_found') return null;
      throw error;
    }
    const user = found.user;
    if (!user?.id || !user.team_id || user.deleted || user.is_bot) return null;
    const identity: SlackIdentity = {
      personId: notification.person.id,
      slackUserId: user.id,
      teamId: user.team_id,
      enterpriseId: user.enterprise_user?.enterprise_id ?? null,
      linkedBy: 'email_lookup',
    };
    if (!(await this.identities.link(identity))) return null;
    await this.audit.record(SYSTEM, [
      {
        type: AuditEventType.SlackLinked,
        subject: { type: 'person', id: identity.personId },
        data: { slack_user_id: identity.slackUserId, team_id: identity.teamId, enterprise_id: identity.enterpriseId, by: 'email_lookup' },
      },
    ]);
    return identity;
  }

  private async findPosted(client: WebClient, channel: string, deliveryId: string): Promise<string | null> {
    const history = (await client.conversations.history({ channel, limit: 50, include_all_metadata: true })) as WebAPICallResult & {
      messages?: Array<{ ts?: string; metadata?: { event_type?: string; event_payload?: { delivery_id?: string } } }>;
    };
    const earlier = history.messages?.find(
      (message) => message.metadata?.event_type === METADATA_EVENT && message.metadata.event_payload?.delivery_id === deliveryId,
    );
    return earlier?.ts ?? null;
  }

  /** Maps Slack's failures onto the job's: rate limits wait as told, configuration errors do not retry. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === SlackErrorCode.RateLimitedError) {
        const retryAfter = (error as { retryAfter?: number }).retryAfter ?? 30;
        throw new RetryLaterError(retryAfter * 1000, `Slack rate limit: retry after ${retryAfter} s`);
      }
      const slack = slackError(error);
      if (slack && PERMANENT.has(slack)) throw new PermanentJobError(`Slack refused: ${slack}`);
      throw error;
    }
  }
}

function slackError(error: unknown): string | undefined {
  return (error as { data?: { error?: string } }).data?.error;
}
