import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type AgentView, AgentsService } from '@countersign/agents';
import { AgentControlService, type AgentApprovalView, ApprovalReportsService } from '@countersign/approvals';
import { type Actor } from '@countersign/audit';
import { DomainError } from '@countersign/domain';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { RequestBody } from '../http/request-body';

/** Agents: create (the secret is shown once), capabilities and quotas, and the kill switch. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/agents')
@UseGuards(AdminGuard)
export class AdminAgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly control: AgentControlService,
    private readonly reports: ApprovalReportsService,
  ) {}

  @Get()
  async list(): Promise<{ agents: AgentView[] }> {
    return { agents: await this.agents.list() };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<AgentView> {
    const agent = await this.agents.find(id);
    if (!agent) throw new DomainError('not_found', 'no such agent');
    return agent;
  }

  @Get(':id/approvals')
  @ApiOperation({ summary: "The agent's newest approvals (all statuses)" })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1-100, default 20' })
  async approvals(@Param('id') id: string, @Query('limit') limit?: string): Promise<{ approvals: AgentApprovalView[] }> {
    const size = limit === undefined ? 20 : /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
    return { approvals: await this.reports.forAgent(id, size) };
  }

  @Post()
  @ApiOperation({
    summary: 'Create: {name, capabilities, requests_per_minute?, max_pending?, callback_secret?} → client secret, shown once',
  })
  async create(
    @CurrentAdmin() actor: Actor,
    @Body() body: unknown,
  ): Promise<AgentView & { client_secret: string; callback_secret: string | null }> {
    const input = RequestBody.of(body, ['name', 'capabilities', 'requests_per_minute', 'max_pending', 'callback_secret']);
    const created = await this.agents.create(actor, {
      name: input.string('name'),
      capabilities: input.strings('capabilities') ?? [],
      requestsPerMinute: input.positiveIntegerOrNull('requests_per_minute') ?? undefined,
      maxPending: input.positiveIntegerOrNull('max_pending') ?? undefined,
      withCallbackSecret: input.boolean('callback_secret'),
    });
    return { ...created.agent, client_secret: created.clientSecret, callback_secret: created.callbackSecret };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change {capabilities?, requests_per_minute?, max_pending?} (null = the default quota)' })
  update(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<AgentView> {
    const input = RequestBody.of(body, ['capabilities', 'requests_per_minute', 'max_pending']);
    return this.agents.update(actor, id, {
      capabilities: input.strings('capabilities'),
      requestsPerMinute: input.positiveIntegerOrNull('requests_per_minute'),
      maxPending: input.positiveIntegerOrNull('max_pending'),
    });
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'The kill switch: suspend, cancel its pending approvals, revoke its unconsumed tokens ({reason?})' })
  async suspend(
    @CurrentAdmin() actor: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<AgentView & { cancelled_approvals: string[] }> {
    const reason = body === undefined ? undefined : RequestBody.of(body, ['reason']).string('reason', true);
    const { agent, cancelledApprovals } = await this.control.suspend(actor, id, reason);
    return { ...agent, cancelled_approvals: cancelledApprovals };
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@CurrentAdmin() actor: Actor, @Param('id') id: string): Promise<AgentView> {
    return this.agents.resume(actor, id);
  }
}
