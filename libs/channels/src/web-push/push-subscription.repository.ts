import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';

export interface PushSubscriptionRecord {
  id: string;
  personId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: Date;
  lastSentAt: Date | null;
}

type Row = { id: string; person_id: string; endpoint: string; p256dh: string; auth: string; created_at: Date; last_sent_at: Date | null };
const fromRow = (row: Row): PushSubscriptionRecord => ({
  id: row.id,
  personId: row.person_id,
  endpoint: row.endpoint,
  p256dh: row.p256dh,
  auth: row.auth,
  createdAt: row.created_at,
  lastSentAt: row.last_sent_at,
});

/** Browsers' push subscriptions, and the deployment's VAPID key pair (the private key sealed). */
@Injectable()
export class PushSubscriptionRepository {
  constructor(private readonly database: Database) {}

  /** A browser subscribing again (same endpoint) replaces its keys and, if it changed hands, its person. */
  async upsert(subscription: { personId: string; endpoint: string; p256dh: string; auth: string }): Promise<PushSubscriptionRecord> {
    const rows = await this.database.query<Row>(
      `INSERT INTO push_subscriptions (person_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET person_id = EXCLUDED.person_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
       RETURNING *`,
      [subscription.personId, subscription.endpoint, subscription.p256dh, subscription.auth],
    );
    return fromRow(rows[0]);
  }

  async forPerson(personId: string): Promise<PushSubscriptionRecord[]> {
    const rows = await this.database.query<Row>(`SELECT * FROM push_subscriptions WHERE person_id = $1 ORDER BY created_at, id`, [
      personId,
    ]);
    return rows.map(fromRow);
  }

  async remove(id: string, personId?: string): Promise<boolean> {
    const rows = await this.database.query<{ id: string }>(
      `DELETE FROM push_subscriptions WHERE id = $1 AND ($2::uuid IS NULL OR person_id = $2) RETURNING id`,
      [id, personId ?? null],
    );
    return rows.length > 0;
  }

  /** Every subscription of the person (deprovisioning), in the caller's transaction; returns the removed ids. */
  async removeAllFor(tx: Tx, personId: string): Promise<Array<{ id: string; endpoint: string }>> {
    return this.database.rows<{ id: string; endpoint: string }>(
      tx,
      `DELETE FROM push_subscriptions WHERE person_id = $1 RETURNING id, endpoint`,
      [personId],
    );
  }

  async markSent(id: string): Promise<void> {
    await this.database.query(`UPDATE push_subscriptions SET last_sent_at = now() WHERE id = $1`, [id]);
  }

  async vapidKeys(): Promise<{ publicKey: string; privateKeyEnc: string } | null> {
    const rows = await this.database.query<{ public_key: string; private_key_enc: string }>(
      `SELECT public_key, private_key_enc FROM vapid_keys WHERE id = 1`,
      [],
    );
    return rows[0] ? { publicKey: rows[0].public_key, privateKeyEnc: rows[0].private_key_enc } : null;
  }

  /** First writer wins across instances; everyone reads the stored pair afterwards. */
  async storeVapidKeysOnce(publicKey: string, privateKeyEnc: string): Promise<void> {
    await this.database.query(`INSERT INTO vapid_keys (id, public_key, private_key_enc) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [
      publicKey,
      privateKeyEnc,
    ]);
  }
}
