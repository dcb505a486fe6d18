import { All, Controller, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type AgentPrincipal } from '@countersign/tokens';
import { AgentAuthGuard, CurrentAgent } from '../http/auth.guards';
import { McpSessions } from './mcp-sessions';

/**
 * The MCP endpoint for agents (Streamable HTTP; docs/adr/0014): the approval API as tools, for agent frameworks
 * that speak MCP. The bearer is the agent's access token, as for /v1/approvals. Not part of the OpenAPI document:
 * the protocol is MCP's, described by the tools it lists.
 */
@ApiExcludeController()
@Controller('mcp')
@UseGuards(AgentAuthGuard)
export class McpController {
  constructor(private readonly sessions: McpSessions) {}

  /** POST (messages), GET (the session's stream), DELETE (end the session); the transport answers the rest with 405. */
  @All()
  async handle(@CurrentAgent() agent: AgentPrincipal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.handle(agent, request, reply);
  }
}
