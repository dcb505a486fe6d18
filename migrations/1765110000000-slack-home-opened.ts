import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When the linked Slack user last opened the app's Home tab (issue 19): only their Home tabs are republished when
 * their pending approvals change (publishing to someone who never opened it is wasted calls). Relinking clears it.
 */
export class SlackHomeOpened1765110000000 implements MigrationInterface {
  name = 'SlackHomeOpened1765110000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE slack_identities ADD COLUMN home_opened_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE slack_identities DROP COLUMN home_opened_at`);
  }
}
