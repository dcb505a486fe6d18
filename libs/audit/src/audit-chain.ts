import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  type: string;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
}

/** SHA-256 over the RFC 8785 form of every field but the hash itself, so any edit breaks the link. */
export function chainHash(fields: ChainedFields): string {
  const canonical = canonicalize({
    seq: fields.seq,
    occurred_at: fields.occurredAt,
    actor_type: fields.actorType,
    actor_id: fields.actorId,
    type: fields.type,
    subject_type: fields.subjectType,
    subject_id: fields.subjectId,
    data: fields.data,
    prev_hash: fields.prevHash,
  });
  if (canonical === undefined) throw new Error('audit event is not serializable');
  return createHash('sha256').update(canonical).digest('hex');
}

export type ChainBreak = { seq: string; problem: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' };

/** Checks one page of events given the hash and seq of the event before it. */
export function verifyChainSegment(
  events: Array<ChainedFields & { hash: string }>,
  previous: { seq: bigint; hash: string },
): { ok: true; last: { seq: bigint; hash: string } } | { ok: false; broken: ChainBreak } {
  let last = previous;
  for (const event of events) {
    const seq = BigInt(event.seq);
    if (seq !== last.seq + 1n) return { ok: false, broken: { seq: event.seq, problem: 'sequence_gap' } };
    if (event.prevHash !== last.hash) return { ok: false, broken: { seq: event.seq, problem: 'prev_hash_mismatch' } };
    if (chainHash(event) !== event.hash) return { ok: false, broken: { seq: event.seq, problem: 'hash_mismatch' } };
    last = { seq, hash: event.hash };
  }
  return { ok: true, last };
}
