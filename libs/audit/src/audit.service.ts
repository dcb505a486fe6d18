import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { type ChainBreak, chainHash, GENESIS_HASH, verifyChainSegment } from './audit-chain';
import { type Actor, type AuditEntry } from './audit-event-type';
import { type AuditQuery, AuditRepository, type OutboxEvent, type StoredAuditEvent } from './audit.repository';

const VERIFY_PAGE = 1_000;
const CHAIN_BATCH = 1_000;

@Injectable()
export class AuditService {
  constructor(
    private readonly database: Database,
    private readonly repository: AuditRepository,
  ) {}

  /**
   * Records events inside the caller's transaction, so the fact and its audit record commit together. They land
   * in the outbox (no lock: the request path never waits on the chain) and the chainer links them within moments.
   */
  async append(tx: Tx, actor: Actor, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.repository.enqueue(tx, outboxEvents(actor, entries));
  }

  /**
   * Moves one batch from the outbox into the hash chain; returns how many events it chained. `wait: false` gives
   * up at once (null) when another process is chaining: it takes these events too, or the next tick does.
   */
  async chainPending(limit = CHAIN_BATCH, options: { wait?: boolean } = {}): Promise<number | null> {
    return this.database.transaction(async (tx) => {
      if (options.wait === false) {
        if (!(await this.repository.tryLockChain(tx))) return null;
      } else {
        await this.repository.lockChain(tx);
      }
      const pending = await this.repository.takeFromOutbox(tx, limit);
      if (pending.length === 0) return 0;
      let previous = (await this.repository.head(tx)) ?? { seq: 0n, hash: GENESIS_HASH };
      const events: StoredAuditEvent[] = pending.map((event) => {
        const fields = { ...event, seq: (previous.seq + 1n).toString(), prevHash: previous.hash };
        const hash = chainHash(fields);
        previous = { seq: BigInt(fields.seq), hash };
        return { ...fields, hash };
      });
      await this.repository.insert(tx, events);
      return events.length;
    });
  }

  /**
   * The chainer's tick: chains what is pending unless another process is chaining right now. Two processes
   * ticking every 200 ms no longer queue on the lock, each holding a connection and a transaction while it waits.
   */
  async chainIfFree(): Promise<number> {
    let total = 0;
    for (;;) {
      const chained = await this.chainPending(CHAIN_BATCH, { wait: false });
      if (chained === null) return total;
      total += chained;
      if (chained < CHAIN_BATCH) return total;
    }
  }

  /** Chains everything written so far (readers and `verify` call it so they see every committed event). */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const chained = (await this.chainPending()) ?? 0;
      total += chained;
      if (chained < CHAIN_BATCH) return total;
    }
  }

  /** Appends in a transaction of its own, for events that have no other write to go with. */
  async record(actor: Actor, entries: AuditEntry[]): Promise<void> {
    await this.database.transaction((tx) => this.append(tx, actor, entries));
  }

  /** Walks the whole chain from the first event; names the first broken link. */
  async verify(
    onProgress?: (checked: number) => void,
  ): Promise<{ ok: true; checked: number } | { ok: false; checked: number; broken: ChainBreak }> {
    await this.flush();
    let last = { seq: 0n, hash: GENESIS_HASH };
    let checked = 0;
    for (;;) {
      const page = await this.repository.page(last.seq, VERIFY_PAGE);
      if (page.length === 0) return { ok: true, checked };
      const result = verifyChainSegment(page, last);
      if (!result.ok)
        return { ok: false, checked: checked + page.findIndex((event) => event.seq === result.broken.seq), broken: result.broken };
      checked += page.length;
      last = result.last;
      onProgress?.(checked);
    }
  }

  async search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    await this.flush();
    return this.repository.search(query);
  }
}

/**
 * The outbox rows for entries, for a repository that writes them in the same statement as its own rows (the intake
 * path: one round trip for the approval, its audit events and its token). Anything else should call `append`.
 */
export function outboxEvents(actor: Actor, entries: AuditEntry[]): OutboxEvent[] {
  const occurredAt = new Date().toISOString();
  return entries.map((entry) => ({
    occurredAt,
    actorType: actor.type,
    actorId: actorId(actor),
    type: entry.type,
    subjectType: entry.subject?.type ?? null,
    subjectId: entry.subject?.id ?? null,
    data: entry.data ?? {},
  }));
}

function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case 'agent':
      return actor.clientId;
    case 'person':
    case 'resource_server':
    case 'directory':
      return actor.id;
    case 'system':
    case 'admin_token':
    case 'cli':
      return null;
  }
}
