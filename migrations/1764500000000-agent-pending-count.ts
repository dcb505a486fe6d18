import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each agent's number of pending approvals, kept by triggers on `approvals`, so the `max_pending` check at intake
 * reads one row instead of counting the agent's pending approvals (which grew with them: 2000 pending cost 9 ms of
 * Postgres per request). Statement-level triggers see every insert, status change and delete, whichever code path
 * makes it, and lock the counters in agent order, so two statements touching the same agents cannot deadlock.
 * docs/adr/0009-pending-count-and-planning-at-intake.md.
 */
export class AgentPendingCount1764500000000 implements MigrationInterface {
  name = 'AgentPendingCount1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agent_pending (
        agent_id uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        pending integer NOT NULL
      )`);
    // One function for the three triggers: the change in pending approvals per agent, applied in agent order.
    await queryRunner.query(`
      CREATE FUNCTION approvals_count_pending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO agent_pending AS c (agent_id, pending)
            SELECT agent_id, count(*) FROM new_rows WHERE status = 'pending' GROUP BY agent_id ORDER BY agent_id
            ON CONFLICT (agent_id) DO UPDATE SET pending = c.pending + EXCLUDED.pending;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO agent_pending AS c (agent_id, pending)
            SELECT agent_id, sum(delta) FROM (
                SELECT agent_id, 1 AS delta FROM new_rows WHERE status = 'pending'
                UNION ALL SELECT agent_id, -1 FROM old_rows WHERE status = 'pending'
              ) changes
             GROUP BY agent_id HAVING sum(delta) <> 0 ORDER BY agent_id
            ON CONFLICT (agent_id) DO UPDATE SET pending = c.pending + EXCLUDED.pending;
        ELSE
          UPDATE agent_pending c SET pending = c.pending - gone.n
            FROM (SELECT agent_id, count(*) AS n FROM old_rows WHERE status = 'pending' GROUP BY agent_id ORDER BY agent_id) gone
           WHERE c.agent_id = gone.agent_id;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER approvals_pending_insert AFTER INSERT ON approvals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION approvals_count_pending()`);
    await queryRunner.query(
      `CREATE TRIGGER approvals_pending_update AFTER UPDATE ON approvals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION approvals_count_pending()`,
    );
    await queryRunner.query(`CREATE TRIGGER approvals_pending_delete AFTER DELETE ON approvals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION approvals_count_pending()`);
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
