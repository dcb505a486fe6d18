import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * OpenID CIBA (docs/adr/0015-ciba.md). An agent's CIBA registration (delivery mode, ping endpoint, the
 * authorization_details types it may send); the binding message a CIBA request shows the person; and one
 * `ciba_requests` row per CIBA request, beside its approval: what `auth_req_id` maps to. The id itself is stored
 * as its SHA-256 (a lookup key), and sealed only in ping mode, where Countersign must send it back.
 */
export class Ciba1764800000000 implements MigrationInterface {
  name = 'Ciba1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE agents
      ADD COLUMN ciba_delivery_mode text CHECK (ciba_delivery_mode IN ('poll', 'ping')),
      ADD COLUMN ciba_notification_endpoint text,
      ADD COLUMN ciba_authorization_details_types text[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE approvals ADD COLUMN binding_message text`);
    await queryRunner.query(`CREATE TABLE ciba_requests (
      auth_req_hash text PRIMARY KEY,
      approval_id uuid NOT NULL UNIQUE REFERENCES approvals(id) ON DELETE CASCADE,
      agent_id uuid NOT NULL REFERENCES agents(id),
      scopes text[] NOT NULL DEFAULT '{}',
      authorization_details_enc text NOT NULL,
      delivery_mode text NOT NULL CHECK (delivery_mode IN ('poll', 'ping')),
      ping_enc text,
      interval_seconds int NOT NULL,
      last_polled_at timestamptz,
      redeemed_at timestamptz,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX ciba_requests_agent ON ciba_requests (agent_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ciba_requests`);
    await queryRunner.query(`ALTER TABLE approvals DROP COLUMN binding_message`);
    await queryRunner.query(`ALTER TABLE agents
      DROP COLUMN ciba_delivery_mode, DROP COLUMN ciba_notification_endpoint, DROP COLUMN ciba_authorization_details_types`);
  }
}
