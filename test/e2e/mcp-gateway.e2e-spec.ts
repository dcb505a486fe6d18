import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type INestApplicationContext } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ElicitRequestSchema, type ElicitRequestURLParams } from '@modelcontextprotocol/sdk/types.js';
import { CLI } from '@countersign/audit';
import { createCountersignClient } from '@countersign/client';
import { MCP_APPROVAL_HEADER } from '@countersign/enforcement';
import { TaxonomyService } from '@countersign/taxonomy';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createMigratedDatabase,
  newAgent,
  newResourceServer,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  withClient,
  onlineVerifier,
} from '@countersign/testing';
import { serveShopHttp, type ShopCall } from '../../examples/mcp-shop-server';
import { loadGatewayConfig, startGateway, type RunningGateway } from '../../apps/mcp-gateway/src';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'test', 'support', 'processes', 'register.js');
const SECRET_ENV = 'MCP_GATEWAY_TEST_SECRET';

const mapping = (options: {
  countersign: string;
  clientId: string;
  person: string;
  upstream: string;
  audience: string;
  extra?: string;
}) => `
countersign:
  url: ${options.countersign}
  client_id: ${options.clientId}
  client_secret_env: ${SECRET_ENV}
on_behalf_of: ${options.person}
listen: { host: 127.0.0.1, port: 0 }
upstreams:
  - name: shop
${options.upstream}
    audience: ${options.audience}
tools:
  - tool: lookup_order
    type: shop.order.lookup
    resource: "order:{order_id}"
  - tool: refund
    type: shop.refund
    resource: "order:{order_id}"
${options.extra ?? ''}`;

