import { Body, Controller, Delete, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor } from '@countersign/audit';
import {
  CreateDelegationRequest,
  type Delegation,
  type Delegations,
  type EnrollmentLink,
  type Invitation,
  InvitePersonRequest,
  type People,
  type Person,
  ref,
  UpdatePersonRequest,
} from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { DelegationService, EnrollmentService, PeopleService } from '@countersign/people';
import { parseAdminBody } from '../http/admin-body';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { delegationView, newDelegation } from './delegation-view';
import { personView } from './person-view';

/** People: invite (with a one-time enrollment link), re-issue links, role, permissions, disable. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/people')
@UseGuards(AdminGuard)
export class AdminPeopleController {
  constructor(
    private readonly people: PeopleService,
    private readonly enrollment: EnrollmentService,
    private readonly delegations: DelegationService,
  ) {}

  @Get()
  @ApiOkResponse({ schema: ref('People') })
  async list(): Promise<People> {
    return { people: (await this.people.list()).map(personView) };
  }

  @Post()
  @ApiOperation({ summary: 'Invite a person → the person and their enrollment link' })
  @ApiBody({ schema: ref('InvitePersonRequest') })
  @ApiCreatedResponse({ schema: ref('Invitation') })
  async invite(@CurrentAdmin() actor: Actor, @Body() body: unknown): Promise<Invitation> {
    const input = parseAdminBody(InvitePersonRequest, body);
    const { person, enrollment } = await this.enrollment.invite(actor, {
      email: input.email,
      role: input.role,
      permissions: input.permissions ?? [],
      displayName: input.display_name,
    });
    return { person: personView(person), enrollment };
  }

  @Post(':id/enrollment')
  @ApiOperation({ summary: 'A new one-time enrollment link (earlier ones stop working)' })
  @ApiCreatedResponse({ schema: ref('EnrollmentLink') })
  reissue(@CurrentAdmin() actor: Actor, @Param('id') id: string): Promise<EnrollmentLink> {
    return this.enrollment.issueLink(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change role, permissions or status; disabling ends their sessions' })
  @ApiBody({ schema: ref('UpdatePersonRequest') })
  @ApiOkResponse({ schema: ref('Person') })
  async update(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<Person> {
    const changes = parseAdminBody(UpdatePersonRequest, body);
    if (actor.type === 'person' && actor.id === id && (changes.status === 'disabled' || (changes.role ?? 'admin') !== 'admin')) {
      throw new DomainError('conflict', 'an admin cannot disable or demote themselves; ask another admin');
    }
    return personView(await this.people.update(actor, id, changes));
  }

  @Get(':id/delegations')
  @ApiOperation({ summary: "A person's delegations, given and held, newest first" })
  @ApiOkResponse({ schema: ref('Delegations') })
  async listDelegations(@Param('id') id: string): Promise<Delegations> {
    return { delegations: (await this.delegations.list(id)).map((delegation) => delegationView(delegation)) };
  }

  @Post(':id/delegations')
  @ApiOperation({ summary: "Hand a person's approvals to another enabled person (for their absence; at most 90 days)" })
  @ApiBody({ schema: ref('CreateDelegationRequest') })
  @ApiCreatedResponse({ schema: ref('Delegation') })
  async delegate(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<Delegation> {
    return delegationView(await this.delegations.create(actor, id, newDelegation(parseAdminBody(CreateDelegationRequest, body))));
  }

  @Delete(':id/delegations/:delegationId')
  @ApiOperation({ summary: "End one of the person's delegations now" })
  @ApiOkResponse({ schema: ref('Delegation') })
  async revokeDelegation(
    @CurrentAdmin() actor: Actor,
    @Param('id') id: string,
    @Param('delegationId') delegationId: string,
  ): Promise<Delegation> {
    return delegationView(await this.delegations.revoke(actor, delegationId, id));
  }
}
