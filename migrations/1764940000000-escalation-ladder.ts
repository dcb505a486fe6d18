import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The escalation ladder (issue 18): an approval counts the steps it has taken (`escalation_step`), and
 * `escalated_at` becomes the time of the latest one (it was the time of the only one). Requirements stored before
 * the ladder carry the one step as `escalate_after_seconds` + `escalate_to`: pending ones get it written as a
 * ladder of one step, so the worker's sweep reads every pending approval's next step from `requirement->'escalation'`,
 * and those already escalated count one step taken.
 */
export class EscalationLadder1764940000000 implements MigrationInterface {
  name = 'EscalationLadder1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals ADD COLUMN escalation_step int NOT NULL DEFAULT 0 CHECK (escalation_step >= 0)`);
    await queryRunner.query(`UPDATE approvals SET escalation_step = 1 WHERE escalated_at IS NOT NULL`);
    await queryRunner.query(
      `UPDATE approvals
          SET requirement = requirement || jsonb_build_object('escalation',
                CASE WHEN (requirement->>'escalate_after_seconds') IS NULL OR jsonb_array_length(COALESCE(requirement->'escalate_to', '[]'::jsonb)) = 0
                     THEN '[]'::jsonb
                     ELSE jsonb_build_array(jsonb_build_object('after_seconds', (requirement->>'escalate_after_seconds')::int,
                                                               'to', requirement->'escalate_to', 'channels', requirement->'channels')) END)
        WHERE status = 'pending' AND NOT requirement ? 'escalation'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The ladders written into pending requirements are left: code before the ladder ignores the key.
    await queryRunner.query(`ALTER TABLE approvals DROP COLUMN escalation_step`);
  }
}
