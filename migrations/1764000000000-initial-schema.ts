import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE people (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE,
      display_name text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'approver', 'member')),
      permissions text[] NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE agents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      client_id text NOT NULL UNIQUE,
      secret_hash text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
      capabilities text[] NOT NULL DEFAULT '{}',
      owner_id uuid REFERENCES people(id),
      requests_per_minute int CHECK (requests_per_minute > 0),
      max_pending int CHECK (max_pending > 0),
      callback_secret_enc text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE resource_servers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      audience text NOT NULL UNIQUE,
      client_id text NOT NULL UNIQUE,
      secret_hash text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE taxonomy_versions (
      version int PRIMARY KEY,
      source text NOT NULL,
      checksum text NOT NULL,
      active boolean NOT NULL DEFAULT false,
      created_by text NOT NULL,
      comment text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE UNIQUE INDEX taxonomy_versions_one_active ON taxonomy_versions (active) WHERE active`);
    await queryRunner.query(`CREATE TABLE approvals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agent_id uuid NOT NULL REFERENCES agents(id),
      on_behalf_of_id uuid NOT NULL REFERENCES people(id),
      action_type text NOT NULL,
      action_resource text NOT NULL,
      args jsonb NOT NULL,
      audience text NOT NULL,
      reason text,
      provenance text[] NOT NULL DEFAULT '{}',
      tier text NOT NULL,
      classification jsonb NOT NULL,
      requirement jsonb NOT NULL,
      taxonomy_version int NOT NULL REFERENCES taxonomy_versions(version),
      action_digest text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
      status_reason text,
      expires_at timestamptz NOT NULL,
      idempotency_key text,
      request_hash text NOT NULL,
      callback_url text,
      -- 'due' once the status left pending with a callback URL; the worker re-enqueues due callbacks Redis lost.
      callback_state text CHECK (callback_state IN ('due', 'delivered', 'failed')),
      decided_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE UNIQUE INDEX approvals_agent_idempotency_key ON approvals (agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX approvals_agent_pending ON approvals (agent_id) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX approvals_callback_due ON approvals (updated_at) WHERE callback_state = 'due'`);
    await queryRunner.query(`CREATE INDEX approvals_agent_created ON approvals (agent_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      public_jwk jsonb NOT NULL,
      private_key_enc text NOT NULL,
      state text NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
      publish_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active'`);
    await queryRunner.query(`CREATE TABLE issued_tokens (
      jti text PRIMARY KEY,
      approval_id uuid NOT NULL REFERENCES approvals(id),
      audience text NOT NULL,
      token_enc text NOT NULL,
      expires_at timestamptz NOT NULL,
      consumed_at timestamptz,
      consumed_by uuid REFERENCES resource_servers(id),
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX issued_tokens_approval ON issued_tokens (approval_id)`);
    await queryRunner.query(`CREATE TABLE audit_events (
      seq bigint PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL,
      actor_id text,
      type text NOT NULL,
      subject_type text,
      subject_id text,
      data jsonb NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL UNIQUE
    )`);
    // Events are written here inside the business transaction (no global lock on the request path), then moved
    // into the hash chain in batches by the AuditChainer; see docs/adr/0003-audit-chain-outbox.md.
    await queryRunner.query(`CREATE TABLE audit_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL,
      actor_id text,
      type text NOT NULL,
      subject_type text,
      subject_id text,
      data jsonb NOT NULL
    )`);
    await queryRunner.query(`CREATE INDEX audit_events_type_seq ON audit_events (type, seq DESC)`);
    await queryRunner.query(`CREATE INDEX audit_events_subject_seq ON audit_events (subject_id, seq DESC)`);
    // The log is append-only for every role, the owner included: rows can only be inserted.
    await queryRunner.query(`CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await queryRunner.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_outbox`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP FUNCTION audit_events_refuse_change()`);
    await queryRunner.query(`DROP TABLE issued_tokens`);
    await queryRunner.query(`DROP TABLE signing_keys`);
    await queryRunner.query(`DROP TABLE approvals`);
    await queryRunner.query(`DROP TABLE taxonomy_versions`);
    await queryRunner.query(`DROP TABLE resource_servers`);
    await queryRunner.query(`DROP TABLE agents`);
    await queryRunner.query(`DROP TABLE people`);
  }
}
