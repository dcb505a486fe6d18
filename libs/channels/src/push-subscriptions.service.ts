import { createECDH } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditEventType, AuditService } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { type PushSubscriptionView } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { type PersonRecord } from '@countersign/people';
import { pushEndpointRefusal, type PushEndpointPolicy } from './push-endpoint';
import { type PushSubscriptionRecord, PushSubscriptionRepository } from './push-subscription.repository';
import { VapidKeysService } from './vapid-keys.service';

/** A push subscription on the wire (libs/contract). */
export type { PushSubscriptionView };

const view = (record: PushSubscriptionRecord): PushSubscriptionView => ({
  id: record.id,
  endpoint_origin: new URL(record.endpoint).origin,
  created_at: record.createdAt.toISOString(),
  last_sent_at: record.lastSentAt?.toISOString() ?? null,
});

/** A person's browsers subscribing to web push (the PushSubscription JSON), listing and removing them. */
@Injectable()
export class PushSubscriptionsService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly vapid: VapidKeysService,
    private readonly audit: AuditService,
  ) {}

  async publicKey(): Promise<{ public_key: string }> {
    return { public_key: (await this.vapid.keys()).publicKey };
  }

  async subscribe(person: PersonRecord, body: unknown): Promise<PushSubscriptionView> {
    const parsed = parseSubscription(body, this.config);
    const record = await this.subscriptions.upsert({ personId: person.id, ...parsed });
    await this.audit.record({ type: 'person', id: person.id }, [
      {
        type: AuditEventType.PushSubscribed,
        subject: { type: 'person', id: person.id },
        data: { subscription_id: record.id, origin: new URL(parsed.endpoint).origin },
      },
    ]);
    return view(record);
  }

  async list(person: PersonRecord): Promise<PushSubscriptionView[]> {
    return (await this.subscriptions.forPerson(person.id)).map(view);
  }

  async unsubscribe(person: PersonRecord, id: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(id) || !(await this.subscriptions.remove(id, person.id)))
      throw new DomainError('not_found', 'no such push subscription');
    await this.audit.record({ type: 'person', id: person.id }, [
      { type: AuditEventType.PushUnsubscribed, subject: { type: 'person', id: person.id }, data: { subscription_id: id } },
    ]);
  }
}

/**
 * The browser's PushSubscription JSON: an https endpoint on a known push service (`pushEndpointRefusal`) and keys.p256dh (an uncompressed point ON P-256, 65
 * bytes) and keys.auth (16 bytes), both base64url. A key on another curve, or not a point at all, is refused.
 */
export function parseSubscription(body: unknown, policy: PushEndpointPolicy): { endpoint: string; p256dh: string; auth: string } {
  const value = (body ?? {}) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  let endpoint: URL;
  try {
    endpoint = new URL(typeof value.endpoint === 'string' ? value.endpoint : '');
  } catch {
    throw new DomainError('invalid_request', 'endpoint must be the push service URL', { field: '/endpoint' });
  }
  if (endpoint.protocol !== 'https:' || endpoint.href.length > 2048)
    throw new DomainError('invalid_request', 'endpoint must be an https URL', { field: '/endpoint' });
  if (endpoint.username || endpoint.password)
    throw new DomainError('invalid_request', 'endpoint must not carry credentials', { field: '/endpoint' });
  const refusal = pushEndpointRefusal(endpoint, policy);
  if (refusal) throw new DomainError('invalid_request', refusal, { field: '/endpoint' });
  const p256dh = base64url(value.keys?.p256dh);
  if (!p256dh || p256dh.length !== 65 || p256dh[0] !== 0x04 || !onP256(p256dh)) {
    throw new DomainError('invalid_request', 'keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)', {
      field: 'keys.p256dh',
    });
  }
  const auth = base64url(value.keys?.auth);
  if (!auth || auth.length !== 16)
    throw new DomainError('invalid_request', 'keys.auth must be 16 bytes, base64url', { field: 'keys.auth' });
  return { endpoint: endpoint.href, p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') };
}

function base64url(value: unknown): Buffer | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+=*$/.test(value)) return null;
  return Buffer.from(value.replace(/=+$/, ''), 'base64url');
}

function onP256(point: Buffer): boolean {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}
