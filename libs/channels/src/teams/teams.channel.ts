import { Inject, Injectable } from '@nestjs/common';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { PermanentJobError } from '@countersign/queue';
import { DeliveryRepository, NO_TEAMS_LINK } from '../delivery.repository';
import { type DeliveryOutcome, type Notification, type NotificationChannel } from '../notification-channel';
import { connectorFailure, ServiceUrlRefused, TEAMS_BOT_FRAMEWORK, type TeamsBotFramework } from './teams-bot-framework';
import { ADAPTIVE_CARD_CONTENT_TYPE, renderApprovalCard } from './teams-card';
import { TeamsIdentityRepository } from './teams-identity.repository';

/**
 * Teams 1:1 messages through the Bot Connector: a proactive message with an Adaptive Card in the conversation the
 * person's installation of the bot opened (linked by TeamsActivitiesService), updated in place with the outcome.
 * A person who has not installed the bot (no link) is unreachable. The activity id the connector answers is
 * recorded before anything else, so a retry after a crash does not send the card again
 * (docs/adr/0024-teams-channel.md: what is and is not guaranteed).
 */
@Injectable()
export class TeamsChannel implements NotificationChannel {
  readonly type = 'teams' as const;
  readonly enabled: boolean;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    @Inject(TEAMS_BOT_FRAMEWORK) private readonly bot: TeamsBotFramework | null,
    private readonly identities: TeamsIdentityRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly audit: AuditService,
  ) {
    this.enabled = bot !== null;
  }

  async deliver(notification: Notification): Promise<DeliveryOutcome> {
    const bot = this.bot;
    if (!bot) return { state: 'off', detail: 'Teams is not configured on this deployment' };
    if (typeof notification.externalRef?.activity_id === 'string')
      return { state: 'sent', externalRef: notification.externalRef, detail: 'an earlier attempt posted the card' };
    const identity = await this.identities.forPerson(notification.person.id);
    if (!identity) return { state: 'unreachable', detail: NO_TEAMS_LINK };
    const { text, card } = renderApprovalCard(notification.approval, { publicUrl: this.config.publicUrl, kind: notification.kind });
    const connector = await this.connector(identity.serviceUrl, notification.person.id);
    let activityId: string | undefined;
    try {
      const sent = await connector.conversations.sendToConversation(identity.conversationId, {
        type: 'message',
        text,
        attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }],
      });
      activityId = sent.id;
    } catch (error) {
      throw connectorFailure(error);
    }
    if (!activityId) throw new Error('the Bot Connector answered without an activity id');
    const externalRef = { service_url: identity.serviceUrl, conversation_id: identity.conversationId, activity_id: activityId };
    // First thing after the connector's answer: a worker dying after this line leaves a retry that finds it.
    await this.deliveries.recordProgress(notification.deliveryId, externalRef);
    return { state: 'sent', externalRef };
  }

  /** Rewrites the card in place: the outcome, who decided, no buttons or input. */
  async showOutcome(notification: Notification): Promise<void> {
    const ref = notification.externalRef;
    if (!this.bot || typeof ref?.service_url !== 'string' || typeof ref.conversation_id !== 'string' || typeof ref.activity_id !== 'string')
      return;
    const { text, card } = renderApprovalCard(notification.approval, { publicUrl: this.config.publicUrl, kind: notification.kind });
    const connector = await this.connector(ref.service_url, notification.person.id);
    try {
      await connector.conversations.updateActivity(ref.conversation_id, ref.activity_id, {
        type: 'message',
        id: ref.activity_id,
        text,
        attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }],
      });
    } catch (error) {
      throw connectorFailure(error);
    }
  }

  /** The connector for a recorded service URL; one outside TEAMS_SERVICE_URLS (changed since) is refused and audited. */
  private async connector(serviceUrl: string, personId: string) {
    try {
      return await this.bot!.connector(serviceUrl);
    } catch (error) {
      if (!(error instanceof ServiceUrlRefused)) throw error;
      await this.audit.record(SYSTEM, [
        {
          type: AuditEventType.TeamsActivityRefused,
          subject: { type: 'person', id: personId },
          data: { reason: 'service_url_not_allowed', service_url: serviceUrl.slice(0, 300), direction: 'outgoing' },
        },
      ]);
      throw new PermanentJobError(error.message);
    }
  }
}
