import { Body, Controller, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor } from '@countersign/audit';
import { DomainError } from '@countersign/domain';
import { type EnrollmentLink, EnrollmentService, PeopleService, type Role } from '@countersign/people';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { RequestBody } from '../http/request-body';
import { personView, type PersonView } from './person-view';

/** People: invite (with a one-time enrollment link), re-issue links, role, permissions, disable. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/people')
@UseGuards(AdminGuard)
export class AdminPeopleController {
  constructor(
    private readonly people: PeopleService,
    private readonly enrollment: EnrollmentService,
  ) {}

  @Get()
  async list(): Promise<{ people: PersonView[] }> {
    return { people: (await this.people.list()).map(personView) };
  }

  @Post()
  @ApiOperation({ summary: 'Invite a person: {email, role, permissions?, display_name?} → the person and their enrollment link' })
  async invite(@CurrentAdmin() actor: Actor, @Body() body: unknown): Promise<{ person: PersonView; enrollment: EnrollmentLink }> {
    const input = RequestBody.of(body, ['email', 'role', 'permissions', 'display_name']);
    const { person, enrollment } = await this.enrollment.invite(actor, {
      email: input.string('email'),
      role: input.string('role') as Role,
      permissions: input.strings('permissions') ?? [],
      displayName: input.string('display_name', true),
    });
    return { person: personView(person), enrollment };
  }

  @Post(':id/enrollment')
  @ApiOperation({ summary: 'A new one-time enrollment link (earlier ones stop working)' })
  reissue(@CurrentAdmin() actor: Actor, @Param('id') id: string): Promise<EnrollmentLink> {
    return this.enrollment.issueLink(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change {role?, permissions?, status?}; disabling ends their sessions' })
  async update(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<PersonView> {
    const input = RequestBody.of(body, ['role', 'permissions', 'status']);
    const status = input.string('status', true);
    if (status !== undefined && status !== 'active' && status !== 'disabled')
      throw new DomainError('invalid_request', 'status must be active or disabled', { field: 'status' });
    if (actor.type === 'person' && actor.id === id && (status === 'disabled' || (input.string('role', true) ?? 'admin') !== 'admin')) {
      throw new DomainError('conflict', 'an admin cannot disable or demote themselves; ask another admin');
    }
    return personView(
      await this.people.update(actor, id, {
        role: input.string('role', true) as Role | undefined,
        permissions: input.strings('permissions'),
        status,
      }),
    );
  }
}
