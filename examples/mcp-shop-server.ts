// A sample MCP server (the official SDK) behind the Countersign MCP gateway: an order lookup, a refund and a delete.
// With a verifier it runs a tool only when the call carries an approval token for exactly that call.
//   node dist/examples/mcp-shop-server.js [--stdio | --port 4100]   (after npm run build)
//   COUNTERSIGN_URL, RESOURCE_SERVER_CLIENT_ID, RESOURCE_SERVER_CLIENT_SECRET, SHOP_AUDIENCE: verify tokens
//   (from `countersign resource-servers create --audience https://shop.internal`); without them it verifies nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  type ApprovalVerifier,
  createApprovalVerifier,
  isApprovalTokenError,
  mcpResource,
  verifyMcpToolCall,
  type McpToolCallContext,
} from '@countersign/enforcement';

/** The shop's own view of what each tool does: the same rules as the gateway's mapping file (examples/mcp-shop.mapping.yaml). */
export const SHOP_ACTIONS = {
  lookup_order: { type: 'shop.order.lookup', resource: 'order:{order_id}' },
  refund: { type: 'shop.refund', resource: 'order:{order_id}' },
  delete_order: { type: 'shop.order.delete', resource: 'order:{order_id}' },
} as const;

export type ShopTool = keyof typeof SHOP_ACTIONS;

export interface ShopCall {
  tool: ShopTool;
  args: Record<string, unknown>;
  approvalId?: string;
}

export interface ShopOptions {
  verifier?: ApprovalVerifier;
  /** The gateway's client_id: a token minted for another agent is refused. */
  gatewayClientId?: string;
  /** Every call the shop ran, in order. */
  calls?: ShopCall[];
}

function text(value: unknown, isError = false): CallToolResult {
  return { isError, content: [{ type: 'text', text: JSON.stringify(value) }] };
}

/** One MCP server instance (the SDK serves one connection per instance). */
export function createShopServer(options: ShopOptions = {}): McpServer {
  const server = new McpServer({ name: 'shop', version: '1.0.0' });
  const run = async (tool: ShopTool, args: Record<string, unknown>, context: McpToolCallContext): Promise<CallToolResult> => {
    let approvalId: string | undefined;
    if (options.verifier) {
      const rule = SHOP_ACTIONS[tool];
      const resource = mcpResource(rule.resource, args) ?? '';
      try {
        const verified = await verifyMcpToolCall(options.verifier, context, args, {
          type: rule.type,
          resource,
          agent: options.gatewayClientId,
        });
        approvalId = verified.approvalId;
      } catch (error) {
        if (isApprovalTokenError(error)) return text({ refused: error.code, message: error.message }, true);
        throw error;
      }
    }
    options.calls?.push({ tool, args, approvalId });
    return text({ tool, done: true, args, approval_id: approvalId ?? null });
  };
  server.registerTool(
    'lookup_order',
    { description: 'Look up an order', inputSchema: { order_id: z.string() }, annotations: { readOnlyHint: true } },
    (args, extra) => run('lookup_order', args, extra),
  );
  server.registerTool(
    'refund',
    {
      description: 'Refund an amount of an order to the card it was paid with',
      inputSchema: { order_id: z.string(), amount: z.number(), currency: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: false },
    },
    (args, extra) => run('refund', args, extra),
  );
  server.registerTool(
    'delete_order',
    { description: 'Delete an order and its history', inputSchema: { order_id: z.string() }, annotations: { destructiveHint: true } },
    (args, extra) => run('delete_order', args, extra),
  );
  return server;
}

/** The shop over Streamable HTTP at `/mcp`, stateless: a fresh server and transport for each request. */
export async function serveShopHttp(options: ShopOptions, port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const shop = createShopServer(options);
    response.on('close', () => void transport.close().then(() => shop.close()));
    shop
      .connect(transport)
      .then(() => transport.handleRequest(request, response))
      .catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function verifierFromEnvironment(): ApprovalVerifier | undefined {
  const url = process.env.COUNTERSIGN_URL?.replace(/\/+$/, '');
  const clientId = process.env.RESOURCE_SERVER_CLIENT_ID;
  const clientSecret = process.env.RESOURCE_SERVER_CLIENT_SECRET;
  if (!url || !clientId || !clientSecret) return undefined;
  return createApprovalVerifier({
    issuer: url,
    audience: process.env.SHOP_AUDIENCE ?? 'https://shop.internal',
    jwksUri: `${url}/.well-known/jwks.json`,
    consume: { kind: 'online', url: `${url}/v1/approval-tokens/consume`, clientId, clientSecret },
  });
}

async function main(): Promise<void> {
  const options: ShopOptions = { verifier: verifierFromEnvironment(), gatewayClientId: process.env.GATEWAY_CLIENT_ID };
  if (process.argv.includes('--stdio')) {
    await createShopServer(options).connect(new StdioServerTransport());
    return;
  }
  const portFlag = process.argv.indexOf('--port');
  const { url } = await serveShopHttp(options, portFlag > 0 ? Number(process.argv[portFlag + 1]) : 4100);
  process.stdout.write(`shop MCP server at ${url}${options.verifier ? ' (verifying approval tokens)' : ''}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
