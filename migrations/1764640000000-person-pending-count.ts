import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each person's number of pending approvals on their behalf, kept beside each agent's (migration 1764500000000) by
 * the same trigger function, so intake's per-person cap (PERSON_MAX_PENDING) reads one row instead of counting.
 * One function doing both updates rather than a second set of triggers: each pending insert or status change then
 * costs one trigger call, as before (ADR 0009). Intake's batch locks the counters in agent order; its person rows
 * follow in that order, so two batches naming the same two people in opposite orders can deadlock. PostgreSQL then
 * aborts one, and MicroBatch retries its requests one by one (a lone request locks its agent, then its person).
 */
export class PersonPendingCount1764640000000 implements MigrationInterface {
  name = 'PersonPendingCount1764640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE person_pending (
        person_id uuid PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        pending integer NOT NULL
      )`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION approvals_count_pending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'pending' THEN
          UPDATE agent_pending SET pending = pending - 1 WHERE agent_id = OLD.agent_id;
          UPDATE person_pending SET pending = pending - 1 WHERE person_id = OLD.on_behalf_of_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'pending' THEN
          INSERT INTO agent_pending AS c (agent_id, pending) VALUES (NEW.agent_id, 1)
            ON CONFLICT (agent_id) DO UPDATE SET pending = c.pending + 1;
          INSERT INTO person_pending AS c (person_id, pending) VALUES (NEW.on_behalf_of_id, 1)
            ON CONFLICT (person_id) DO UPDATE SET pending = c.pending + 1;
        END IF;
        RETURN NULL;
      END $$`);
    // The update trigger now also fires when a pending approval changes person (nothing does that today, but a
    // hand-run UPDATE must not skew the count).
    await queryRunner.query(`DROP TRIGGER approvals_pending_update ON approvals`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER approvals_pending_update AFTER UPDATE OF status, agent_id, on_behalf_of_id ON approvals DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN ((OLD.status = 'pending' OR NEW.status = 'pending')
          AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.agent_id IS DISTINCT FROM NEW.agent_id OR OLD.on_behalf_of_id IS DISTINCT FROM NEW.on_behalf_of_id))
        EXECUTE FUNCTION approvals_count_pending()`);
    // The count so far, taken while no one can change approvals (the migration's transaction holds the lock).
    await queryRunner.query(`LOCK TABLE approvals IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`INSERT INTO person_pending (person_id, pending) SELECT on_behalf_of_id, count(*) FROM approvals WHERE status = 'pending' GROUP BY on_behalf_of_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Back to migration 1764500000000's function and update trigger, then the table can go.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION approvals_count_pending() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`DROP TRIGGER approvals_pending_update ON approvals`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER approvals_pending_update AFTER UPDATE OF status, agent_id ON approvals DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN ((OLD.status = 'pending' OR NEW.status = 'pending') AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.agent_id IS DISTINCT FROM NEW.agent_id))
        EXECUTE FUNCTION approvals_count_pending()`);
    await queryRunner.query(`DROP TABLE person_pending`);
  }
}
