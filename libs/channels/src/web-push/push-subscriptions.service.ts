import { Injectable } from '@nestjs/common';
import { AuditEventType, AuditService } from '@countersign/audit';
import { type PushSubscriptionView } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { type PersonRecord } from '@countersign/people';
import { type PushSubscriptionInput } from './push-subscription.input';
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
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly vapid: VapidKeysService,
    private readonly audit: AuditService,
  ) {}

  async publicKey(): Promise<{ public_key: string }> {
    return { public_key: (await this.vapid.keys()).publicKey };
  }

  /** The subscription comes parsed by the transport (`parseSubscription`, push-subscription.input.ts). */
  async subscribe(person: PersonRecord, parsed: PushSubscriptionInput): Promise<PushSubscriptionView> {
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
