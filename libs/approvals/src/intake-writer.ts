import { Injectable } from '@nestjs/common';
import { MicroBatch } from '@countersign/database';
import { groupNames } from '@countersign/domain';
import { GroupsRepository } from '@countersign/people';
import { ApprovalRepository, type ApprovalRecord, type IntakeWrite } from './approval.repository';

/**
 * Group commit for intake: writes arriving together share one statement (and one WAL flush). Intake on these
 * machines is bound by round trips and commits, not by JavaScript; see README, "Performance".
 */
@Injectable()
export class IntakeWriter {
  private readonly batch = new MicroBatch<IntakeWrite, ApprovalRecord | null>(async (items) => {
    const resolved = await this.resolveGroups(items);
    const inserted = await this.approvals.insertWithRecords(resolved);
    return resolved.map((item) => {
      const stored = inserted.get(item.approval.id);
      return stored ? { ...item.approval, ...stored } : null;
    });
  });

  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly groups: GroupsRepository,
  ) {}

  /** The stored approval, or null when the agent already used the idempotency key (nothing was written). */
  write(item: IntakeWrite): Promise<ApprovalRecord | null> {
    return this.batch.run(item);
  }

  /**
   * A pending request's `group:` approvers, resolved to the groups' enabled members now and recorded on the
   * approval (docs/adr/0018-groups-and-delegation.md): one query for the whole batch, and none for a batch in
   * which no requirement names a group. Resolving inside the insert instead cost every request a larger plan.
   */
  private async resolveGroups(items: IntakeWrite[]): Promise<IntakeWrite[]> {
    const namesOf = (item: IntakeWrite) => (item.approval.status === 'pending' ? groupNames(item.approval.requirement.approvers) : []);
    const names = [...new Set(items.flatMap(namesOf))];
    if (names.length === 0) return items;
    const members = await this.groups.enabledMembers(undefined, names);
    return items.map((item) => {
      const own = namesOf(item);
      return own.length === 0
        ? item
        : { ...item, approval: { ...item.approval, groupMembers: Object.fromEntries(own.map((name) => [name, members[name]])) } };
    });
  }
}
