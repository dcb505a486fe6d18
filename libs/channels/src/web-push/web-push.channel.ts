import { readFileSync } from 'node:fs';
import { type Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import webpush, { WebPushError } from 'web-push';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig, outboundAgents, refusedAddressOf } from '@countersign/config';
import { PermanentJobError, RetryLaterError } from '@countersign/queue';
import { type DeliveryOutcome, type Notification, type NotificationChannel } from '../notification-channel';
import { DeliveryRepository, NO_SUBSCRIPTION } from '../delivery.repository';
import { pushOriginRefusal } from './push-endpoint';
import { PushSubscriptionRepository } from './push-subscription.repository';
import { VapidKeysService } from './vapid-keys.service';

/** RFC 8030/8291: 4096 bytes after encryption; aes128gcm adds 103, so the plaintext stays under 3993. */
export const MAX_PUSH_PAYLOAD_BYTES = 3992;
const HIGH_URGENCY_TIERS = new Set(['high', 'critical']);

/**
 * The payload a push carries: the opaque approval id, a generic title and the tier. Never the action, its
 * arguments, amounts, recipients or the agent's reason: the page fetches those after sign-in.
 */
export function pushPayload(approval: { id: string; tier: string }, kind: 'request' | 'reminder'): string {
  const payload = JSON.stringify({
    type: kind === 'reminder' ? 'approval.reminder' : 'approval.requested',
    approval_id: approval.id,
    title: kind === 'reminder' ? 'Reminder: an approval is waiting' : 'An approval is waiting for you',
    tier: approval.tier,
  });
  if (Buffer.byteLength(payload) > MAX_PUSH_PAYLOAD_BYTES) throw new Error('push payload too large');
  return payload;
}

/**
 * Web push to every subscription of the person (VAPID, aes128gcm). 404/410: the subscription is gone and is
 * deleted; 429: wait as Retry-After says. A subscription outside PUSH_SERVICE_ORIGINS, or whose host is or
 * resolves to a private address, is not contacted (logged; if no subscription is left, the delivery fails without
 * retrying). A failed push never decides anything.
 */
@Injectable()
export class WebPushChannel implements NotificationChannel, OnApplicationShutdown {
  readonly type = 'web_push' as const;
  readonly enabled = true;
  private readonly logger = new Logger(WebPushChannel.name);
  /** Connects only to checked addresses (unless ALLOW_PRIVATE_PUSH_ENDPOINTS): resolved, checked and pinned at once. */
  private readonly agent: Agent;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly vapid: VapidKeysService,
    private readonly audit: AuditService,
  ) {
    // Node's trust store plus the configured CAs (for a private push service, or the tests' fake one).
    const ca = config.pushCaFile ? [...rootCertificates, readFileSync(config.pushCaFile, 'utf8')] : undefined;
    this.agent = outboundAgents({ allowPrivate: config.allowPrivatePushEndpoints, https: ca ? { ca } : {} }).https;
  }

  onApplicationShutdown(): void {
    this.agent.destroy();
  }

  async deliver(notification: Notification): Promise<DeliveryOutcome> {
    const subscriptions = await this.subscriptions.forPerson(notification.person.id);
    if (subscriptions.length === 0) return { state: 'unreachable', detail: NO_SUBSCRIPTION };
    const keys = await this.vapid.keys();
    const payload = pushPayload(notification.approval, notification.kind);
    const ttl = Math.max(0, Math.floor((new Date(notification.approval.expires_at).getTime() - Date.now()) / 1000));
    // Subscriptions an earlier attempt reached are not pushed to again.
    const done = new Set(Array.isArray(notification.externalRef?.sent) ? (notification.externalRef.sent as string[]) : []);
    let gone = 0;
    const refused: string[] = [];
    for (const subscription of subscriptions) {
      if (done.has(subscription.id)) continue;
      // Checked again: the subscription may predate the allow-list, or the configuration may have changed.
      const refusal = pushOriginRefusal(new URL(subscription.endpoint), this.config.pushServiceOrigins);
      if (refusal) {
        refused.push(this.refuse(subscription.id, refusal));
        continue;
      }
      try {
        await webpush.sendNotification(
          { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
          payload,
          {
            vapidDetails: keys,
            TTL: ttl,
            urgency: HIGH_URGENCY_TIERS.has(notification.approval.tier) ? 'high' : 'normal',
            contentEncoding: 'aes128gcm',
            timeout: 10_000,
            agent: this.agent,
          },
        );
        done.add(subscription.id);
        await this.subscriptions.markSent(subscription.id);
        await this.deliveries.recordProgress(notification.deliveryId, { sent: [...done] });
      } catch (error) {
        const internal = refusedAddressOf(error);
        if (internal) {
          refused.push(this.refuse(subscription.id, internal.message));
          continue;
        }
        if (!(error instanceof WebPushError)) throw error;
        if (error.statusCode === 404 || error.statusCode === 410) {
          gone++;
          await this.subscriptions.remove(subscription.id);
          await this.audit.record(SYSTEM, [
            {
              type: AuditEventType.PushSubscriptionGone,
              subject: { type: 'person', id: notification.person.id },
              data: { subscription_id: subscription.id, status: error.statusCode },
            },
          ]);
          continue;
        }
        if (error.statusCode === 429)
          throw new RetryLaterError(
            retryAfterMs(error.headers['retry-after']),
            `push service rate limit (${new URL(subscription.endpoint).host})`,
          );
        throw new Error(`push service answered ${error.statusCode}: ${error.body.slice(0, 200)}`, { cause: error });
      }
    }
    if (done.size > 0) return { state: 'sent', externalRef: { sent: [...done] } };
    // Retrying would be refused the same way: the job fails now, and the delivery is recorded as failed.
    if (refused.length > 0) throw new PermanentJobError(`push refused: ${refused.join('; ')}`.slice(0, 500));
    return { state: 'gone', detail: `every push subscription is gone (${gone})` };
  }

  private refuse(subscriptionId: string, reason: string): string {
    const message = `subscription ${subscriptionId}: ${reason}`;
    this.logger.warn(`push not sent to ${message}`);
    return message;
  }

  async showOutcome(): Promise<void> {
    // A delivered push cannot be changed; the page shows the outcome when it is opened.
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); at least a second, at most an hour. */
export function retryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return 30_000;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : (Date.parse(value) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return 30_000;
  return Math.min(3_600_000, Math.max(1_000, Math.round(seconds * 1000)));
}
