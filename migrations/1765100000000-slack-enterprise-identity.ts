import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Enterprise Grid (issue 19, ADR 0022): in a Grid org a user id is the org's, the same in every workspace, while the
 * team id a click carries is the workspace it came from. A Grid user is therefore one (enterprise id, user id) link,
 * whatever team it was first seen in; the unique index keeps two people from holding the same Grid user through two
 * workspaces. Links outside a Grid keep (team id, user id).
 */
export class SlackEnterpriseIdentity1765100000000 implements MigrationInterface {
  name = 'SlackEnterpriseIdentity1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNIQUE INDEX slack_identities_enterprise_user ON slack_identities (enterprise_id, slack_user_id) WHERE enterprise_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX slack_identities_enterprise_user`);
  }
}
