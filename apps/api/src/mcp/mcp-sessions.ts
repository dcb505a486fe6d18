import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { type CallToolResult, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { AgentsService } from '@countersign/agents';
import { DomainError } from '@countersign/domain';
import { type AgentPrincipal } from '@countersign/tokens';
import { ApprovalTools, type ToolSession } from './approval-tools';

/** A session no request has touched for this long is ended (its in-flight waits are left pending, not cancelled). */
export const MCP_SESSION_IDLE_MS = 30 * 60 * 1000;
/** Sessions are memory: an agent holds at most this many at once on one instance. */
export const MCP_SESSIONS_PER_AGENT = 32;

/** What the session's tools see of it: whether the server is closing it, and its calls in flight. */
class SessionState implements ToolSession {
  closing = false;
  private readonly calls = new Set<Promise<CallToolResult>>();

  track(call: Promise<CallToolResult>): Promise<CallToolResult> {
    this.calls.add(call);
    const settled = () => void this.calls.delete(call);
    call.then(settled, settled);
    return call;
  }

  async settled(): Promise<void> {
    await Promise.allSettled(this.calls);
  }
}

interface Session {
  readonly agentId: string;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  readonly state: SessionState;
  /** HTTP requests of this session still open (a tool call's stream, the standalone GET stream). */
  openRequests: number;
  lastSeen: number;
}

/**
 * The MCP endpoint's sessions (stateful Streamable HTTP, docs/adr/0014): each is bound to the agent whose access
 * token opened it; another agent's token cannot use it. The SDK's transport speaks the protocol; this only routes.
 */
@Injectable()
export class McpSessions implements BeforeApplicationShutdown {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper = setInterval(() => void this.closeIdle(), 60_000).unref();

  constructor(
    private readonly agents: AgentsService,
    private readonly tools: ApprovalTools,
  ) {}

  /** Answers one HTTP request of the endpoint; the reply is the transport's from here on. */
  async handle(principal: AgentPrincipal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.assertActive(principal);
    const session = await this.sessionFor(principal, request);
    void reply.hijack();
    session.openRequests++;
    session.lastSeen = Date.now();
    reply.raw.once('close', () => {
      session.openRequests--;
      session.lastSeen = Date.now();
    });
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => this.close(session)));
  }

  /** The access token may outlive a suspension: every request checks the agent is still active. */
  private async assertActive(principal: AgentPrincipal): Promise<void> {
    const agent = await this.agents.findById(principal.agentId);
    if (!agent || agent.status !== 'active') throw new DomainError('unauthenticated', 'the agent is suspended or no longer exists');
  }

  private async sessionFor(principal: AgentPrincipal, request: FastifyRequest): Promise<Session> {
    const id = request.headers['mcp-session-id'];
    if (id === undefined) {
      if (request.method !== 'POST' || !isInitializeRequest(request.body))
        throw new DomainError('invalid_request', 'no Mcp-Session-Id: start a session with an initialize request', {
          field: 'Mcp-Session-Id',
        });
      return this.open(principal);
    }
    const session = typeof id === 'string' ? this.sessions.get(id) : undefined;
    // Another agent's session is as unknown as an ended one (404 tells the client to initialize anew).
    if (!session || session.agentId !== principal.agentId || session.state.closing)
      throw new DomainError('not_found', 'no such MCP session (it ended): initialize a new one');
    return session;
  }

  private async open(principal: AgentPrincipal): Promise<Session> {
    const held = [...this.sessions.values()].filter((session) => session.agentId === principal.agentId).length;
    if (held >= MCP_SESSIONS_PER_AGENT)
      throw new DomainError('rate_limited', `the agent already holds ${MCP_SESSIONS_PER_AGENT} MCP sessions: end one (DELETE)`);
    const state = new SessionState();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void this.sessions.set(id, session),
    });
    const session: Session = {
      agentId: principal.agentId,
      transport,
      server: this.tools.server(principal, state),
      state,
      openRequests: 0,
      lastSeen: Date.now(),
    };
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
    };
    await session.server.connect(transport);
    return session;
  }

  private async closeIdle(): Promise<void> {
    const idleSince = Date.now() - MCP_SESSION_IDLE_MS;
    const idle = [...this.sessions.values()].filter((session) => session.openRequests === 0 && session.lastSeen < idleSince);
    await Promise.all(idle.map((session) => this.close(session)));
  }

  private async close(session: Session): Promise<void> {
    session.state.closing = true;
    // Closing aborts the calls in flight; they end at once (their approvals left pending) and are let finish.
    await session.server.close();
    await session.state.settled();
  }
}
