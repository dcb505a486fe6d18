import { ApprovalTokenError } from './errors.js';
import type { ApprovalVerifier, VerifiedApproval } from './verifier.js';

/**
 * The HTTP header that carries the approval token to an MCP server reached over Streamable HTTP. Not
 * `Authorization`: the upstream may authenticate its callers with that header already, and the approval token is
 * a different thing (one call, approved by a person), not the caller's identity.
 */
export const MCP_APPROVAL_HEADER = 'countersign-approval';

/** The `_meta` key (reverse-DNS prefixed, as MCP asks) that carries the approval token over stdio. */
export const MCP_APPROVAL_META_KEY = 'io.countersign/approval-token';

/** What an MCP tool handler is given, structurally (the official SDK's `extra`): no dependency on the SDK. */
export interface McpToolCallContext {
  /** The request's `_meta` (`extra._meta` in the official SDK). */
  _meta?: Record<string, unknown>;
  /** The HTTP request's headers, when the call came over Streamable HTTP (`extra.requestInfo` in the SDK). */
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

/** The action the MCP server expects this tool call to have been approved as; `args` are the call's arguments. */
export interface McpToolAction {
  type: string;
  resource: string;
  /** The gateway's client_id, when the server knows which gateway it trusts: must equal the token's `act.sub`. */
  agent?: string;
}

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;

/**
 * The mapping file's resource rule, shared by the gateway and the servers behind it so that both derive the same
 * resource from the same arguments: `{name}` (or `{a.b}` for a nested field) is replaced by that argument, which
 * must be a string or a number. Returns undefined when an argument the template names is missing or not a scalar.
 */
export function mcpResource(template: string, args: Record<string, unknown>): string | undefined {
  let missing = false;
  const resource = template.replace(PLACEHOLDER, (_match, path: string) => {
    let value: unknown = args;
    for (const key of path.split('.')) {
      value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
    missing = true;
    return '';
  });
  return missing ? undefined : resource;
}

/** The approval token of an MCP tool call: the `countersign-approval` header over HTTP, `_meta` otherwise. */
export function mcpApprovalToken(context: McpToolCallContext): string | undefined {
  const header = context.requestInfo?.headers?.[MCP_APPROVAL_HEADER];
  if (typeof header === 'string' && header.length > 0) return header;
  const meta = context._meta?.[MCP_APPROVAL_META_KEY];
  return typeof meta === 'string' && meta.length > 0 ? meta : undefined;
}

/**
 * For an MCP server behind the Countersign gateway: verifies (and consumes) the approval token of the tool call it
 * is about to run, against the action it derives from the call itself and the call's arguments exactly as received.
 * Throws `ApprovalTokenError` (`missing` when the call carries no token); run the tool only when this resolves.
 */
export async function verifyMcpToolCall(
  verifier: ApprovalVerifier,
  context: McpToolCallContext,
  args: Record<string, unknown> | undefined,
  action: McpToolAction,
): Promise<VerifiedApproval> {
  const token = mcpApprovalToken(context);
  if (token === undefined) throw new ApprovalTokenError('missing', 'the tool call carries no approval token');
  return verifier.verify(token, { type: action.type, resource: action.resource, args: args ?? {}, agent: action.agent });
}
