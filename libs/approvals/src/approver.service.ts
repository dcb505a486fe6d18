import { Injectable } from '@nestjs/common';
import { type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuditEventType, AuditService } from '@countersign/audit';
import {
  APPROVAL_STATUSES,
  type ApprovalStatus,
  approverEntriesFor,
  type DecidingCapacity,
  decidingCapacity,
  DomainError,
  isActiveDelegation,
} from '@countersign/domain';
import { type DelegationInForce, DelegationService, PasskeyService, type PersonRecord } from '@countersign/people';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { isUuid } from './approval.repository';
import {
  type ApprovalSummary,
  type ApproverView,
  approvalSummary,
  approverView,
  groupRosterView,
  type InboxItem,
  inboxItem,
} from './approval-view';
import { type ApprovalActivity, DecisionRepository, type InboxRow } from './decision.repository';

const MAX_PAGE = 100;

/** The approver's reads: the inbox, one approval as a person sees it, and step-up options for it. */
@Injectable()
export class ApproverService {
  constructor(
    private readonly decisions: DecisionRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly passkeys: PasskeyService,
    private readonly delegations: DelegationService,
    private readonly audit: AuditService,
  ) {}

  async inbox(
    person: PersonRecord,
    options: { status?: string; limit?: string; cursor?: string },
  ): Promise<{ approvals: InboxItem[]; next_cursor: string | null }> {
    const status = (options.status ?? 'pending') as ApprovalStatus;
    if (!APPROVAL_STATUSES.includes(status))
      throw new DomainError('invalid_request', `status must be one of ${APPROVAL_STATUSES.join(', ')}`, { field: 'status' });
    const limit = options.limit === undefined ? 25 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new DomainError('invalid_request', `limit must be 1-${MAX_PAGE}`, { field: 'limit' });
    // The delegators whose right this person holds now (enabled, in force): their approvals are in the inbox too.
    const now = new Date();
    const delegators = (await this.delegations.inForceTo(undefined, person.id))
      .filter((delegation) => isActiveDelegation(delegation, now) && delegation.delegator.status !== 'disabled')
      .map((delegation) => delegation.delegator);
    const rows = await this.decisions.inbox({
      personId: person.id,
      entries: approverEntriesFor(person),
      delegators: { ids: delegators.map((delegator) => delegator.id), entries: [...new Set(delegators.flatMap(approverEntriesFor))] },
      status,
      limit,
      after: parseCursor(options.cursor),
    });
    const last = rows[rows.length - 1];
    return {
      approvals: rows.map((row) => inboxItem(row)),
      next_cursor:
        rows.length === limit && last ? Buffer.from(`${last.cursor.createdMicros}.${last.cursor.id}`).toString('base64url') : null,
    };
  }

  /** The full view; anyone who may not decide it gets 404, as if it did not exist (no enumeration). */
  async view(person: PersonRecord, id: string): Promise<ApproverView> {
    let { row, capacity } = await this.eligibleRow(person, id);
    if (row.approval.status === 'pending' && row.approval.expiresAt.getTime() <= Date.now()) {
      await this.lifecycle.expire(row.approval.id);
      ({ row, capacity } = await this.eligibleRow(person, id));
    }
    if (row.approval.status === 'pending' && (await this.decisions.recordOpened(row.approval.id, person.id))) {
      await this.audit.record({ type: 'person', id: person.id }, [
        { type: AuditEventType.ApprovalOpened, subject: { type: 'approval', id: row.approval.id } },
      ]);
    }
    return this.render(
      {
        row,
        decisions: await this.decisions.decisionsOf(undefined, row.approval.id),
        notifications: await this.decisions.notificationsOf(row.approval.id),
      },
      person,
      capacity,
    );
  }

  /**
   * The approval as `person` sees it after they decided (or read it): with each group entry's recorded and present
   * members, and in whose right they decide.
   */
  async render(activity: ApprovalActivity, person: PersonRecord, capacity?: DecidingCapacity | null): Promise<ApproverView> {
    const via = (capacity === undefined ? await this.capacityOf(person, activity.row) : capacity)?.via as
      DelegationInForce | null | undefined;
    const [roster, people] = await Promise.all([
      this.decisions.groupRoster(activity.row.approval.groupMembers),
      this.decisions.peopleNamed([...new Set(activity.notifications.map((notification) => notification.person))]),
    ]);
    return approverView(activity, person, {
      groups: groupRosterView(activity.row.approval.groupMembers, roster),
      people,
      decidingFor: via ? { id: via.delegator.id, email: via.delegator.email, displayName: via.delegatorName } : null,
    });
  }

  /**
   * What a channel renders for the system (no person reading, nothing recorded as opened): the approval as an
   * approver sees it, with the decisions so far. Null when there is no such approval.
   */
  async summary(id: string): Promise<ApprovalSummary | null> {
    const found = isUuid(id) ? await this.decisions.withActivity(id) : null;
    return found ? approvalSummary(found) : null;
  }

  async stepUpOptions(person: PersonRecord, id: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const {
      row: { approval },
    } = await this.eligibleRow(person, id);
    if (approval.status !== 'pending')
      throw new DomainError(approval.status === 'expired' ? 'expired' : 'already_decided', `the approval is ${approval.status}`);
    if (approval.expiresAt.getTime() <= Date.now()) throw new DomainError('expired', 'the approval has expired');
    return this.passkeys.stepUpOptions(person, { id: approval.id, actionDigest: approval.actionDigest });
  }

  private async eligibleRow(person: PersonRecord, id: string): Promise<{ row: InboxRow; capacity: DecidingCapacity }> {
    const row = isUuid(id) ? await this.decisions.withParties(id) : null;
    const capacity = row ? await this.capacityOf(person, row) : null;
    if (!row || !capacity) throw new DomainError('not_found', 'no such approval');
    return { row, capacity };
  }

  /** In whose right the person may decide the approval now (their own, a delegator's), or null. */
  private async capacityOf(person: PersonRecord, row: InboxRow): Promise<DecidingCapacity | null> {
    const now = new Date();
    const own = decidingCapacity(person, row.approval, [], now);
    if (own || row.approval.onBehalfOfId === person.id) return own;
    return decidingCapacity(person, row.approval, await this.delegations.inForceTo(undefined, person.id), now);
  }
}

function parseCursor(cursor: string | undefined): { createdMicros: string; id: string } | null {
  if (cursor === undefined || cursor === '') return null;
  const match = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new DomainError('invalid_request', 'cursor must be the next_cursor of a previous page', { field: 'cursor' });
  return { createdMicros: match[1], id: match[2] };
}
