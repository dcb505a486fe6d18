import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm';
import { AuditEventEntity, Database, type Tx } from '@countersign/database';
import { type ChainedFields } from './audit-chain';

export interface StoredAuditEvent extends ChainedFields {
  hash: string;
}

export interface AuditQuery {
  type?: string;
  subjectId?: string;
  actorId?: string;
  beforeSeq?: string;
  limit: number;
}

// An arbitrary constant naming the audit chain's lock.
const AUDIT_CHAIN_LOCK = 7_214_002;

@Injectable()
export class AuditRepository {
  constructor(private readonly database: Database) {}

  /** Serializes appends for the rest of the transaction; the chain has one writer at a time. */
  async lockChain(tx: Tx): Promise<void> {
    await this.database.manager(tx).query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  }

  async head(tx: Tx): Promise<{ seq: bigint; hash: string } | null> {
    const rows: Array<{ seq: string; hash: string }> = await this.database
      .manager(tx)
      .query('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    return rows[0] ? { seq: BigInt(rows[0].seq), hash: rows[0].hash } : null;
  }

  async insert(tx: Tx, events: StoredAuditEvent[]): Promise<void> {
    await this.database.manager(tx).insert(AuditEventEntity, events.map(toEntity) as QueryDeepPartialEntity<AuditEventEntity>[]);
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

function toEntity(event: StoredAuditEvent): Partial<AuditEventEntity> {
  return {
    seq: event.seq,
    occurredAt: new Date(event.occurredAt),
    actorType: event.actorType,
    actorId: event.actorId,
    type: event.type,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    data: event.data,
    prevHash: event.prevHash,
    hash: event.hash,
  };
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
