import { Injectable } from '@nestjs/common';
import { ApprovalRepository, type ApprovalRecord, type IntakeWrite } from './approval.repository';

/** Requests written in one statement at most; beyond that the statement's size stops paying for itself. */
const MAX_BATCH = 64;

interface Pending {
  item: IntakeWrite;
  resolve(record: ApprovalRecord | null): void;
  reject(error: unknown): void;
}

/**
 * Group commit for intake: writes that arrive in the same turn of the event loop share one statement (and one
 * WAL flush). Intake on these machines is bound by round trips and commits, not by JavaScript, so under load this
 * turns N statements into one without delaying a lone request (it waits for nothing but `setImmediate`).
 */
@Injectable()
export class IntakeWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly approvals: ApprovalRepository) {}

  /** The stored approval, or null when the agent already used the idempotency key (nothing was written). */
  write(item: IntakeWrite): Promise<ApprovalRecord | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queue.splice(0, MAX_BATCH);
      this.schedule();
      void this.flush(batch);
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      this.settle(batch, await this.approvals.insertWithRecords(batch.map((pending) => pending.item)));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      // One bad request must not fail its neighbours: write each alone, so only its own caller sees the error.
      await Promise.all(
        batch.map(async (pending) => {
          try {
            this.settle([pending], await this.approvals.insertWithRecords([pending.item]));
          } catch (single) {
            pending.reject(single);
          }
        }),
      );
    }
  }

  private settle(batch: Pending[], inserted: Map<string, { createdAt: Date; updatedAt: Date }>): void {
    for (const pending of batch) {
      const stored = inserted.get(pending.item.approval.id);
      pending.resolve(stored ? { ...pending.item.approval, ...stored } : null);
    }
  }
}
