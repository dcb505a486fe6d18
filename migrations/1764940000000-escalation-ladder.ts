import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The escalation ladder (issue 18): an approval counts the steps it has taken (`escalation_step`), and
 * `escalated_at` becomes the time of the latest one (it was the time of the only one). Requirements stored before
 * the ladder carry their one step as `escalate_after_seconds` + `escalate_to` and are left as they were (the code
 * reads them as a ladder of one step); those already escalated have taken that step.
 */
export class EscalationLadder1764940000000 implements MigrationInterface {
  name = 'EscalationLadder1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals ADD COLUMN escalation_step int NOT NULL DEFAULT 0 CHECK (escalation_step >= 0)`);
    await queryRunner.query(`UPDATE approvals SET escalation_step = 1 WHERE escalated_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals DROP COLUMN escalation_step`);
  }
}
