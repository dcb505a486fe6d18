import { createHash, randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ElicitResultSchema,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { type ApprovalOutcome, type Approval, type CountersignClient, CountersignError } from '@countersign/client';
import type { GatewayConfig } from './gateway-config';
import { RefusedCall, toolAction, type ToolAction } from './tool-action';
import { Upstream, UpstreamUnavailable } from './upstream';

const GATEWAY_INFO = { name: 'countersign-mcp-gateway', version: '0.1.0' };
/** While a person decides, a progress notification this often keeps the client's request timeout from firing. */
export const PROGRESS_INTERVAL_MS = 5_000;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface Route {
  upstream: Upstream;
  /** The tool's name at the upstream (without the gateway's prefix). */
  name: string;
  tool: Tool;
}

export interface GatewayLog {
  warn(message: string): void;
}

function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/** What the model reads when the call did not go through: the decision and the person's own reason. */
export function describeOutcome(outcome: Exclude<ApprovalOutcome, { status: 'approved' }>): string {
  const { approval } = outcome;
  const reasons = approval.decisions.filter((decision) => decision.reason).map((decision) => `"${decision.reason}"`);
  const why =
    reasons.length > 0 ? ` Reason given: ${reasons.join('; ')}.` : approval.status_reason ? ` Reason: ${approval.status_reason}.` : '';
  const verb = { denied: 'denied', expired: 'expired before anyone decided', cancelled: 'was cancelled' }[outcome.status];
  return `Not run: the approval ${approval.id} for ${approval.action.type} on ${approval.action.resource} ${verb}.${why}`;
}

/** Upstream annotations shown to the person as the tool's own claims; Countersign's taxonomy alone classifies. */
function hintsOf(route: Route): string {
  const annotations = route.tool.annotations ?? {};
  const hints = (['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const)
    .filter((hint) => typeof annotations[hint] === 'boolean')
    .map((hint) => `${hint}=${String(annotations[hint])}`);
  return hints.length > 0 ? ` The upstream declares (unverified hints): ${hints.join(', ')}.` : '';
}

/**
 * The gateway's MCP behaviour, the same over Streamable HTTP and stdio: tools/list from the upstreams, and each
 * tools/call asked of Countersign as its own approval before it is forwarded with the token.
 */
export class Gateway {
  private routes = new Map<string, Route>();
  /** Identifies this process's stdio session, which has no session id of its own, in idempotency keys. */
  private readonly instance = randomUUID();

  constructor(
    private readonly config: GatewayConfig,
    private readonly countersign: CountersignClient,
    private readonly upstreams: Upstream[],
    private readonly log: GatewayLog,
  ) {}

  /**
   * One MCP server per client session (the SDK's servers are one connection each). `onCancelled` lets the HTTP
   * listener end the response stream of a call the client cancelled: the SDK sends no response for it, so the
   * stream would otherwise stay open, with its socket, until the session ends.
   */
  createServer(onCancelled?: (requestId: Extra['requestId']) => void): McpServer {
    const server = new McpServer(GATEWAY_INFO, { capabilities: { tools: {} } });
    server.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.listTools() }));
    server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      try {
        return await this.callTool(server, request.params.name, request.params.arguments ?? {}, extra);
      } finally {
        if (extra.signal.aborted) onCancelled?.(extra.requestId);
      }
    });
    return server;
  }

  async close(): Promise<void> {
    await Promise.all(this.upstreams.map((upstream) => upstream.close()));
  }

  async listTools(): Promise<Tool[]> {
    const routes = new Map<string, Route>();
    for (const upstream of this.upstreams) {
      let tools: Tool[];
      try {
        tools = await upstream.listTools();
      } catch (error) {
        this.log.warn(`tools/list: ${(error as Error).message}; its tools are left out`);
        continue;
      }
      for (const tool of tools) {
        const exposed = (upstream.config.prefix ?? '') + tool.name;
        if (routes.has(exposed)) this.log.warn(`tools/list: "${exposed}" is offered by two upstreams; the first is used`);
        else routes.set(exposed, { upstream, name: tool.name, tool: { ...tool, name: exposed } });
      }
    }
    this.routes = routes;
    const visible = [...routes.entries()].filter(
      ([name]) => !this.config.hideUnmapped || this.config.tools.some((rule) => rule.matches(name)),
    );
    return visible.map(([, route]) => route.tool);
  }

  private async route(name: string): Promise<Route | undefined> {
    if (!this.routes.has(name)) await this.listTools();
    return this.routes.get(name);
  }

  private async callTool(server: McpServer, name: string, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
    const route = await this.route(name);
    if (route === undefined) return errorResult(`Not run: no upstream offers a tool named "${name}".`);
    let action: ToolAction;
    try {
      action = toolAction(this.config, route.upstream.config, name, args);
      await route.upstream.ready();
    } catch (error) {
      if (!(error instanceof RefusedCall || error instanceof UpstreamUnavailable)) throw error;
      // Countersign never saw these calls, so its audit log cannot say why they were refused: the gateway's log does.
      this.log.warn(`tools/call ${name} refused before approval: ${error.message}`);
      if (error instanceof RefusedCall) return errorResult(`Refused before anyone was asked: ${error.message}.`);
      return errorResult(`Not run: ${error.message}; nothing was sent for approval.`);
    }
    let outcome: ApprovalOutcome;
    try {
      outcome = await this.approve(server, route, action, extra);
    } catch (error) {
      if (error instanceof RefusedCall) return errorResult(`Refused before anyone was asked: ${error.message}.`);
      if (!(error instanceof CountersignError)) throw error;
      const unavailable = error.status === 0 || error.status >= 500;
      return errorResult(
        `Not run: Countersign ${unavailable ? 'could not be asked' : 'refused the request'} (${error.code}): ${error.detail}`,
      );
    }
    if (outcome.status !== 'approved') return errorResult(describeOutcome(outcome));
    try {
      return await route.upstream.call(route.name, action.args, outcome.approvalToken, extra.signal);
    } catch (error) {
      return errorResult(
        `Approved (${outcome.approval.id}), but the upstream "${route.upstream.name}" failed: ${(error as Error).message}`,
      );
    }
  }

  /** Asks Countersign; a retried JSON-RPC request (same session, same id) finds the same approval. */
  private async approve(server: McpServer, route: Route, action: ToolAction, extra: Extra): Promise<ApprovalOutcome> {
    // The bearer token's person (checked by the HTTP listener), or the one the mapping file names.
    const person = typeof extra.authInfo?.extra?.person === 'string' ? extra.authInfo.extra.person : this.config.onBehalfOf;
    if (person === undefined) throw new RefusedCall('the call carries no authorization naming the person it is for');
    const idempotencyKey = createHash('sha256')
      .update(`${extra.sessionId ?? this.instance}\n${String(extra.requestId)}`)
      .digest('base64url');
    const approval = await this.countersign.createApproval(
      {
        action: { type: action.type, resource: action.resource, args: action.args },
        on_behalf_of: person,
        audience: action.audience,
        reason: `MCP tool "${route.tool.name}" on the upstream "${route.upstream.name}".${action.mapped ? '' : ' No mapping rule covers this tool.'}${hintsOf(route)}`,
        expires_in: action.expiresIn,
      },
      // Not aborted mid-flight: a request the client cancels while it is on its way may still have been created,
      // and only its id lets the gateway withdraw it (waitForPerson does, on the signal).
      { idempotencyKey },
    );
    return this.countersign.outcomeOf(approval) ?? this.waitForPerson(server, approval, extra);
  }

  private async waitForPerson(server: McpServer, approval: Approval, extra: Extra): Promise<ApprovalOutcome> {
    const url = `${this.config.countersign.approvalPageUrl}/approvals/${encodeURIComponent(approval.id)}`;
    const message = `Waiting for a person to approve ${approval.action.type} on ${approval.action.resource}: ${url}`;
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    const report = (): void => {
      if (progressToken === undefined) return;
      progress += 1;
      extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => undefined);
    };
    report();
    const timer = setInterval(report, PROGRESS_INTERVAL_MS);
    // URL-mode elicitation only to a client that declared it; its answer changes nothing (the person decides in Countersign).
    if (server.server.getClientCapabilities()?.elicitation?.url !== undefined) {
      extra
        .sendRequest(
          { method: 'elicitation/create', params: { mode: 'url', message, url, elicitationId: approval.id } },
          ElicitResultSchema,
        )
        .catch(() => undefined);
    }
    try {
      return await this.countersign.waitForOutcome(approval.id, { signal: extra.signal });
    } catch (error) {
      // notifications/cancelled from the client: the approval is withdrawn, so no person decides a call nobody awaits.
      if (extra.signal.aborted)
        await this.countersign.cancel(approval.id).catch((cause: Error) => this.log.warn(`cancel ${approval.id}: ${cause.message}`));
      throw error;
    } finally {
      clearInterval(timer);
    }
  }
}
