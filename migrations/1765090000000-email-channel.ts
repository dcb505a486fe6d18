import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Email becomes a delivery channel (issue 19): a tier's `channels` may list `email`. */
export class EmailChannel1765090000000 implements MigrationInterface {
  name = 'EmailChannel1765090000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check`);
    await queryRunner.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('slack', 'web_push', 'email'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Email deliveries cannot be kept under the old rule: they go with it.
    await queryRunner.query(`DELETE FROM deliveries WHERE channel = 'email'`);
    await queryRunner.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check`);
    await queryRunner.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('slack', 'web_push'))`);
  }
}
