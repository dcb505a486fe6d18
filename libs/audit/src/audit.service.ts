import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { type ChainBreak, chainHash, GENESIS_HASH, verifyChainSegment } from './audit-chain';
import { type Actor, type AuditEntry } from './audit-event-type';
import { type AuditQuery, AuditRepository, type StoredAuditEvent } from './audit.repository';

const VERIFY_PAGE = 1_000;

@Injectable()
export class AuditService {
  constructor(
    private readonly database: Database,
    private readonly repository: AuditRepository,
  ) {}

  /**
   * Appends events inside the caller's transaction, so the fact and its audit record commit together.
   * Call it last in the transaction: the chain lock is held until commit.
   */
  async append(tx: Tx, actor: Actor, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.repository.lockChain(tx);
    const head = (await this.repository.head(tx)) ?? { seq: 0n, hash: GENESIS_HASH };
    const occurredAt = new Date().toISOString();
    let previous = head;
    const events: StoredAuditEvent[] = entries.map((entry) => {
      const fields = {
        seq: (previous.seq + 1n).toString(),
        occurredAt,
        actorType: actor.type,
        actorId: actorId(actor),
        type: entry.type,
        subjectType: entry.subject?.type ?? null,
        subjectId: entry.subject?.id ?? null,
        data: entry.data ?? {},
        prevHash: previous.hash,
      };
      const hash = chainHash(fields);
      previous = { seq: BigInt(fields.seq), hash };
      return { ...fields, hash };
    });
    await this.repository.insert(tx, events);
  }

  /** Appends in a transaction of its own, for events that have no other write to go with. */
  async record(actor: Actor, entries: AuditEntry[]): Promise<void> {
    await this.database.transaction((tx) => this.append(tx, actor, entries));
  }

  /** Walks the whole chain from the first event; names the first broken link. */
  async verify(onProgress?: (checked: number) => void): Promise<{ ok: true; checked: number } | { ok: false; checked: number; broken: ChainBreak }> {
    let last = { seq: 0n, hash: GENESIS_HASH };
    let checked = 0;
    for (;;) {
      const page = await this.repository.page(last.seq, VERIFY_PAGE);
      if (page.length === 0) return { ok: true, checked };
      const result = verifyChainSegment(page, last);
      if (!result.ok) return { ok: false, checked: checked + page.findIndex((event) => event.seq === result.broken.seq), broken: result.broken };
      checked += page.length;
      last = result.last;
      onProgress?.(checked);
    }
  }

  search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    return this.repository.search(query);
  }
}

function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case 'agent':
      return actor.clientId;
    case 'person':
    case 'resource_server':
      return actor.id;
    case 'system':
    case 'cli':
      return null;
  }
}
