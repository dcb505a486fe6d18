import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A person's channels per tier (issue 19, ADR 0025), and the delivery state `not_chosen`: a channel the tier
 * offered that the person's preference left out is planned as a row in that state, so the approval shows it.
 * Channel names are not checked here: the API checks them against the channel list and the active taxonomy,
 * and a tier that leaves the taxonomy keeps its row (ignored until the tier returns).
 */
export class ChannelPreferences1765130000000 implements MigrationInterface {
  name = 'ChannelPreferences1765130000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE channel_preferences (
      person_id uuid NOT NULL REFERENCES people(id),
      tier text NOT NULL,
      channels text[] NOT NULL CHECK (cardinality(channels) > 0),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (person_id, tier)
    )`);
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check`);
    await queryRunner.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('queued', 'sent', 'failed', 'gone', 'unreachable', 'off', 'not_chosen'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Rows planned `not_chosen` cannot be kept under the old rule: they become `off`, with their detail.
    await queryRunner.query(`UPDATE deliveries SET state = 'off' WHERE state = 'not_chosen'`);
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check`);
    await queryRunner.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('queued', 'sent', 'failed', 'gone', 'unreachable', 'off'))`,
    );
    await queryRunner.query(`DROP TABLE channel_preferences`);
  }
}
