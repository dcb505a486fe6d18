import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  ApprovalsService,
  type ApprovalView,
  approvalRequestJsonSchema,
  IntakeService,
  parseApprovalRequest,
} from '@countersign/approvals';
import { AgentApproval } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { type AgentPrincipal } from '@countersign/tokens';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** How long one wait round lasts: a client that asked for progress hears from us at least this often. */
export const PROGRESS_INTERVAL_SECONDS = 10;

/**
 * The contract's AgentApproval, as the tools' output schema: a copy without its OpenAPI id, which would make the
 * generated JSON Schema a reference where MCP wants an object at the root.
 */
const APPROVAL_OUTPUT = z.object(AgentApproval.shape).describe('An approval as the agent that asked sees it');

/** What a tool needs to know of its MCP session. */
export interface ToolSession {
  /** True while the server itself ends the session (idle, shutdown): an aborted wait is then not the agent's cancel. */
  readonly closing: boolean;
  /** Counts a tool call in flight until it settles, so that closing the session can wait for it. */
  track(call: Promise<CallToolResult>): Promise<CallToolResult>;
}

/**
 * The approval API as MCP tools (docs/adr/0014): `request_approval` asks, as `POST /v1/approvals` does, and waits
 * for the outcome; `get_approval` reads one. Each tool call makes the same service calls as the agent API.
 */
@Injectable()
export class ApprovalTools {
  private readonly logger = new Logger(ApprovalTools.name);

  constructor(
    private readonly intake: IntakeService,
    private readonly approvals: ApprovalsService,
  ) {}

  /** One server per session, bound to the agent that opened it. */
  server(principal: AgentPrincipal, session: ToolSession): McpServer {
    const server = new McpServer({ name: 'countersign', version: '0.1.0' }, { capabilities: { tools: {} } });
    server.registerTool(
      'request_approval',
      {
        title: 'Ask a person to approve an action',
        description:
          'Asks for approval of one action, on behalf of a person (the body of POST /v1/approvals), and waits for the outcome. ' +
          'Approved: the result carries approval_token, which the service performing the action verifies. Denied, expired or ' +
          'cancelled: an error result with the reason. Send a progressToken to hear progress while a person decides.',
        inputSchema: requestApprovalInput(),
        outputSchema: APPROVAL_OUTPUT,
      },
      (args, extra) => session.track(this.guarded(() => this.requestApproval(principal, session, args, extra))),
    );
    server.registerTool(
      'get_approval',
      {
        title: 'Read an approval',
        description: 'Reads one of your approvals by id: its status, and its approval_token once approved.',
        inputSchema: { id: z.string().describe('the approval id request_approval returned') },
        outputSchema: APPROVAL_OUTPUT,
        annotations: { readOnlyHint: true },
      },
      ({ id }) => session.track(this.guarded(async () => viewResult(await this.approvals.get(principal, id)))),
    );
    return server;
  }

  private async requestApproval(principal: AgentPrincipal, session: ToolSession, args: Record<string, unknown>, extra: Extra) {
    const request = await this.parse(principal, args);
    const { approval } = await this.intake.request(principal, request, idempotencyKey(args, extra));
    return outcomeResult(await this.outcome(principal, session, approval, extra));
  }

  /** Bad input is refused before anything is stored, and audited like the agent API's refusals. */
  private async parse(principal: AgentPrincipal, args: Record<string, unknown>) {
    try {
      return parseApprovalRequest(withoutUndefined(args));
    } catch (error) {
      if (error instanceof DomainError) await this.intake.refuse(principal, error);
      throw error;
    }
  }

