import { Inject, Injectable } from '@nestjs/common';
import { type Actor } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { type GroupRecord, GroupsService } from '@countersign/people';
import { isUuid, NO_ID } from './ids';
import { parseFilter } from './scim-filter';
import { type ScimGroupBody, type ScimListQuery, type ScimPatchBody } from './scim-input';
import { checkSchemas, groupPatch } from './scim-patch';
import { listResponse, page, SCIM } from './scim-schemas';

const GROUP_SCHEMAS = [SCIM.group, SCIM.entraGroup];

/**
 * SCIM Groups (RFC 7643 §4.2) over the people library's groups. The directory names a group and its members; the
 * permissions a member gains are Countersign's own (the admin console and API), never set over SCIM.
 */
@Injectable()
export class ScimGroupsService {
  private readonly base: string;

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly groups: GroupsService,
  ) {
    this.base = `${config.publicUrl}/scim/v2`;
  }

  async list(query: ScimListQuery) {
    const filter = query.filter === undefined ? null : parseFilter(query.filter, ['displayName', 'externalId', 'id']);
    const { startIndex, offset, limit } = page(query);
    const { total, groups } = await this.groups.list({
      name: filter?.attribute === 'displayName' ? filter.value : undefined,
      externalId: filter?.attribute === 'externalId' ? filter.value : undefined,
      id: filter?.attribute === 'id' ? (isUuid(filter.value) ? filter.value : NO_ID) : undefined,
      offset,
      limit,
    });
    const withMembers = !excludes(query, 'members');
    return listResponse(
      groups.map((group) => this.resource(group, withMembers)),
      total,
      startIndex,
    );
  }

  async get(id: string, query: ScimListQuery) {
    return this.resource(await this.existing(id), !excludes(query, 'members'));
  }

  async create(actor: Actor, body: ScimGroupBody) {
    checkSchemas(body.schemas, SCIM.group, GROUP_SCHEMAS);
    const group = await this.groups.create(actor, {
      name: body.displayName,
      externalId: body.externalId ?? null,
      memberIds: (body.members ?? []).map((member) => member.value),
    });
    return this.resource(group, true);
  }

  async replace(actor: Actor, id: string, body: ScimGroupBody) {
    checkSchemas(body.schemas, SCIM.group, GROUP_SCHEMAS);
    await this.existing(id);
    const group = await this.groups.change(actor, id, {
      name: body.displayName,
      externalId: body.externalId ?? null,
      members: { replace: (body.members ?? []).map((member) => member.value) },
    });
    return this.resource(group, true);
  }

  /** Applies a PatchOp; the transport answers 204, as Okta documents it and Entra accepts (RFC 7644 §3.5.2). */
  async patch(actor: Actor, id: string, body: ScimPatchBody): Promise<void> {
    checkSchemas(body.schemas, SCIM.patchOp, [SCIM.patchOp]);
    const patch = groupPatch(body.Operations);
    await this.existing(id);
    await this.groups.change(actor, id, { name: patch.displayName, externalId: patch.externalId, members: patch.members });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.existing(id);
    await this.groups.remove(actor, id);
  }

  private async existing(id: string): Promise<GroupRecord> {
    const group = isUuid(id) ? await this.groups.find(id) : null;
    if (!group) throw new DomainError('not_found', `no Group ${JSON.stringify(id)}`);
    return group;
  }

  private resource(group: GroupRecord, withMembers: boolean) {
    return {
      schemas: [SCIM.group],
      id: group.id,
      ...(group.externalId === null ? {} : { externalId: group.externalId }),
      displayName: group.name,
      ...(withMembers ? { members: group.memberIds.map((value) => ({ value, $ref: `${this.base}/Users/${value}` })) } : {}),
      meta: {
        resourceType: 'Group',
        created: group.createdAt.toISOString(),
        lastModified: group.updatedAt.toISOString(),
        location: `${this.base}/Groups/${group.id}`,
      },
    };
  }
}

function excludes(query: ScimListQuery, attribute: string): boolean {
  return (query.excludedAttributes ?? '').split(',').some((name) => name.trim().toLowerCase() === attribute);
}
