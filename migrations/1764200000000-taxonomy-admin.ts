import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Taxonomy replay walks recent approvals newest first, and the unknown-actions report reads the last N days: both
 * need approvals by time across all agents (approvals_agent_created only serves one agent at a time).
 */
export class TaxonomyAdmin1764200000000 implements MigrationInterface {
  name = 'TaxonomyAdmin1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX approvals_created ON approvals (created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX approvals_created`);
  }
}
