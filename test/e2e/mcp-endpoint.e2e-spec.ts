import { type INestApplicationContext } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { AuditService } from '@countersign/audit';
import {
  agentAccessToken,
  call,
  newAgent,
  newResourceServer,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  withClient,
  onlineVerifier,
} from '@countersign/testing';

type Approval = { id: string; status: string; status_reason: string | null; approval_token?: string };
type Agent = Awaited<ReturnType<typeof newAgent>>;

describe('the MCP endpoint: the approval API as tools for agents that speak MCP', () => {
  let api: RunningApi;
  let worker: INestApplicationContext;
  let agent: Agent;
  let token: string;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  const clients: Client[] = [];

  beforeAll(async () => {
    api = await startApi();
    worker = await startWorker(api.config);
    agent = await newAgent(api.app, { capabilities: ['payments.*'] });
    token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    server = await newResourceServer(api.app, `https://payments.internal/${Date.now()}`);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await worker.close();
    await api.close();
  });

  const connect = async (bearer = token): Promise<Client> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    });
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  /** Low tier in the default taxonomy below 50, high (one person, passkey step-up) from 50. */
  const refund = (onBehalfOf: string, amount: number, resource = `order:${Date.now()}-${Math.random()}`) => ({
    action: { type: 'payments.refund', resource, args: { amount, currency: 'EUR' } },
    on_behalf_of: onBehalfOf,
    audience: server.audience,
    reason: 'The customer was charged twice.',
  });
  const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
  const approvalsOn = (resource: string) =>
    withClient(
      api.config.databaseUrl,
      async (client) => (await client.query('SELECT id FROM approvals WHERE action_resource = $1', [resource])).rowCount,
    );
  /** request_approval, with its progress notifications, and the approval id the first one names. */
  const requestWithProgress = (client: Client, body: unknown, signal?: AbortSignal) => {
    const progress: Progress[] = [];
    let announced!: (id: string) => void;
    const approvalId = new Promise<string>((resolve) => (announced = resolve));
    const result = client.callTool({ name: 'request_approval', arguments: body as Record<string, unknown> }, undefined, {
      signal,
      resetTimeoutOnProgress: true,
      onprogress: (update) => {
        progress.push(update);
        const id = /approval ([0-9a-f-]{36})/.exec(update.message ?? '')?.[1];
        if (id) announced(id);
      },
    });
    return { result: result as Promise<CallToolResult>, progress, approvalId };
  };

  it('lists both tools, with the approval request body as request_approval input schema', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const request = tools.find((tool) => tool.name === 'request_approval');
    expect(request?.inputSchema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['action', 'on_behalf_of']) as unknown,
      properties: { action: { type: 'object', required: ['type', 'resource', 'args'] }, idempotency_key: { type: 'string' } },
    });
    expect(tools.find((tool) => tool.name === 'get_approval')?.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('an auto-approved request returns at once with a token the verifier SDK accepts for exactly this action', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const body = refund(person.email, 20);
    const result = (await client.callTool({ name: 'request_approval', arguments: body })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const approval = result.structuredContent as Approval;
    expect(approval.status).toBe('approved');
    expect(JSON.parse(text(result))).toMatchObject({ id: approval.id, status: 'approved' });
    const verifier = onlineVerifier(api, server);
    const realCall = { ...body.action, agent: agent.clientId };
    await expect(verifier.verify(approval.approval_token!, { ...realCall, args: { amount: 2000, currency: 'EUR' } })).rejects.toMatchObject(
      {
        code: 'action_mismatch',
      },
    );
    await expect(verifier.verify(approval.approval_token!, realCall)).resolves.toMatchObject({ subject: person.id });
    // The REST API sees the same approval: one approval store, two ways in.
    expect((await call<Approval>(`${api.url}/v1/approvals/${approval.id}`, { token })).body.status).toBe('approved');
  });

  it('an idempotency_key makes a retried request the same approval, and a different body under it a refusal', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const body = { ...refund(person.email, 15), idempotency_key: `retry-${Date.now()}` };
    const first = (await client.callTool({ name: 'request_approval', arguments: body })) as CallToolResult;
    const again = (await (await connect()).callTool({ name: 'request_approval', arguments: body })) as CallToolResult;
    expect((again.structuredContent as Approval).id).toBe((first.structuredContent as Approval).id);
    const changed = (await client.callTool({ name: 'request_approval', arguments: { ...body, reason: 'another' } })) as CallToolResult;
    expect(changed.isError).toBe(true);
    expect(text(changed)).toMatch(/^idempotency_key_reused: /);
  });

  it('a pending request waits with progress notifications and returns the token when the person approves', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const waiting = requestWithProgress(client, refund(person.email, 500));
    const id = await waiting.approvalId;
    expect(waiting.progress[0]).toMatchObject({ progress: 1 });
    expect(waiting.progress[0].message).toContain('pending');
    expect((await browser.decide(id, 'approve', { stepUp: true })).body).toMatchObject({ status: 'approved' });
    const result = await waiting.result;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id, status: 'approved', approval_token: expect.any(String) as unknown });
  });

  it("a denial is an error result carrying the decision and the person's reason", async () => {
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const waiting = requestWithProgress(client, refund(person.email, 600));
    const id = await waiting.approvalId;
    expect((await browser.decide(id, 'deny', { reason: 'Not a duplicate charge' })).body).toMatchObject({ status: 'denied' });
    const result = await waiting.result;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ id, status: 'denied' });
    expect(text(result)).toMatch(/^The approval was denied: .*Not a duplicate charge/);
    expect(result.structuredContent).not.toHaveProperty('approval_token');
  });

  it('the client cancelling the tool call cancels the approval', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const abort = new AbortController();
    const waiting = requestWithProgress(client, refund(person.email, 700), abort.signal);
    const id = await waiting.approvalId;
    abort.abort('the user closed the chat');
    await expect(waiting.result).rejects.toThrow();
    const deadline = Date.now() + 10_000;
    let status = 'pending';
    while (status === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call<Approval>(`${api.url}/v1/approvals/${id}`, { token })).body.status;
    }
    expect(status).toBe('cancelled');
  });

  it('bad input is an error result naming the field; nothing is stored and the refusal is audited', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = await connect();
    const resource = `order:malformed-${Date.now()}`;
    const malformed = { ...refund(person.email, 20, resource), action: { type: 'payments.refund', resource, args: 'twenty euros' } };
    const result = (await client.callTool({ name: 'request_approval', arguments: malformed })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^invalid_request: \/action\/args: .*\(field \/action\/args\)$/);
    expect(await approvalsOn(resource)).toBe(0);
    const missing = (await client.callTool({ name: 'request_approval', arguments: { action: malformed.action } })) as CallToolResult;
    expect(text(missing)).toContain('/action/args');
    await api.app.get(AuditService).flush();
    const audited = await withClient(
      api.config.databaseUrl,
      async (db) =>
        (
          await db.query<{ data: { code: string; reason: string } }>(
            `SELECT data FROM audit_events WHERE type = 'approval.refused' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`,
            [agent.clientId],
          )
        ).rows[0].data,
    );
    expect(audited).toMatchObject({ code: 'invalid_request', reason: expect.stringContaining('/action/args') as unknown });
  });

  it("get_approval reads the agent's own approval, and another agent's is not found", async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const mine = (await (await connect()).callTool({ name: 'request_approval', arguments: refund(person.email, 10) })) as CallToolResult;
    const id = (mine.structuredContent as Approval).id;
    const own = (await (await connect()).callTool({ name: 'get_approval', arguments: { id } })) as CallToolResult;
    expect(own.structuredContent).toMatchObject({ id, status: 'approved' });

    const other = await newAgent(api.app, { capabilities: ['payments.*'] });
    const otherClient = await connect(await agentAccessToken(api.url, other.clientId, other.clientSecret));
    const foreign = (await otherClient.callTool({ name: 'get_approval', arguments: { id } })) as CallToolResult;
    expect(foreign.isError).toBe(true);
    expect(text(foreign)).toBe('not_found: no such approval');
    expect(foreign.structuredContent).toBeUndefined();
  });

  it('refuses a missing or invalid bearer with 401 and a Bearer challenge, and runs no tool', async () => {
    const resource = `order:unauthenticated-${Date.now()}`;
    const toolCall = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'request_approval', arguments: refund('nobody@example.com', 20, resource) },
    };
    const headers = { accept: 'application/json, text/event-stream' };
    for (const authorization of [
      undefined,
      'Bearer not-a-token',
      `Basic ${Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64')}`,
    ]) {
      const response = await call(`${api.url}/mcp`, { body: toolCall, headers: authorization ? { ...headers, authorization } : headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    await expect(connect('not-a-token')).rejects.toThrow(/401/);
    expect(await approvalsOn(resource)).toBe(0);
  });

  it("a session belongs to the agent that opened it: another agent's token cannot use it", async () => {
    const client = await connect();
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const other = await newAgent(api.app, { capabilities: ['payments.*'] });
    const otherToken = await agentAccessToken(api.url, other.clientId, other.clientSecret);
    const response = await call(`${api.url}/mcp`, {
      token: otherToken,
      body: { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      headers: { accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(response.status).toBe(404);
  });

  it('refuses a suspended agent, on its open session and on a new one', async () => {
    const suspended = await newAgent(api.app, { capabilities: ['payments.*'] });
    const suspendedToken = await agentAccessToken(api.url, suspended.clientId, suspended.clientSecret);
    const client = await connect(suspendedToken);
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const resource = `order:suspended-${Date.now()}`;
    const response = await call(`${api.url}/v1/admin/agents/${suspended.id}/suspend`, {
      body: { reason: 'testing the MCP endpoint' },
      headers: { authorization: `Bearer ${api.config.adminToken}` },
    });
    expect(response.body).toMatchObject({ status: 'suspended' });
    await expect(client.callTool({ name: 'request_approval', arguments: refund(person.email, 20, resource) })).rejects.toThrow(/401/);
    await expect(connect(suspendedToken)).rejects.toThrow(/401/);
    expect(await approvalsOn(resource)).toBe(0);
  });
});

describe('the MCP endpoint when the API shuts down', () => {
  it('closes its sessions, and the waits they held leave their approvals pending, not cancelled', async () => {
    const api = await startApi();
    const agent = await newAgent(api.app, { capabilities: ['payments.*'] });
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    let announced!: (id: string) => void;
    const approvalId = new Promise<string>((resolve) => (announced = resolve));
    const waiting = client.callTool(
      {
        name: 'request_approval',
        arguments: { action: { type: 'payments.refund', resource: 'order:shutdown', args: { amount: 900 } }, on_behalf_of: person.email },
      },
      undefined,
      { onprogress: (update) => announced(/approval ([0-9a-f-]{36})/.exec(update.message ?? '')![1]) },
    );
    waiting.catch(() => undefined);
    const id = await approvalId;
    const started = Date.now();
    await api.close();
    // Closing did not wait for the pending call (up to the approval's TTL) to end by itself.
    expect(Date.now() - started).toBeLessThan(5_000);
    const status = await withClient(
      api.config.databaseUrl,
      async (db) => (await db.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [id])).rows[0].status,
    );
    expect(status).toBe('pending');
    await client.close();
  });
});
