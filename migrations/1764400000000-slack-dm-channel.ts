import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The bot's DM channel with a linked Slack user, remembered after the first `conversations.open`: Slack answers
 * the same channel every time, so later messages skip that round trip. Relinking the person clears it.
 */
export class SlackDmChannel1764400000000 implements MigrationInterface {
  name = 'SlackDmChannel1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE slack_identities ADD COLUMN dm_channel_id text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE slack_identities DROP COLUMN dm_channel_id`);
  }
}
