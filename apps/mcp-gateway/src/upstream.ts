import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { MCP_APPROVAL_HEADER, MCP_APPROVAL_META_KEY } from '@countersign/enforcement';
import type { UpstreamConfig } from './gateway-config';

const PING_TIMEOUT_MS = 5_000;
const GATEWAY_INFO = { name: 'countersign-mcp-gateway', version: '0.1.0' };

/** The upstream could not be reached; the call was not sent for approval. */
export class UpstreamUnavailable extends Error {
  override readonly name = 'UpstreamUnavailable';
}

/** One upstream MCP server, reached through the official SDK's client; reconnected when a call finds it gone. */
export class Upstream {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The approval token of the call being sent, for the HTTP transport's fetch to put in its header. */
  private readonly approvalToken = new AsyncLocalStorage<string>();

  constructor(readonly config: UpstreamConfig) {}

  get name(): string {
    return this.config.name;
  }

  /** Connected and answering a ping, or `UpstreamUnavailable`. Checked before any person is asked. */
  async ready(): Promise<Client> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await this.connected();
        await client.ping({ timeout: PING_TIMEOUT_MS });
        return client;
      } catch (error) {
        await this.drop();
        // One reconnection: a restarted upstream forgets the session the old connection had.
        if (attempt > 0)
          throw new UpstreamUnavailable(`the upstream "${this.name}" is unreachable (${(error as Error).message})`, { cause: error });
      }
    }
  }

  async listTools(): Promise<Tool[]> {
    const client = await this.ready();
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? undefined : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  /** Forwards the call with its approval token: in the header over HTTP, in `_meta` over stdio. */
  async call(name: string, args: Record<string, unknown>, token: string, signal: AbortSignal): Promise<CallToolResult> {
    const client = await this.connected();
    const _meta = this.config.url === undefined ? { [MCP_APPROVAL_META_KEY]: token } : undefined;
    const result = await this.approvalToken.run(token, () => client.callTool({ name, arguments: args, _meta }, undefined, { signal }));
    return result as CallToolResult;
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private connected(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = new Client(GATEWAY_INFO);
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    await client.connect(this.transport());
    this.client = client;
    return client;
  }

  private transport(): StdioClientTransport | StreamableHTTPClientTransport {
    const { url, command, args, cwd, env } = this.config;
    if (url !== undefined) {
      return new StreamableHTTPClientTransport(new URL(url), {
        fetch: (input, init) => {
          // The SDK hands every request the transport's one long-lived signal; fetch keeps a listener on it per
          // request until garbage collection. A signal of the request's own follows it without that.
          const signal = init?.signal ? AbortSignal.any([init.signal]) : undefined;
          const token = this.approvalToken.getStore();
          if (token === undefined) return fetch(input, { ...init, signal });
          const headers = new Headers(init?.headers);
          headers.set(MCP_APPROVAL_HEADER, token);
          return fetch(input, { ...init, headers, signal });
        },
      });
    }
    return new StdioClientTransport({ command: command!, args, cwd, env: { ...getDefaultEnvironment(), ...env }, stderr: 'inherit' });
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
