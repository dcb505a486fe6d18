import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor } from '@countersign/audit';
import { type GroupDetail, type Groups, type GroupSummary, ref, SetGroupPermissionsRequest } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { type GroupRecord, GroupsService, PeopleService } from '@countersign/people';
import { parseAdminBody } from '../http/admin-body';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';

/** The console's most groups on one page: a directory with more is managed from the CLI or SCIM. */
const GROUPS_PAGE = 1_000;

/** The directory's groups and the permissions each gives its members (the directory itself names the members). */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/groups')
@UseGuards(AdminGuard)
export class AdminGroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly people: PeopleService,
  ) {}

  @Get()
  @ApiOkResponse({ schema: ref('Groups') })
  async list(): Promise<Groups> {
    return { groups: (await this.groups.list({ offset: 0, limit: GROUPS_PAGE })).groups.map(groupSummary) };
  }

  @Get(':id')
  @ApiOkResponse({ schema: ref('GroupDetail') })
  async get(@Param('id') id: string): Promise<GroupDetail> {
    const group = await this.groups.find(id);
    if (!group) throw new DomainError('not_found', `no group ${JSON.stringify(id)}`);
    return this.detail(group);
  }

  @Put(':id/permissions')
  @ApiOperation({ summary: "Replace a group's permissions: action patterns every member may authorize, beside their own" })
  @ApiBody({ schema: ref('SetGroupPermissionsRequest') })
  @ApiOkResponse({ schema: ref('GroupDetail') })
  async setPermissions(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<GroupDetail> {
    const { permissions } = parseAdminBody(SetGroupPermissionsRequest, body);
    return this.detail(await this.groups.change(actor, id, { permissions }));
  }

  private async detail(group: GroupRecord): Promise<GroupDetail> {
    const members = new Set(group.memberIds);
    const people = (await this.people.list()).filter((person) => members.has(person.id));
    return {
      ...groupSummary(group),
      members: people.map((person) => ({ id: person.id, email: person.email, display_name: person.displayName, status: person.status })),
    };
  }
}

function groupSummary(group: GroupRecord): GroupSummary {
  return {
    id: group.id,
    name: group.name,
    external_id: group.externalId,
    permissions: group.permissions,
    member_count: group.memberIds.length,
    created_at: group.createdAt.toISOString(),
    updated_at: group.updatedAt.toISOString(),
  };
}
