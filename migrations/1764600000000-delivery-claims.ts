import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A delivery attempt's claim, held until `claimed_until` (renewed while the attempt runs, released when it fails).
 * After Redis lost its queue the worker re-enqueues every queued delivery at once, including one another worker
 * is sending at that moment: the claim makes the second job wait instead of posting a second message.
 */
export class DeliveryClaims1764600000000 implements MigrationInterface {
  name = 'DeliveryClaims1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries ADD COLUMN claimed_until timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries DROP COLUMN claimed_until`);
  }
}
