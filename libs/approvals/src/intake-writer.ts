import { Injectable } from '@nestjs/common';
import { ApprovalRepository, type ApprovalRecord, type IntakeWrite } from './approval.repository';
import { MicroBatch } from '@countersign/database';

/**
 * Group commit for intake: writes arriving together share one statement (and one WAL flush). Intake on these
 * machines is bound by round trips and commits, not by JavaScript; see README, "Performance".
 */
@Injectable()
export class IntakeWriter {
  private readonly batch = new MicroBatch<IntakeWrite, ApprovalRecord | null>(async (items) => {
    const inserted = await this.approvals.insertWithRecords(items);
    return items.map((item) => {
      const stored = inserted.get(item.approval.id);
      return stored ? { ...item.approval, ...stored } : null;
    });
  });

  constructor(private readonly approvals: ApprovalRepository) {}

  /** The stored approval, or null when the agent already used the idempotency key (nothing was written). */
  write(item: IntakeWrite): Promise<ApprovalRecord | null> {
    return this.batch.run(item);
  }
}
