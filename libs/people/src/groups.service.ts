import { Injectable } from '@nestjs/common';
import { type Actor, type AuditEntry, AuditEventType, AuditService } from '@countersign/audit';
import { Database, type Tx } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { GroupAdminRepository, type GroupQuery, type GroupRecord } from './group-admin.repository';
import { PeopleRepository } from './people.repository';
import { validatePatterns } from './people.service';

export interface NewGroup {
  name: string;
  externalId?: string | null;
  memberIds?: string[];
  permissions?: string[];
}

/**
 * A change to a group, applied in one transaction with the group's row locked. Membership is a replacement and/or
 * additions and removals (applied after the replacement), so two directories' patches never lose each other's.
 */
export interface GroupChanges {
  name?: string;
  externalId?: string | null;
  permissions?: string[];
  members?: { replace?: string[]; add?: string[]; remove?: string[] };
}

/** The directory's groups: created by SCIM (or the admin API), their members, and the permissions a member gains. */
@Injectable()
export class GroupsService {
  constructor(
    private readonly database: Database,
    private readonly groups: GroupAdminRepository,
    private readonly people: PeopleRepository,
    private readonly audit: AuditService,
  ) {}

  list(query: GroupQuery): Promise<{ total: number; groups: GroupRecord[] }> {
    return this.groups.list(query);
  }

  find(id: string): Promise<GroupRecord | null> {
    return this.groups.find(undefined, id);
  }

  async create(actor: Actor, input: NewGroup): Promise<GroupRecord> {
    const name = groupName(input.name);
    const permissions = input.permissions ?? [];
    validatePatterns(permissions, 'permissions');
    return this.database.transaction(async (tx) => {
      const memberIds = await this.existingPeople(tx, unique(input.memberIds ?? []));
      const id = await this.groups.insert(tx, { name, externalId: input.externalId ?? null, permissions });
      if (!id)
        throw new DomainError('conflict', `a group named ${JSON.stringify(name)} (or with that external id) already exists`, {
          field: 'name',
        });
      await this.groups.addMembers(tx, id, memberIds);
      const entries: AuditEntry[] = [
        {
          type: AuditEventType.GroupCreated,
          subject: { type: 'group', id },
          data: { name, external_id: input.externalId ?? null, permissions },
        },
      ];
      if (memberIds.length > 0) entries.push(membersChanged(id, memberIds, []));
      await this.audit.append(tx, actor, entries);
      return (await this.groups.find(tx, id))!;
    });
  }

  async change(actor: Actor, id: string, changes: GroupChanges): Promise<GroupRecord> {
    if (changes.permissions !== undefined) validatePatterns(changes.permissions, 'permissions');
    const name = changes.name === undefined ? undefined : groupName(changes.name);
    return this.database.transaction(async (tx) => {
      const current = await this.groups.lockForUpdate(tx, id);
      if (!current) throw new DomainError('not_found', `no group ${JSON.stringify(id)}`);
      const next = {
        name: name ?? current.name,
        externalId: changes.externalId === undefined ? current.externalId : changes.externalId,
        permissions: changes.permissions ?? current.permissions,
      };
      const entries: AuditEntry[] = [];
      if (next.name !== current.name || next.externalId !== current.externalId || !sameList(next.permissions, current.permissions)) {
        if (!(await this.groups.update(tx, id, next)))
          throw new DomainError('conflict', `a group named ${JSON.stringify(next.name)} (or with that external id) already exists`, {
            field: 'name',
          });
        if (next.name !== current.name || next.externalId !== current.externalId)
          entries.push({
            type: AuditEventType.GroupUpdated,
            subject: { type: 'group', id },
            data: {
              before: { name: current.name, external_id: current.externalId },
              after: { name: next.name, external_id: next.externalId },
            },
          });
        if (!sameList(next.permissions, current.permissions))
          entries.push({
            type: AuditEventType.GroupPermissionsChanged,
            subject: { type: 'group', id },
            data: { name: next.name, before: current.permissions, after: next.permissions },
          });
      }
      if (changes.members) {
        const members = new Set(current.memberIds);
        const target = new Set(changes.members.replace ?? current.memberIds);
        for (const person of changes.members.add ?? []) target.add(person);
        for (const person of changes.members.remove ?? []) target.delete(person);
        const added = [...target].filter((person) => !members.has(person));
        const removed = [...members].filter((person) => !target.has(person));
        await this.existingPeople(tx, added);
        await this.groups.addMembers(tx, id, added);
        await this.groups.removeMembers(tx, id, removed);
        if (added.length > 0 || removed.length > 0) entries.push(membersChanged(id, added, removed));
      }
      await this.audit.append(tx, actor, entries);
      return (await this.groups.find(tx, id))!;
    });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.database.transaction(async (tx) => {
      const current = await this.groups.lockForUpdate(tx, id);
      if (!current) throw new DomainError('not_found', `no group ${JSON.stringify(id)}`);
      await this.groups.delete(tx, id);
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.GroupDeleted,
          subject: { type: 'group', id },
          data: { name: current.name, external_id: current.externalId, members: current.memberIds, permissions: current.permissions },
        },
      ]);
    });
  }

  /** Every id must name a person (not one the directory deleted); an unknown one refuses the whole change. */
  private async existingPeople(tx: Tx, ids: string[]): Promise<string[]> {
    const existing = await this.people.existingIds(tx, ids);
    const unknown = ids.find((id) => !existing.has(id));
    if (unknown !== undefined)
      throw new DomainError('invalid_request', `no person ${JSON.stringify(unknown)} to be a member`, { field: 'members' });
    return ids;
  }
}

function groupName(input: string): string {
  const name = input.trim();
  if (name.length < 1 || name.length > 200)
    throw new DomainError('invalid_request', 'a group name has 1 to 200 characters', { field: 'name' });
  return name;
}

function membersChanged(id: string, added: string[], removed: string[]): AuditEntry {
  return { type: AuditEventType.GroupMembersChanged, subject: { type: 'group', id }, data: { added, removed } };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