function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === 'text' ? item.text : '')).join('');
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the MCP gateway in front of an MCP server, against a real Countersign', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let browser: PersonBrowser;
  let person: { id: string; email: string };
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let shopCalls: ShopCall[];
  let shop: Awaited<ReturnType<typeof serveShopHttp>>;
  let work: string;
  let gateway: RunningGateway;
  const clients: Client[] = [];

  const verifier = () => onlineVerifier(api, server);

  const writeMapping = async (name: string, upstream: string, extra?: string): Promise<string> => {
    const file = join(work, name);
    await writeFile(
      file,
      mapping({ countersign: api.url, clientId: agent.clientId, person: person.email, upstream, audience: server.audience, extra }),
    );
    return file;
  };
  const env = () => ({ [SECRET_ENV]: agent.clientSecret });
  const log = { warn: () => undefined };

  const connectHttp = async (url: string, options: { elicitation?: ElicitRequestURLParams[] } = {}): Promise<Client> => {
    const client = new Client(
      { name: 'test-agent', version: '1.0.0' },
      options.elicitation ? { capabilities: { elicitation: { url: {} } } } : {},
    );
    if (options.elicitation) {
      const seen = options.elicitation;
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        seen.push(request.params as ElicitRequestURLParams);
        return { action: 'accept' };
      });
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    clients.push(client);
    return client;
  };

  /** The pending approval of `type` in the person's inbox, once the gateway has asked for it. */
  const pending = (type: string) =>
    eventually(
      () =>
        browser.request<{ approvals: Array<{ id: string; tier: string; status: string; action: { type: string; resource: string } }> }>(
          'GET',
          '/v1/me/approvals',
        ),
      (inbox) => inbox.body.approvals.some((item) => item.action.type === type && item.status === 'pending'),
    ).then((inbox) => inbox.body.approvals.find((item) => item.action.type === type && item.status === 'pending')!);

  const approvalCount = () =>
    withClient(database.url, async (db) => Number((await db.query('SELECT count(*) AS n FROM approvals')).rows[0].n));
  const approvalsFor = (resource: string) =>
    withClient(database.url, async (db) =>
      Number((await db.query('SELECT count(*) AS n FROM approvals WHERE action_resource = $1', [resource])).rows[0].n),
    );
  const decideWhenPending = (type: string, verdict: 'approve' | 'deny', reason?: string) =>
    pending(type).then(async (item) => {
      const decision = await browser.decide(item.id, verdict, { reason });
      if (decision.status !== 200) throw new Error(`decision answered ${decision.status}: ${JSON.stringify(decision.body)}`);
      return item;
    });

  /** A session opened by hand, to send JSON-RPC no SDK client would write; `post` answers the response's text. */
  const rawSession = async (): Promise<(body: string, signal?: AbortSignal) => Promise<string>> => {
    const base = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
    const initialize = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };
    const opened = await fetch(gateway.url!, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initialize }),
    });
    const headers = { ...base, 'mcp-session-id': opened.headers.get('mcp-session-id')! };
    await opened.text();
    const post = async (body: string, signal?: AbortSignal) =>
      (await fetch(gateway.url!, { method: 'POST', headers, body, signal })).text();
    await post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    return post;
  };

  beforeAll(async () => {
    database = await createMigratedDatabase('mcp_gateway');
    api = await startApi(testConfig({ DATABASE_URL: database.url }));
    worker = await startWorker(api.config);
    await api.app
      .get(TaxonomyService)
      .apply(CLI, await readFile(join(ROOT, 'examples', 'mcp-shop.taxonomy.yaml'), 'utf8'), 'MCP gateway suite');
    ({ person, browser } = await signedInPerson(api.app, api.url, { permissions: ['*'] }));
    agent = await newAgent(api.app, { name: 'mcp-gateway', capabilities: ['shop.*', 'mcp.*'] });
    server = await newResourceServer(api.app);
    shopCalls = [];
    shop = await serveShopHttp({ verifier: verifier(), gatewayClientId: agent.clientId, calls: shopCalls });
    work = await mkdtemp(join(tmpdir(), 'countersign-mcp-'));
    const file = await writeMapping('http.yaml', `    url: ${shop.url}`);
    gateway = await startGateway(await loadGatewayConfig(file, env()), { log });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await gateway?.close();
    await shop?.close();
    await worker?.close();
    await api?.close();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the upstream tools with their annotations', async () => {
    const client = await connectHttp(gateway.url!);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['delete_order', 'lookup_order', 'refund']);
    expect(tools.find((tool) => tool.name === 'delete_order')?.annotations).toMatchObject({ destructiveHint: true });
  });

  it('forwards an auto-approved read-only call at once, with a token the upstream verified', async () => {
    const client = await connectHttp(gateway.url!);
    const result = (await client.callTool({ name: 'lookup_order', arguments: { order_id: '1001' } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const body = JSON.parse(textOf(result)) as { tool: string; approval_id: string };
    expect(body).toMatchObject({ tool: 'lookup_order', args: { order_id: '1001' }, approval_id: expect.stringMatching(/\S/) });
    expect(shopCalls.at(-1)).toEqual({ tool: 'lookup_order', args: { order_id: '1001' }, approvalId: body.approval_id });
  });

  it('holds a refund until the person approves, with progress; the upstream receives exactly those arguments', async () => {
    const client = await connectHttp(gateway.url!);
    const progress: string[] = [];
    const args = { order_id: '1002', amount: 250, currency: 'EUR' };
    const decided = decideWhenPending('shop.refund', 'approve');
    const result = (await client.callTool({ name: 'refund', arguments: args }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ''),
      timeout: 30_000,
    })) as CallToolResult;
    const item = await decided;
    expect(item.tier).toBe('high');
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toMatchObject({ tool: 'refund', args, approval_id: item.id });
    expect(shopCalls.at(-1)).toEqual({ tool: 'refund', args, approvalId: item.id });
    expect(progress[0]).toContain(`/approvals/${item.id}`);
  });

  it('returns an error result with the decision and the person’s reason when the person denies', async () => {
    const client = await connectHttp(gateway.url!);
    const before = shopCalls.length;
    const decided = decideWhenPending('shop.refund', 'deny', 'That order was already refunded');
    const result = (await client.callTool({
      name: 'refund',
      arguments: { order_id: '1003', amount: 900, currency: 'EUR' },
    })) as CallToolResult;
    const item = await decided;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`approval ${item.id}`);
    expect(textOf(result)).toContain('denied');
    expect(textOf(result)).toContain('That order was already refunded');
    expect(shopCalls.length).toBe(before);
  });

  it('sends an unmapped tool as an unknown action, which is critical, and runs nothing until decided', async () => {
    const client = await connectHttp(gateway.url!);
    const decided = decideWhenPending('mcp.unmapped.shop.delete_order', 'deny', 'Never delete orders');
    const result = (await client.callTool({ name: 'delete_order', arguments: { order_id: '1004' } })) as CallToolResult;
    const item = await decided;
    expect(item.tier).toBe('critical');
    expect(item.action.resource).toBe('mcp:shop/delete_order');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Never delete orders');
  });

  it('cancels the approval when the client cancels the call', async () => {
    const client = await connectHttp(gateway.url!);
    const controller = new AbortController();
    const call = client.callTool({ name: 'refund', arguments: { order_id: '1005', amount: 300, currency: 'EUR' } }, undefined, {
      signal: controller.signal,
    });
    const item = await pending('shop.refund');
    controller.abort('the agent changed its mind');
    await expect(call).rejects.toThrow();
    const countersign = createCountersignClient({ baseUrl: api.url, clientId: agent.clientId, clientSecret: agent.clientSecret });
    const approval = await eventually(
      () => countersign.getApproval(item.id),
      (value) => value.status !== 'pending',
    );
    expect(approval.status).toBe('cancelled');
  });

  it('sends a URL-mode elicitation with the approval page to a client that declares it, and none to one that does not', async () => {
    const elicitations: ElicitRequestURLParams[] = [];
    const declaring = await connectHttp(gateway.url!, { elicitation: elicitations });
    const first = decideWhenPending('shop.refund', 'approve');
    await declaring.callTool({ name: 'refund', arguments: { order_id: '1006', amount: 120, currency: 'EUR' } });
    const item = await first;
    expect(elicitations).toEqual([
      expect.objectContaining({ mode: 'url', elicitationId: item.id, url: `${api.url}/approvals/${item.id}` }),
    ]);

    const plain = await connectHttp(gateway.url!);
    let asked = 0;
    // Without the capability the client has no elicitation handler: any request from the server would land here.
    plain.fallbackRequestHandler = (request) => {
      asked += 1;
      return Promise.reject(new Error(`unexpected ${request.method}`));
    };
    const second = decideWhenPending('shop.refund', 'approve');
    const result = (await plain.callTool({
      name: 'refund',
      arguments: { order_id: '1007', amount: 130, currency: 'EUR' },
    })) as CallToolResult;
    await second;
    expect(result.isError).toBeFalsy();
    expect(asked).toBe(0);
  });

  it('an upstream that verifies cannot be reached around the gateway, nor with one argument changed', async () => {
    const countersign = createCountersignClient({ baseUrl: api.url, clientId: agent.clientId, clientSecret: agent.clientSecret });
    const approved = { order_id: '1008', amount: 40, currency: 'EUR' };
    const request = () => ({
      action: { type: 'shop.refund', resource: 'order:1008', args: approved },
      on_behalf_of: person.email,
      audience: server.audience,
    });
    const decided = decideWhenPending('shop.refund', 'approve');
    const outcome = await countersign.requestApproval(request(), { timeoutMs: 20_000 });
    await decided;
    if (outcome.status !== 'approved') throw new Error(outcome.status);
    const direct = new Client({ name: 'around-the-gateway', version: '1.0.0' });
    const withToken = (token?: string) =>
      new StreamableHTTPClientTransport(
        new URL(shop.url),
        token ? { requestInit: { headers: { [MCP_APPROVAL_HEADER]: token } } } : undefined,
      );
    await direct.connect(withToken());
    const noToken = (await direct.callTool({ name: 'refund', arguments: approved })) as CallToolResult;
    expect(noToken.isError).toBe(true);
    expect(JSON.parse(textOf(noToken))).toMatchObject({ refused: 'missing' });
    await direct.close();

    const tampering = new Client({ name: 'tampering-gateway', version: '1.0.0' });
    await tampering.connect(withToken(outcome.approvalToken));
    const changed = (await tampering.callTool({ name: 'refund', arguments: { ...approved, amount: 4000 } })) as CallToolResult;
    expect(changed.isError).toBe(true);
    expect(JSON.parse(textOf(changed))).toMatchObject({ refused: 'action_mismatch' });
    const exact = (await tampering.callTool({ name: 'refund', arguments: approved })) as CallToolResult;
    expect(exact.isError).toBeFalsy();
    await tampering.close();
  });

  it('refuses oversized and non-I-JSON arguments before anyone is asked', async () => {
    const client = await connectHttp(gateway.url!);
    const before = await approvalCount();
    const oversized = (await client.callTool({
      name: 'refund',
      arguments: { order_id: '1009', amount: 10, currency: 'x'.repeat(40_000) },
    })) as CallToolResult;
    expect(oversized.isError).toBe(true);
    expect(textOf(oversized)).toMatch(/Refused before anyone was asked: the arguments are \d+ bytes/);

    // Raw JSON-RPC, as a client could send it: a duplicate key and an integer beyond 2^53.
    const post = await rawSession();
    for (const [id, args] of [
      [2, '{"order_id":"1010","amount":10,"amount":10000,"currency":"EUR"}'],
      [3, '{"order_id":"1011","amount":9007199254740993,"currency":"EUR"}'],
    ] as const) {
      const text = await post(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"refund","arguments":${args}}}`);
      expect(text).toContain('"isError":true');
      expect(text).toContain('not I-JSON');
    }
    expect(await approvalCount()).toBe(before);
  });

  it('maps a retried JSON-RPC request (same session, same id) to the same approval', async () => {
    const post = await rawSession();
    const body =
      '{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"refund","arguments":{"order_id":"1014","amount":60,"currency":"EUR"}}}';
    // The connection drops while the person has not decided yet; the client sends the same request again.
    const dropped = new AbortController();
    const first = post(body, dropped.signal).catch(() => 'dropped');
    const item = await pending('shop.refund');
    dropped.abort();
    expect(await first).toBe('dropped');
    const retried = post(body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await browser.decide(item.id, 'deny', { reason: 'once is enough' });
    const answer = await retried;
    expect(answer).toContain(item.id);
    expect(answer).toContain('once is enough');
    expect(await approvalsFor('order:1014')).toBe(1);
    // Another request id in the same session is another call, and another approval.
    const other = post(body.replace('"id":41', '"id":42'));
    const next = await eventually(
      () => pending('shop.refund'),
      (found) => found.id !== item.id,
    );
    await browser.decide(next.id, 'deny');
    await other;
    expect(await approvalsFor('order:1014')).toBe(2);
  });

  it('with hide_unmapped, leaves unmapped tools out of tools/list, and a call to one still goes to a person as critical', async () => {
    const file = await writeMapping('hidden.yaml', `    url: ${shop.url}`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('listen:', 'hide_unmapped: true\nlisten:'));
    const second = await startGateway(await loadGatewayConfig(file, env()), { log });
    try {
      const client = await connectHttp(second.url!);
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['lookup_order', 'refund']);
      const decided = decideWhenPending('mcp.unmapped.shop.delete_order', 'deny', 'hidden, not allowed');
      const result = (await client.callTool({ name: 'delete_order', arguments: { order_id: '1015' } })) as CallToolResult;
      expect((await decided).tier).toBe('critical');
      expect(textOf(result)).toContain('hidden, not allowed');
    } finally {
      await second.close();
    }
  });

  it('answers only to loopback names and origins (DNS rebinding)', async () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'page', version: '1' } },
    });
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        // node:http, because fetch will not let a caller set Host.
        const target = new URL(gateway.url!);
        const request = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              ...headers,
            },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end(initialize);
      });
    expect(await post({ host: 'attacker.example' })).toBe(403);
    expect(await post({ origin: 'https://attacker.example' })).toBe(403);
    expect(await post({ origin: 'http://localhost:5173' })).toBe(200);
    expect(await post({})).toBe(200);
  });

  it('answers a clear tool error when the upstream is down, and asks nobody', async () => {
    const down = await serveShopHttp({});
    const file = await writeMapping('down.yaml', `    url: ${down.url}`);
    const second = await startGateway(await loadGatewayConfig(file, env()), { log });
    try {
      const client = await connectHttp(second.url!);
      expect((await client.listTools()).tools).toHaveLength(3);
      await down.close();
      const before = await approvalCount();
      const result = (await client.callTool({ name: 'lookup_order', arguments: { order_id: '1012' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/the upstream "shop" is unreachable .*nothing was sent for approval/);
      expect(await approvalCount()).toBe(before);
    } finally {
      await second.close();
    }
  });

  it('answers an error result when the approval expires', async () => {
    const extra = '  - tool: delete_order\n    type: shop.order.delete\n    resource: "order:{order_id}"\n    expires_in: 2\n';
    const file = await writeMapping('expiry.yaml', `    url: ${shop.url}`, extra);
    const second = await startGateway(await loadGatewayConfig(file, env()), { log });
    try {
      const client = await connectHttp(second.url!);
      const result = (await client.callTool({ name: 'delete_order', arguments: { order_id: '1013' } }, undefined, {
        timeout: 30_000,
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/approval \S+ for shop\.order\.delete on order:1013 expired before anyone decided/);
    } finally {
      await second.close();
    }
  });

  it('returns Countersign’s refusal when the gateway’s agent may not request the action (confused deputy)', async () => {
    const extra = '  - tool: delete_order\n    type: payments.delete_order\n    resource: "order:{order_id}"\n';
    const second = await startGateway(await loadGatewayConfig(await writeMapping('refused.yaml', `    url: ${shop.url}`, extra), env()), {
      log,
    });
    try {
      const client = await connectHttp(second.url!);
      const result = (await client.callTool({ name: 'delete_order', arguments: { order_id: '1016' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Not run: Countersign refused the request \(\w+\): .*payments\.delete_order/);
    } finally {
      await second.close();
    }
  });

  it('refuses to start on a malformed mapping file, naming the line', async () => {
    const file = join(work, 'bad.yaml');
    await writeFile(
      file,
      (await readFile(await writeMapping('good.yaml', `    url: ${shop.url}`), 'utf8')).replace('type: shop.refund', 'typ: shop.refund'),
    );
    const run = promisify(execFile);
    const failed = await run(
      process.execPath,
      ['-r', REGISTER, join(ROOT, 'test', 'support', 'processes', 'cli-main.ts'), 'mcp-gateway', '--config', file],
      {
        env: { ...process.env, ...env() },
      },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('is not a valid gateway mapping file');
    expect(failed?.stderr).toMatch(/line 16:5 tools\[1\]\.type: missing required key "type"/);
    expect(failed?.stderr).toMatch(/line 17:5 tools\[1\]\.typ: unknown key "typ"/);
  });

  describe('with the person taken from each client’s bearer token (MCP authorization)', () => {
    const AUDIENCE = 'https://gateway.test/mcp';
    let issuer: { url: string; close(): Promise<void>; token(claims: Record<string, unknown>, audience?: string): Promise<string> };
    let authorized: RunningGateway;
    let other: { person: { id: string; email: string }; browser: PersonBrowser };

    beforeAll(async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
      const jwksServer = createHttpServer((_request, response) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
      );
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
      issuer = {
        url,
        close: () => new Promise((resolve) => jwksServer.close(() => resolve())),
        token: (claims, audience = AUDIENCE) =>
          new SignJWT(claims)
            .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
            .setIssuer(url)
            .setAudience(audience)
            .setExpirationTime('5m')
            .sign(privateKey),
      };
      other = await signedInPerson(api.app, api.url, { permissions: ['*'] });
      const file = await writeMapping('oauth.yaml', `    url: ${shop.url}`);
      const text = (await readFile(file, 'utf8')).replace(
        `on_behalf_of: ${person.email}`,
        `authorization: { issuer: "${url}", jwks_uri: "${url}/jwks", audience: "${AUDIENCE}" }`,
      );
      await writeFile(file, text);
      authorized = await startGateway(await loadGatewayConfig(file, env()), { log });
    });
    afterAll(async () => {
      await authorized?.close();
      await issuer?.close();
    });

    const connectAs = async (token: string) => {
      const client = new Client({ name: 'bearer-agent', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(authorized.url!), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
      );
      clients.push(client);
      return client;
    };

    it('refuses a client without a valid token, pointing at the resource metadata', async () => {
      for (const authorization of [undefined, `Bearer ${await issuer.token({ email: person.email }, 'https://another.example')}`]) {
        const response = await fetch(authorized.url!, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization ? { authorization } : {}),
          },
          body: '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}',
        });
        expect(response.status).toBe(401);
        const metadataUrl = /resource_metadata="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
        expect(metadataUrl).toBeDefined();
        expect(await (await fetch(metadataUrl!)).json()).toEqual({
          resource: authorized.url,
          authorization_servers: [issuer.url],
          bearer_methods_supported: ['header'],
        });
      }
    });

    it('asks the person the token names, and keeps the session to that person', async () => {
      const token = await issuer.token({ email: other.person.email });
      const client = await connectAs(token);
      const decided = eventually(
        () =>
          other.browser.request<{ approvals: Array<{ id: string; status: string; action: { type: string } }> }>('GET', '/v1/me/approvals'),
        (inbox) => inbox.body.approvals.some((item) => item.status === 'pending' && item.action.type === 'shop.refund'),
      ).then(async (inbox) => {
        const item = inbox.body.approvals.find((entry) => entry.status === 'pending' && entry.action.type === 'shop.refund')!;
        await other.browser.decide(item.id, 'approve');
        return item;
      });
      const result = (await client.callTool({
        name: 'refund',
        arguments: { order_id: '3001', amount: 90, currency: 'EUR' },
      })) as CallToolResult;
      const item = await decided;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toMatchObject({ approval_id: item.id });

      // The same session with a token for someone else is refused.
      const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
      const hijack = await fetch(authorized.url!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-11-25',
          authorization: `Bearer ${await issuer.token({ email: person.email })}`,
        },
        body: '{"jsonrpc":"2.0","id":9,"method":"tools/list"}',
      });
      expect(hijack.status).toBe(403);
    });
  });

  describe('over stdio on both sides', () => {
    let client: Client;

    beforeAll(async () => {
      const upstream = [
        `    command: ${process.execPath}`,
        `    args: ["-r", "${REGISTER}", "${join(ROOT, 'examples', 'mcp-shop-server.ts')}", "--stdio"]`,
        '    env:',
        `      COUNTERSIGN_URL: "${api.url}"`,
        `      RESOURCE_SERVER_CLIENT_ID: "${server.clientId}"`,
        `      RESOURCE_SERVER_CLIENT_SECRET: "${server.clientSecret}"`,
        `      SHOP_AUDIENCE: "${server.audience}"`,
        `      GATEWAY_CLIENT_ID: "${agent.clientId}"`,
      ].join('\n');
      const file = await writeMapping('stdio.yaml', upstream);
      client = new Client({ name: 'stdio-agent', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: ['-r', REGISTER, join(ROOT, 'test', 'support', 'processes', 'cli-main.ts'), 'mcp-gateway', '--config', file, '--stdio'],
          env: { PATH: process.env.PATH ?? '', ...env() },
          stderr: 'inherit',
        }),
      );
      clients.push(client);
    }, 60_000);

    it('forwards an auto-approved lookup with the token in _meta, which the stdio upstream verifies', async () => {
      const result = (await client.callTool({ name: 'lookup_order', arguments: { order_id: '2001' } })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toMatchObject({
        tool: 'lookup_order',
        args: { order_id: '2001' },
        approval_id: expect.stringMatching(/\S/),
      });
    });

    it('holds a refund until the person approves, then the upstream verifies exactly those arguments', async () => {
      const args = { order_id: '2002', amount: 75.5, currency: 'EUR' };
      const decided = decideWhenPending('shop.refund', 'approve');
      const result = (await client.callTool({ name: 'refund', arguments: args })) as CallToolResult;
      const item = await decided;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toMatchObject({ tool: 'refund', args, approval_id: item.id });
    });

    it('returns the denial and its reason', async () => {
      const decided = decideWhenPending('shop.refund', 'deny', 'Not over stdio either');
      const result = (await client.callTool({
        name: 'refund',
        arguments: { order_id: '2003', amount: 80, currency: 'EUR' },
      })) as CallToolResult;
      await decided;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Not over stdio either');
    });
  });
});
