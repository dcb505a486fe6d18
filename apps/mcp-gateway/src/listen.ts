import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { IJsonError, parseIJson } from '@countersign/domain';
import { BearerAuthorization, RESOURCE_METADATA_PATH } from './bearer';
import type { Gateway } from './gateway';
import type { AuthorizationConfig } from './gateway-config';
import { requestBodyProblem } from './tool-action';

/** A JSON-RPC message bigger than this is not read at all; tool arguments have their own, smaller limit. */
const MAX_BODY_BYTES = 1024 * 1024;
export const MCP_PATH = '/mcp';

class BodyTooLarge extends Error {}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * DNS rebinding: a web page can make a browser send requests to a gateway on 127.0.0.1 under a name of its own,
 * and auto-approved tools would run. A gateway on a loopback address therefore answers only to loopback names,
 * and not to a page from any other origin (what the SDK's hostHeaderValidation does for Express).
 */
function refusedOrigin(request: IncomingMessage, listenHost: string): string | undefined {
  if (!LOOPBACK.has(listenHost)) return undefined;
  const host = hostnameOf(request.headers.host);
  if (host === undefined || !LOOPBACK.has(host)) return `the Host ${request.headers.host ?? '(none)'} is not a loopback name`;
  const origin = request.headers.origin;
  if (origin !== undefined && !LOOPBACK.has(hostnameOf(origin) ?? '')) return `requests from ${origin} are not accepted`;
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body as I-JSON when it is; otherwise as JSON.parse reads it, with the reason kept so that a tool call in it
 * is refused (duplicate keys, for one, are gone after JSON.parse and cannot be seen later).
 */
function parseBody(text: string): { body: unknown; problem?: string } {
  try {
    return { body: parseIJson(text) };
  } catch (error) {
    if (!(error instanceof IJsonError) || error.reason === 'syntax') throw error;
    return { body: JSON.parse(text) as unknown, problem: `${error.message} (at ${error.pointer || '/'})` };
  }
}

export interface HttpListener {
  url: string;
  close(): Promise<void>;
}

/** Streamable HTTP at `/mcp`, one SDK transport and server per session. */
export async function listenHttp(gateway: Gateway, host: string, port: number, authorization?: AuthorizationConfig): Promise<HttpListener> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  /** With authorization, the person each session was opened for: a later request may not switch people. */
  const sessionPeople = new Map<string, string>();
  const bearer = authorization && new BearerAuthorization(authorization);
  let origin = '';

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    const refused = refusedOrigin(request, host);
    if (refused !== undefined) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(refused);
      return;
    }
    if (bearer && request.method === 'GET' && (path === RESOURCE_METADATA_PATH || path === RESOURCE_METADATA_PATH + MCP_PATH)) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(bearer.metadata(origin + MCP_PATH)));
      return;
    }
    if (path !== MCP_PATH) {
      response.writeHead(404).end();
      return;
    }
    const auth = bearer && (await bearer.authenticate(request, response, origin + RESOURCE_METADATA_PATH + MCP_PATH));
    if (bearer && auth === undefined) return;
    let parsed: { body: unknown; problem?: string } = { body: undefined };
    if (request.method === 'POST') {
      try {
        parsed = parseBody(await readBody(request));
      } catch (error) {
        response.writeHead(error instanceof BodyTooLarge ? 413 : 400, { 'content-type': 'text/plain' });
        response.end(error instanceof BodyTooLarge ? `the request is larger than ${MAX_BODY_BYTES} bytes` : 'the request body is not JSON');
        return;
      }
    }
    const sessionId = request.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (transport === undefined && sessionId === undefined && request.method === 'POST' && isInitializeRequest(parsed.body)) {
      const fresh: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => {
          sessions.set(id, fresh);
          if (auth) sessionPeople.set(id, auth.extra!.person as string);
        },
      });
      fresh.onclose = () => {
        if (fresh.sessionId !== undefined) sessions.delete(fresh.sessionId);
        if (fresh.sessionId !== undefined) sessionPeople.delete(fresh.sessionId);
      };
      await gateway.createServer((requestId) => fresh.closeSSEStream(requestId)).connect(fresh);
      transport = fresh;
    }
    if (transport === undefined) {
      response.writeHead(sessionId === undefined ? 400 : 404, { 'content-type': 'text/plain' });
      response.end(sessionId === undefined ? 'no session: initialize first' : 'unknown or closed session');
      return;
    }
    if (auth && typeof sessionId === 'string' && sessionPeople.get(sessionId) !== auth.extra!.person) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('this session was opened for another person');
      return;
    }
    const authenticated = Object.assign(request, { auth });
    await requestBodyProblem.run(parsed.problem, () => transport.handleRequest(authenticated, response, parsed.body));
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url: origin + MCP_PATH,
    close: async () => {
      await Promise.all([...sessions.values()].map((transport) => transport.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One session over this process's stdin and stdout, for an agent that starts the gateway itself. */
export async function listenStdio(gateway: Gateway): Promise<{ close(): Promise<void> }> {
  const transport = new StdioServerTransport();
  const server = gateway.createServer();
  await server.connect(transport);
  return { close: () => server.close() };
}
