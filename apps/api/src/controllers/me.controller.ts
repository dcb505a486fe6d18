import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiDefaultResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import {
  CreateDelegationRequest,
  type Delegation,
  type Delegations,
  type Inbox,
  type Me,
  type Passkeys,
  ref,
  type Sessions,
} from '@countersign/contract';
import { type ApproverView, ApproverService, DecisionService, parseDecisionInput } from '@countersign/approvals';
import {
  DelegationService,
  EnrollmentService,
  PasskeyService,
  type PasskeyView,
  type PersonSession,
  SessionService,
} from '@countersign/people';
import { parseAdminBody } from '../http/admin-body';
import { CurrentSession, SessionGuard } from '../http/auth.guards';
import { delegationView, newDelegation } from './delegation-view';
import { personView } from './person-view';

type Body = Record<string, unknown> | undefined;

/** The signed-in person: who I am, my passkeys and sessions, the approvals I may decide, and deciding them. */
@ApiTags('people')
@ApiDefaultResponse({ description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } })
@Controller('v1/me')
@UseGuards(SessionGuard)
export class MeController {
  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly passkeys: PasskeyService,
    private readonly sessions: SessionService,
    private readonly approver: ApproverService,
    private readonly decisions: DecisionService,
    private readonly delegations: DelegationService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Who I am, and the CSRF token for this session' })
  @ApiOkResponse({ schema: ref('Me') })
  me(@CurrentSession() session: PersonSession, @Res({ passthrough: true }) reply: FastifyReply): Me {
    void reply.header('cache-control', 'no-store');
    return { person: personView(session.person), csrf_token: session.csrfToken, session_expires_at: session.expiresAt.toISOString() };
  }

  @Get('passkeys')
  @ApiOkResponse({ schema: ref('Passkeys') })
  async listPasskeys(@CurrentSession() session: PersonSession): Promise<Passkeys> {
    return { passkeys: await this.passkeys.list(session.person) };
  }

  @Post('passkeys/options')
  @HttpCode(200)
  @ApiOperation({ summary: 'Creation options for another passkey' })
  addPasskeyOptions(@CurrentSession() session: PersonSession) {
    return this.enrollment.addPasskeyOptions(session.person);
  }

  @Post('passkeys')
  @ApiOperation({ summary: 'Register another passkey: {response, name?}' })
  @ApiCreatedResponse({ schema: ref('Passkey') })
  addPasskey(@CurrentSession() session: PersonSession, @Body() body: Body): Promise<PasskeyView> {
    return this.enrollment.addPasskey(session.person, body?.response, body?.name);
  }

  @Delete('passkeys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove one of my passkeys (never the last one)' })
  async removePasskey(@CurrentSession() session: PersonSession, @Param('id') id: string): Promise<void> {
    await this.enrollment.removePasskey(session.person, id);
  }

  @Get('sessions')
  @ApiOkResponse({ schema: ref('Sessions') })
  async listSessions(@CurrentSession() session: PersonSession): Promise<Sessions> {
    return { sessions: await this.sessions.listOpen(session.person, session) };
  }

  @Get('delegations')
  @ApiOperation({ summary: 'The delegations I gave and hold, newest first' })
  @ApiOkResponse({ schema: ref('Delegations') })
  async listDelegations(@CurrentSession() session: PersonSession): Promise<Delegations> {
    return { delegations: (await this.delegations.list(session.person.id)).map((delegation) => delegationView(delegation)) };
  }

  @Post('delegations')
  @ApiOperation({ summary: 'Hand my approvals to another enabled person until ends_at (at most 90 days)' })
  @ApiBody({ schema: ref('CreateDelegationRequest') })
  @ApiCreatedResponse({ schema: ref('Delegation') })
  async delegate(@CurrentSession() session: PersonSession, @Body() body: unknown): Promise<Delegation> {
    const request = newDelegation(parseAdminBody(CreateDelegationRequest, body));
    const actor = { type: 'person' as const, id: session.person.id };
    return delegationView(await this.delegations.create(actor, session.person.id, request));
  }

  @Delete('delegations/:id')
  @ApiOperation({ summary: 'End a delegation I gave or hold, now' })
  @ApiOkResponse({ schema: ref('Delegation') })
  async revokeDelegation(@CurrentSession() session: PersonSession, @Param('id') id: string): Promise<Delegation> {
    return delegationView(await this.delegations.revoke({ type: 'person', id: session.person.id }, id, session.person.id));
  }

  @Get('approvals')
  @ApiOperation({ summary: 'Approvals I may decide, newest first (status=pending by default; cursor = next_cursor)' })
  @ApiOkResponse({ schema: ref('Inbox') })
  inbox(
    @CurrentSession() session: PersonSession,
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<Inbox> {
    return this.approver.inbox(session.person, { status, limit, cursor });
  }

  @Get('approvals/:id')
  @ApiOperation({ summary: 'One approval as Countersign renders it for a person who may decide it (404 otherwise)' })
  @ApiOkResponse({ schema: ref('ApproverView') })
  view(
    @CurrentSession() session: PersonSession,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApproverView> {
    void reply.header('cache-control', 'no-store');
    return this.approver.view(session.person, id);
  }

  @Post('approvals/:id/step-up')
  @HttpCode(200)
  @ApiOperation({ summary: 'Passkey request options bound to this approval (single use, 5 minutes)' })
  stepUp(@CurrentSession() session: PersonSession, @Param('id') id: string) {
    return this.approver.stepUpOptions(session.person, id);
  }

  @Post('approvals/:id/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decide: {verdict: "approve"|"deny", reason?, step_up?}' })
  @ApiBody({ schema: ref('DecisionRequest') })
  @ApiOkResponse({ schema: ref('ApproverView') })
  async decide(@CurrentSession() session: PersonSession, @Param('id') id: string, @Body() body: unknown): Promise<ApproverView> {
    const settled = await this.decisions.decide(session.person, id, parseDecisionInput(body), 'web');
    return this.approver.render(settled, session.person);
  }
}
