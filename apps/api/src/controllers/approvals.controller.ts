import { Body, Controller, Get, Headers, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiDefaultResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { ref } from '@countersign/contract';
import { ApprovalsService, type ApprovalView, IntakeService, parseIntake } from '@countersign/approvals';
import { DomainError } from '@countersign/domain';
import { type AgentPrincipal } from '@countersign/tokens';
import { AgentAuthGuard, CurrentAgent } from '../http/auth.guards';

const APPROVAL_REQUEST_SCHEMA = {
  type: 'object',
  required: ['action', 'on_behalf_of'],
  properties: {
    action: {
      type: 'object',
      required: ['type', 'resource', 'args'],
      properties: {
        type: { type: 'string', example: 'payments.transfer' },
        resource: { type: 'string', example: 'acct:ops' },
        args: { type: 'object' },
      },
    },
    on_behalf_of: { type: 'string', description: "the person's email or id" },
    audience: { type: 'string', format: 'uri' },
    reason: { type: 'string', description: "the agent's claim, shown labelled as such" },
    context: { type: 'object', properties: { provenance: { type: 'array', items: { type: 'string' } } } },
    callback_url: { type: 'string', format: 'uri' },
    expires_in: { type: 'integer', minimum: 1 },
  },
};

/** The agent approval API (DESIGN.md). Agents request and read; nothing here can decide. */
@ApiTags('approvals')
@ApiBearerAuth()
@ApiDefaultResponse({ description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } })
@Controller('v1/approvals')
@UseGuards(AgentAuthGuard)
export class ApprovalsController {
  constructor(
    private readonly intake: IntakeService,
    private readonly approvals: ApprovalsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Ask for approval of one action' })
  @ApiBody({ schema: APPROVAL_REQUEST_SCHEMA })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ description: 'Asked', schema: ref('AgentApproval') })
  @ApiOkResponse({ description: 'A replay of the same Idempotency-Key', schema: ref('AgentApproval') })
  async create(
    @CurrentAgent() agent: AgentPrincipal,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApprovalView> {
    let parsed: ReturnType<typeof parseIntake>;
    try {
      parsed = parseIntake(body, idempotencyKey);
    } catch (error) {
      // The audit log says what was refused and why, bad input included.
      if (error instanceof DomainError) await this.intake.refuse(agent, error);
      throw error;
    }
    const result = await this.intake.request(agent, parsed.request, parsed.idempotencyKey);
    void reply.status(result.created ? 201 : 200).header('cache-control', 'no-store');
    return result.approval;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an approval; with wait=N (<= 60) hold the answer until its status changes' })
  @ApiQuery({ name: 'wait', required: false, type: Number })
  @ApiOkResponse({ schema: ref('AgentApproval') })
  async get(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('id') id: string,
    @Query('wait') wait: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApprovalView> {
    const waitSeconds = wait === undefined || wait === '' ? 0 : /^\d{1,3}$/.test(wait) ? Number(wait) : Number.NaN;
    if (Number.isNaN(waitSeconds)) throw new DomainError('invalid_request', 'wait must be an integer number of seconds', { field: 'wait' });
    const disconnected = new AbortController();
    const onClose = () => disconnected.abort();
    request.raw.once('close', onClose);
    try {
      void reply.header('cache-control', 'no-store');
      return await this.approvals.get(agent, id, waitSeconds, disconnected.signal);
    } finally {
      request.raw.off('close', onClose);
    }
  }

  @Post(':id/cancel')
  @ApiOperation({ summary: 'Cancel a pending approval' })
  @ApiOkResponse({ schema: ref('AgentApproval') })
  async cancel(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApprovalView> {
    void reply.status(200).header('cache-control', 'no-store');
    return this.approvals.cancel(agent, id);
  }
}
