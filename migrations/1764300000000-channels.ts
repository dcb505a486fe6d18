import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Out-of-band channels: Slack identities, push subscriptions, VAPID keys, one delivery row per approval × person ×
 * channel × kind (the job's idempotency key in Postgres), Slack interactions seen (replays), and the approval's
 * reminder and escalation state (escalated approvers are eligible like the requirement's own).
 */
export class Channels1764300000000 implements MigrationInterface {
  name = 'Channels1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals
      ADD COLUMN escalated_to text[] NOT NULL DEFAULT '{}',
      ADD COLUMN escalated_at timestamptz,
      ADD COLUMN reminded_at timestamptz,
      ADD COLUMN notified_at timestamptz,
      ADD COLUMN messages_updated_at timestamptz`);
    await queryRunner.query(`CREATE TABLE slack_identities (
      person_id uuid PRIMARY KEY REFERENCES people(id),
      slack_user_id text NOT NULL,
      team_id text NOT NULL,
      enterprise_id text,
      linked_by text NOT NULL CHECK (linked_by IN ('email_lookup', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (team_id, slack_user_id)
    )`);
    await queryRunner.query(`CREATE TABLE push_subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      person_id uuid NOT NULL REFERENCES people(id),
      endpoint text NOT NULL UNIQUE,
      p256dh text NOT NULL,
      auth text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_sent_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX push_subscriptions_person ON push_subscriptions (person_id)`);
    await queryRunner.query(`CREATE TABLE vapid_keys (
      id int PRIMARY KEY CHECK (id = 1),
      public_key text NOT NULL,
      private_key_enc text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      approval_id uuid NOT NULL REFERENCES approvals(id),
      person_id uuid NOT NULL REFERENCES people(id),
      channel text NOT NULL CHECK (channel IN ('slack', 'web_push')),
      kind text NOT NULL CHECK (kind IN ('request', 'reminder')),
      state text NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'gone', 'unreachable', 'off')),
      detail text,
      external_ref jsonb,
      attempts int NOT NULL DEFAULT 0,
      outcome_shown text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (approval_id, person_id, channel, kind)
    )`);
    await queryRunner.query(`CREATE INDEX deliveries_queued ON deliveries (updated_at) WHERE state = 'queued'`);
    await queryRunner.query(`CREATE INDEX deliveries_outcome_due ON deliveries (approval_id) WHERE external_ref IS NOT NULL AND outcome_shown IS NULL`);
    await queryRunner.query(`CREATE TABLE slack_interactions (
      request_hash text PRIMARY KEY,
      received_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX slack_interactions_received ON slack_interactions (received_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE slack_interactions`);
    await queryRunner.query(`DROP TABLE deliveries`);
    await queryRunner.query(`DROP TABLE vapid_keys`);
    await queryRunner.query(`DROP TABLE push_subscriptions`);
    await queryRunner.query(`DROP TABLE slack_identities`);
    await queryRunner.query(`ALTER TABLE approvals DROP COLUMN messages_updated_at, DROP COLUMN notified_at, DROP COLUMN reminded_at, DROP COLUMN escalated_at, DROP COLUMN escalated_to`);
  }
}
