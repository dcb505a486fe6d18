import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Microsoft Teams becomes a delivery channel and a decision source (issue 19): the people linked to a Teams user
 * (tenant + Entra object id) with the bot's 1:1 conversation, and the activities already acted on (replays).
 */
export class TeamsChannel1765120000000 implements MigrationInterface {
  name = 'TeamsChannel1765120000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check`);
    await queryRunner.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('slack', 'web_push', 'email', 'teams'))`,
    );
    await queryRunner.query(`ALTER TABLE decisions DROP CONSTRAINT decisions_channel_check`);
    await queryRunner.query(`ALTER TABLE decisions ADD CONSTRAINT decisions_channel_check CHECK (channel IN ('web', 'slack', 'teams'))`);
    await queryRunner.query(`CREATE TABLE teams_identities (
      person_id uuid PRIMARY KEY REFERENCES people(id),
      tenant_id text NOT NULL,
      aad_object_id text NOT NULL,
      teams_user_id text NOT NULL,
      service_url text NOT NULL,
      conversation_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, aad_object_id)
    )`);
    await queryRunner.query(`CREATE TABLE teams_activities (
      activity_hash text PRIMARY KEY,
      received_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX teams_activities_received ON teams_activities (received_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE teams_activities`);
    await queryRunner.query(`DROP TABLE teams_identities`);
    // Teams deliveries and decisions cannot be kept under the old rules: they go with them.
    await queryRunner.query(`DELETE FROM deliveries WHERE channel = 'teams'`);
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check`);
    await queryRunner.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('slack', 'web_push', 'email'))`);
    await queryRunner.query(`DELETE FROM decisions WHERE channel = 'teams'`);
    await queryRunner.query(`ALTER TABLE decisions DROP CONSTRAINT decisions_channel_check`);
    await queryRunner.query(`ALTER TABLE decisions ADD CONSTRAINT decisions_channel_check CHECK (channel IN ('web', 'slack'))`);
  }
}
