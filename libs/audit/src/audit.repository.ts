import { Injectable } from '@nestjs/common';
import { AuditEventEntity, Database, type Tx } from '@countersign/database';
import { type ChainedFields } from './audit-chain';

export interface StoredAuditEvent extends ChainedFields {
  hash: string;
}

/** An event written but not yet chained. */
export type OutboxEvent = Omit<ChainedFields, 'seq' | 'prevHash'>;

export interface AuditQuery {
  type?: string;
  subjectId?: string;
  actorId?: string;
  beforeSeq?: string;
  limit: number;
}

// An arbitrary constant naming the audit chain's lock.
/** The advisory lock that serialises chainers (exported for tests that hold it). */
export const AUDIT_CHAIN_LOCK = 7_214_002;

@Injectable()
export class AuditRepository {
  constructor(private readonly database: Database) {}

  /** Serializes appends for the rest of the transaction; the chain has one writer at a time. */
  async lockChain(tx: Tx): Promise<void> {
    await this.database.manager(tx).query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  }

  /** The chain lock if it is free; false at once when another chainer holds it. */
  async tryLockChain(tx: Tx): Promise<boolean> {
    const rows: Array<{ locked: boolean }> = await this.database
      .manager(tx)
      .query('SELECT pg_try_advisory_xact_lock($1) AS locked', [AUDIT_CHAIN_LOCK]);
    return rows[0]?.locked === true;
  }

  async head(tx: Tx): Promise<{ seq: bigint; hash: string } | null> {
    const rows: Array<{ seq: string; hash: string }> = await this.database
      .manager(tx)
      .query('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    return rows[0] ? { seq: BigInt(rows[0].seq), hash: rows[0].hash } : null;
  }

  /**
   * One INSERT into the outbox, inside the caller's transaction; no lock. Fixed text whatever the number of events,
   * so it is prepared once per connection (`Database.rows`); ids follow the events' order, which the chainer keeps.
   */
  async enqueue(tx: Tx, events: OutboxEvent[]): Promise<void> {
    await this.database.rows(
      tx,
      `INSERT INTO audit_outbox (occurred_at, actor_type, actor_id, type, subject_type, subject_id, data)
       SELECT v."occurredAt"::timestamptz, v."actorType", v."actorId", v.type, v."subjectType", v."subjectId", v.data
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
           AS ("occurredAt" text, "actorType" text, "actorId" text, type text, "subjectType" text, "subjectId" text, data jsonb))
           WITH ORDINALITY AS v("occurredAt", "actorType", "actorId", type, "subjectType", "subjectId", data, ordinality)
        ORDER BY v.ordinality`,
      [JSON.stringify(events)],
    );
  }

  /** Takes up to `limit` outbox events, oldest first, removing them; the caller chains them in the same transaction. */
  async takeFromOutbox(tx: Tx, limit: number): Promise<OutboxEvent[]> {
    const result: unknown = await this.database.manager(tx).query(
      `DELETE FROM audit_outbox WHERE id IN (SELECT id FROM audit_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, occurred_at, actor_type, actor_id, type, subject_type, subject_id, data`,
      [limit],
    );
    // TypeORM's postgres driver answers DELETE ... RETURNING with [rows, affectedCount].
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Array<Record<string, unknown>>;
    return rows
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((row) => ({
        occurredAt: (row.occurred_at as Date).toISOString(),
        actorType: row.actor_type as string,
        actorId: row.actor_id as string | null,
        type: row.type as string,
        subjectType: row.subject_type as string | null,
        subjectId: row.subject_id as string | null,
        data: row.data as Record<string, unknown>,
      }));
  }

  /** One statement for the whole batch (TypeORM's insert builder costs more than the chaining itself). */
  async insert(tx: Tx, events: StoredAuditEvent[]): Promise<void> {
    await this.database.manager(tx).query(
      `INSERT INTO audit_events (seq, occurred_at, actor_type, actor_id, type, subject_type, subject_id, data, prev_hash, hash)
       SELECT seq, "occurredAt", "actorType", "actorId", type, "subjectType", "subjectId", data, "prevHash", hash
         FROM jsonb_to_recordset($1::jsonb) AS e(seq bigint, "occurredAt" timestamptz, "actorType" text, "actorId" text, type text,
              "subjectType" text, "subjectId" text, data jsonb, "prevHash" text, hash text)`,
      [JSON.stringify(events)],
    );
  }

  async page(afterSeq: bigint, limit: number): Promise<StoredAuditEvent[]> {
    const rows = await this.database
      .manager()
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.seq > :after', { after: afterSeq.toString() })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map(fromEntity);
  }

  async search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    const builder = this.database.manager().createQueryBuilder(AuditEventEntity, 'e').orderBy('e.seq', 'DESC').limit(query.limit);
    if (query.type) builder.andWhere('e.type = :type', { type: query.type });
    if (query.subjectId) builder.andWhere('e.subject_id = :subjectId', { subjectId: query.subjectId });
    if (query.actorId) builder.andWhere('e.actor_id = :actorId', { actorId: query.actorId });
    if (query.beforeSeq) builder.andWhere('e.seq < :before', { before: query.beforeSeq });
    return (await builder.getMany()).map(fromEntity);
  }
}

function fromEntity(row: AuditEventEntity): StoredAuditEvent {
  return {
    seq: String(row.seq),
    occurredAt: row.occurredAt.toISOString(),
    actorType: row.actorType,
    actorId: row.actorId,
    type: row.type,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    data: row.data,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
