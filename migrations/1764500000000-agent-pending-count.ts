import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each agent's number of pending approvals, kept by triggers on `approvals`, so the `max_pending` check at intake
 * reads one row instead of counting the agent's pending approvals (which grew with them: 2000 pending cost 9 ms of
 * Postgres per request). The triggers see every insert, status change and delete, whichever code path makes it.
 * Intake inserts a batch in agent order, so two batches take the counters' locks in the same order.
 * docs/adr/0009-prepared-statements-pending-count-planning-at-intake.md.
 */
export class AgentPendingCount1764500000000 implements MigrationInterface {
  name = 'AgentPendingCount1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agent_pending (
        agent_id uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        pending integer NOT NULL
      )`);
    // One row-level function: the approval leaves the agent's pending count, joins it, or both (an agent change).
    await queryRunner.query(`
      CREATE FUNCTION approvals_count_pending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'pending' THEN
          UPDATE agent_pending SET pending = pending - 1 WHERE agent_id = OLD.agent_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'pending' THEN
          INSERT INTO agent_pending AS c (agent_id, pending) VALUES (NEW.agent_id, 1)
            ON CONFLICT (agent_id) DO UPDATE SET pending = c.pending + 1;
        END IF;
        RETURN NULL;
      END $$`);
    // Deferred to commit, so a transaction holds an agent's counter row for the moment of its commit, not from its
    // status change on (decisions of one agent's approvals would otherwise queue behind each other). The WHEN
    // clauses keep every other update of approvals free of the trigger.
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER approvals_pending_insert AFTER INSERT ON approvals DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION approvals_count_pending()`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER approvals_pending_update AFTER UPDATE OF status, agent_id ON approvals DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN ((OLD.status = 'pending' OR NEW.status = 'pending') AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.agent_id IS DISTINCT FROM NEW.agent_id))
        EXECUTE FUNCTION approvals_count_pending()`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER approvals_pending_delete AFTER DELETE ON approvals DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION approvals_count_pending()`);
    // The count so far, taken while no one can change approvals (the migration's transaction holds the lock).
    await queryRunner.query(`LOCK TABLE approvals IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`INSERT INTO agent_pending (agent_id, pending) SELECT agent_id, count(*) FROM approvals WHERE status = 'pending' GROUP BY agent_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER approvals_pending_delete ON approvals`);
    await queryRunner.query(`DROP TRIGGER approvals_pending_update ON approvals`);
    await queryRunner.query(`DROP TRIGGER approvals_pending_insert ON approvals`);
    await queryRunner.query(`DROP FUNCTION approvals_count_pending()`);
    await queryRunner.query(`DROP TABLE agent_pending`);
  }
}
