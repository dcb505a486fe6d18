import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm';
import { ApprovalEntity, Database, type Tx } from '@countersign/database';
import { type ApprovalStatus } from '@countersign/domain';

/** The entity's status union is the domain's ApprovalStatus. */
export type ApprovalRecord = ApprovalEntity;
export type NewApproval = Omit<ApprovalRecord, 'id' | 'createdAt' | 'updatedAt' | 'decidedAt'> & { decidedAt: Date | null };

/** The SQL that matters for approvals: idempotent insert, guarded transitions, expiry scans. */
@Injectable()
export class ApprovalRepository {
  constructor(private readonly database: Database) {}

  /**
   * Inserts unless the agent already used the idempotency key; then returns null. Under concurrency the loser's
   * INSERT waits for the winner's transaction and then does nothing, so exactly one approval exists per key.
   */
  async insert(tx: Tx, approval: NewApproval): Promise<ApprovalRecord | null> {
    const result = await this.database
      .manager(tx)
      .createQueryBuilder()
      .insert()
      .into(ApprovalEntity)
      .values(approval as QueryDeepPartialEntity<ApprovalEntity>)
      .orIgnore()
      .returning('id, created_at, updated_at')
      .execute();
    const row = (result.raw as Array<{ id: string; created_at: Date; updated_at: Date }>)[0];
    return row ? { ...approval, id: row.id, createdAt: row.created_at, updatedAt: row.updated_at } : null;
  }

  async findForAgent(id: string, agentId: string): Promise<ApprovalRecord | null> {
    if (!isUuid(id)) return null;
    return this.database.manager().findOneBy(ApprovalEntity, { id, agentId });
  }

  async findById(id: string): Promise<ApprovalRecord | null> {
    if (!isUuid(id)) return null;
    return this.database.manager().findOneBy(ApprovalEntity, { id });
  }

  async findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<ApprovalRecord | null> {
    return this.database.manager().findOneBy(ApprovalEntity, { agentId, idempotencyKey });
  }

  async countPending(agentId: string): Promise<number> {
    const rows: Array<{ count: number }> = await this.database
      .manager()
      .query(`SELECT count(*)::int AS count FROM approvals WHERE agent_id = $1 AND status = 'pending'`, [agentId]);
    return rows[0]?.count ?? 0;
  }

  /**
   * Moves a pending approval to `to` in one guarded UPDATE: of two concurrent transitions only one matches.
   * `onlyIfDue` restricts it to approvals whose expiry has passed (the expiry job and the sweeper).
   */
  async transitionFromPending(tx: Tx, id: string, to: ApprovalStatus, reason: string, onlyIfDue = false): Promise<ApprovalRecord | null> {
    const rows: unknown = await this.database.manager(tx).query(
      `UPDATE approvals SET status = $2, status_reason = $3, decided_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'pending' ${onlyIfDue ? 'AND expires_at <= now()' : ''}
        RETURNING id`,
      [id, to, reason],
    );
    // TypeORM's postgres driver answers UPDATE ... RETURNING with [rows, affectedCount].
    const returned = Array.isArray(rows) && Array.isArray(rows[0]) ? (rows[0] as unknown[]) : (rows as unknown[]);
    if (returned.length === 0) return null;
    return this.database.manager(tx).findOneBy(ApprovalEntity, { id });
  }

  async duePendingIds(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.database
      .manager()
      .query(`SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT $1`, [limit]);
    return rows.map((row) => row.id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
