import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Passkeys, enrollment links, sessions, WebAuthn challenges (sign-in and step-up), decisions, first views. */
export class PeopleAndDecisions1764100000000 implements MigrationInterface {
  name = 'PeopleAndDecisions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The WebAuthn user handle (hex of 32 bytes): random, so it says nothing about the person (WebAuthn §14.6.1).
    await queryRunner.query(`ALTER TABLE people ADD COLUMN webauthn_user_id text NOT NULL UNIQUE DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`);
    await queryRunner.query(`CREATE TABLE passkeys (
      id text PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people(id),
      public_key bytea NOT NULL,
      counter bigint NOT NULL DEFAULT 0,
      transports text[] NOT NULL DEFAULT '{}',
      device_type text NOT NULL,
      backed_up boolean NOT NULL,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX passkeys_person ON passkeys (person_id)`);
    // Only the SHA-256 of a link's token is stored: a database reader cannot enroll a passkey.
    await queryRunner.query(`CREATE TABLE enrollment_links (
      token_hash text PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people(id),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX enrollment_links_person ON enrollment_links (person_id)`);
    await queryRunner.query(`CREATE TABLE sessions (
      id_hash text PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people(id),
      csrf_token text NOT NULL,
      user_agent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ended_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX sessions_person_open ON sessions (person_id) WHERE ended_at IS NULL`);
    // Single use: a challenge row is deleted when an answer to it is checked, whatever the outcome.
    await queryRunner.query(`CREATE TABLE webauthn_challenges (
      challenge text PRIMARY KEY,
      purpose text NOT NULL CHECK (purpose IN ('enrollment', 'login', 'passkey', 'step_up')),
      person_id uuid REFERENCES people(id),
      approval_id uuid REFERENCES approvals(id),
      nonce text,
      action_digest text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at)`);
    await queryRunner.query(`CREATE TABLE decisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      approval_id uuid NOT NULL REFERENCES approvals(id),
      person_id uuid NOT NULL REFERENCES people(id),
      verdict text NOT NULL CHECK (verdict IN ('approve', 'deny')),
      reason text,
      channel text NOT NULL CHECK (channel IN ('web', 'slack')),
      amr text[] NOT NULL,
      latency_ms int,
      fast boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (approval_id, person_id)
    )`);
    // When each person first opened an approval: a decision much faster than reading it is flagged.
    await queryRunner.query(`CREATE TABLE approval_views (
      approval_id uuid NOT NULL REFERENCES approvals(id),
      person_id uuid NOT NULL REFERENCES people(id),
      first_opened_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (approval_id, person_id)
    )`);
    await queryRunner.query(`CREATE INDEX approvals_pending_created ON approvals (created_at DESC, id DESC) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX approvals_agent_denied ON approvals (agent_id, decided_at) WHERE status = 'denied'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX approvals_agent_denied`);
    await queryRunner.query(`DROP INDEX approvals_pending_created`);
    await queryRunner.query(`DROP TABLE approval_views`);
    await queryRunner.query(`DROP TABLE decisions`);
    await queryRunner.query(`DROP TABLE webauthn_challenges`);
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP TABLE enrollment_links`);
    await queryRunner.query(`DROP TABLE passkeys`);
    await queryRunner.query(`ALTER TABLE people DROP COLUMN webauthn_user_id`);
  }
}
