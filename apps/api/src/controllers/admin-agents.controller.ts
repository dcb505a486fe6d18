import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AgentsService } from '@countersign/agents';
import { AgentControlService, ApprovalReportsService } from '@countersign/approvals';
import { type Actor } from '@countersign/audit';
import {
  type Agent,
  type AgentApprovals,
  type Agents,
  CreateAgentRequest,
  type CreatedAgent,
  ref,
  SuspendAgentRequest,
  type SuspendedAgent,
  UpdateAgentRequest,
} from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { parseAdminBody } from '../http/admin-body';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { agentView, cibaRegistration } from './admin-views';

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
  @ApiOkResponse({ schema: ref('Agents') })
  async list(): Promise<Agents> {
    return { agents: (await this.agents.list()).map(agentView) };
  }

  @Get(':id')
  @ApiOkResponse({ schema: ref('Agent') })
  async get(@Param('id') id: string): Promise<Agent> {
    const agent = await this.agents.find(id);
    if (!agent) throw new DomainError('not_found', 'no such agent');
    return agentView(agent);
  }

  @Get(':id/approvals')
  @ApiOperation({ summary: "The agent's newest approvals (all statuses)" })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1-100, default 20' })
  @ApiOkResponse({ schema: ref('AgentApprovals') })
  async approvals(@Param('id') id: string, @Query('limit') limit?: string): Promise<AgentApprovals> {
    const size = limit === undefined ? 20 : /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
    return { approvals: await this.reports.forAgent(id, size) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an agent → its client secret (and callback secret), shown once' })
  @ApiBody({ schema: ref('CreateAgentRequest') })
  @ApiCreatedResponse({ schema: ref('CreatedAgent') })
  async create(@CurrentAdmin() actor: Actor, @Body() body: unknown): Promise<CreatedAgent> {
    const input = parseAdminBody(CreateAgentRequest, body);
    const created = await this.agents.create(actor, {
      name: input.name,
      capabilities: input.capabilities ?? [],
      requestsPerMinute: input.requests_per_minute ?? undefined,
      maxPending: input.max_pending ?? undefined,
      withCallbackSecret: input.callback_secret,
      ciba: input.ciba && cibaRegistration(input.ciba),
    });
    return { ...agentView(created.agent), client_secret: created.clientSecret, callback_secret: created.callbackSecret };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change capabilities, quotas (null = the default quota) and CIBA settings (null = none)' })
  @ApiBody({ schema: ref('UpdateAgentRequest') })
  @ApiOkResponse({ schema: ref('Agent') })
  async update(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<Agent> {
    const input = parseAdminBody(UpdateAgentRequest, body);
    return agentView(
      await this.agents.update(actor, id, {
        capabilities: input.capabilities,
        requestsPerMinute: input.requests_per_minute,
        maxPending: input.max_pending,
        ciba: input.ciba === undefined ? undefined : cibaRegistration(input.ciba),
      }),
    );
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'The kill switch: suspend, cancel its pending approvals, revoke its unconsumed tokens' })
  @ApiBody({ schema: ref('SuspendAgentRequest'), required: false })
  @ApiOkResponse({ schema: ref('SuspendedAgent') })
  async suspend(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<SuspendedAgent> {
    const { reason } = parseAdminBody(SuspendAgentRequest, body ?? {});
    const { agent, cancelledApprovals } = await this.control.suspend(actor, id, reason);
    return { ...agentView(agent), cancelled_approvals: cancelledApprovals };
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOkResponse({ schema: ref('Agent') })
  async resume(@CurrentAdmin() actor: Actor, @Param('id') id: string): Promise<Agent> {
    return agentView(await this.agents.resume(actor, id));
  }
}