  /**
   * Waits while pending, in rounds of PROGRESS_INTERVAL_SECONDS (each a progress notification when the client
   * asked for them). The client's cancellation cancels the approval, as the agent's cancel would.
   */
  private async outcome(principal: AgentPrincipal, session: ToolSession, approval: ApprovalView, extra: Extra): Promise<ApprovalView> {
    const progressToken = extra._meta?.progressToken;
    let current = approval;
    for (let round = 1; current.status === 'pending'; round++) {
      if (extra.signal.aborted) return session.closing ? current : this.cancel(principal, current);
      if (progressToken !== undefined) {
        const message = `pending: waiting for a person to decide (approval ${current.id}, expires at ${current.expires_at})`;
        // Best effort: a client that dropped the stream can still read the outcome with get_approval.
        await extra
          .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: round, message } })
          .catch(() => undefined);
      }
      current = await this.approvals.get(principal, current.id, PROGRESS_INTERVAL_SECONDS, extra.signal);
    }
    return current;
  }

  private async cancel(principal: AgentPrincipal, approval: ApprovalView): Promise<ApprovalView> {
    try {
      return await this.approvals.cancel(principal, approval.id);
    } catch (error) {
      // Decided while the cancellation arrived: the decision stands.
      if (error instanceof DomainError && error.code === 'already_final') return this.approvals.get(principal, approval.id);
      throw error;
    }
  }

  /** A refusal (bad input, unknown person, policy, a suspended agent) is a tool error the model can read, not a crash. */
  private async guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError) return refusalResult(error);
      this.logger.error({ err: error, message: 'MCP tool failed' });
      return { isError: true, content: [{ type: 'text', text: 'internal error: the approval service failed; try again' }] };
    }
  }
}

/**
 * The approval request body's fields as the tool's input schema. The schema is only advertised: every field
 * passes the SDK's check (a required one too), so that validation is parseApprovalRequest's, naming the field,
 * and audited.
 */
function requestApprovalInput() {
  const { properties, required } = approvalRequestJsonSchema();
  const fields = Object.entries(properties).map(([name, json]) => [name, z.unknown().optional().meta(json)] as const);
  const idempotencyKeyField = z
    .string()
    .optional()
    .describe('retrying with the same key answers with the same approval; by default the JSON-RPC request id within the session');
  return z.object({ ...Object.fromEntries(fields), idempotency_key: idempotencyKeyField }).meta({ required });
}

/** The caller's key, or one derived from the JSON-RPC request id: a retried request id in a session is one approval. */
function idempotencyKey(args: Record<string, unknown>, extra: Extra): string | undefined {
  if (typeof args.idempotency_key === 'string') return args.idempotency_key;
  if (extra.sessionId === undefined) return undefined;
  const requestId = createHash('sha256').update(JSON.stringify(extra.requestId)).digest('base64url');
  return `mcp-${extra.sessionId}-${requestId}`;
}

/** zod keeps an absent optional key as `undefined`; the body the API would have parsed has no such key. */
function withoutUndefined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

function viewResult(approval: ApprovalView): CallToolResult {
  return { structuredContent: approval, content: [{ type: 'text', text: JSON.stringify(approval) }] };
}

/** request_approval's answer: anything but approved (or still pending, when the wait was cut short) is a tool error. */
function outcomeResult(approval: ApprovalView): CallToolResult {
  const view = viewResult(approval);
  if (approval.status === 'approved' || approval.status === 'pending') return view;
  return { ...view, isError: true, content: [{ type: 'text', text: `${outcomeSentence(approval)}\n${JSON.stringify(approval)}` }] };
}

/** For the model: what was decided and why, so the agent can adapt rather than retry blindly. */
function outcomeSentence(approval: ApprovalView): string {
  const reasons = approval.decisions.map((decision) => decision.reason).filter((reason): reason is string => !!reason);
  const why = [approval.status_reason, ...reasons].filter((reason): reason is string => !!reason);
  return `The approval was ${approval.status}${why.length > 0 ? `: ${[...new Set(why)].join('; ')}` : ''}. Do not perform the action.`;
}

function refusalResult(error: DomainError): CallToolResult {
  const field = typeof error.details?.field === 'string' ? ` (field ${error.details.field})` : '';
  const approvalId = typeof error.details?.approval_id === 'string' ? ` (approval ${error.details.approval_id})` : '';
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}${field}${approvalId}` }] };
}
