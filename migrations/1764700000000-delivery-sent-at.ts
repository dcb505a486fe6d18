import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When a delivery reached the person (`sent`): for a Slack decision, the moment the person was shown the request,
 * from which a fast decision is measured (as a web decision is from the first view). Rows already sent get their
 * `updated_at`, which is when they were sent unless their outcome was shown since (their approval is decided).
 */
export class DeliverySentAt1764700000000 implements MigrationInterface {
  name = 'DeliverySentAt1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries ADD COLUMN sent_at timestamptz`);
    await queryRunner.query(`UPDATE deliveries SET sent_at = updated_at WHERE state = 'sent'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries DROP COLUMN sent_at`);
  }
}
