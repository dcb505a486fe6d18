import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The directory's shape, shared by single sign-on, SCIM provisioning, groups in the taxonomy, delegation and the
 * escalation ladder (issue 18). Groups and their members (SCIM's Groups, or the admin API); a person's manager
 * (SCIM's enterprise extension), whom an escalation step may name; and, on each approval, the members of every
 * `group:` approver entry as they were when the entry was resolved (at the request, or at the escalation step that
 * added it), so that a later membership change is visible instead of silently widening or narrowing who decides.
 */
export class Directory1764900000000 implements MigrationInterface {
  name = 'Directory1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE groups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
      external_id text UNIQUE,
      permissions text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE group_members (
      group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      person_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      added_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (group_id, person_id)
    )`);
    await queryRunner.query(`CREATE INDEX group_members_person ON group_members (person_id)`);
    await queryRunner.query(`ALTER TABLE people ADD COLUMN manager_id uuid REFERENCES people(id) ON DELETE SET NULL`);
    await queryRunner.query(`ALTER TABLE approvals ADD COLUMN group_members jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals DROP COLUMN group_members`);
    await queryRunner.query(`ALTER TABLE people DROP COLUMN manager_id`);
    await queryRunner.query(`DROP TABLE group_members`);
    await queryRunner.query(`DROP TABLE groups`);
  }
}
