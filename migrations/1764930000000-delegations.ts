import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Delegation and absence (issue 18, docs/adr/0018-groups-and-delegation.md): a person hands their approvals to
 * another for a bounded period. Whether one is in force is checked against now when someone decides (no job ends
 * it); a revoked one keeps its row for the audit and the approvals it was used on. A decision made through a
 * delegation records whose right it used (`decisions.via_delegation_of`).
 */
export class Delegations1764930000000 implements MigrationInterface {
  name = 'Delegations1764930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE delegations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      delegator_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      delegate_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      reason text CHECK (length(reason) <= 500),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      revoked_by text,
      CHECK (delegator_id <> delegate_id),
      CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '90 days')
    )`);
    await queryRunner.query(`CREATE INDEX delegations_delegate ON delegations (delegate_id, ends_at) WHERE revoked_at IS NULL`);
    await queryRunner.query(`CREATE INDEX delegations_delegator ON delegations (delegator_id, created_at)`);
    await queryRunner.query(`ALTER TABLE decisions ADD COLUMN via_delegation_of uuid REFERENCES people(id) ON DELETE SET NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE decisions DROP COLUMN via_delegation_of`);
    await queryRunner.query(`DROP TABLE delegations`);
  }
}
