import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * SCIM 2.0 provisioning (issue 18, docs/adr/0017-scim-provisioning.md). The directory's bearer tokens (only a
 * SHA-256 of the secret is stored); on people, what the directory calls them (`user_name`, `external_id`) and when
 * the directory deleted them: a deleted person stays as a disabled row (the audit log names them), and SCIM no
 * longer finds them.
 */
export class Scim1764920000000 implements MigrationInterface {
  name = 'Scim1764920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE scim_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      secret_hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`);
    await queryRunner.query(`ALTER TABLE people ADD COLUMN user_name text, ADD COLUMN external_id text, ADD COLUMN directory_deleted_at timestamptz`);
    await queryRunner.query(`CREATE UNIQUE INDEX people_user_name ON people (lower(user_name))`);
    await queryRunner.query(`CREATE UNIQUE INDEX people_external_id ON people (external_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX people_external_id`);
    await queryRunner.query(`DROP INDEX people_user_name`);
    await queryRunner.query(`ALTER TABLE people DROP COLUMN directory_deleted_at, DROP COLUMN external_id, DROP COLUMN user_name`);
    await queryRunner.query(`DROP TABLE scim_tokens`);
  }
}
