import { agentAccessToken, call, newAgent, newPerson, type RunningApi, startApi, testConfig, withClient } from '@countersign/testing';

describe('Idempotency-Key', () => {
  let first: RunningApi;
  let second: RunningApi;

  beforeAll(async () => {
    const config = testConfig({ PUBLIC_URL: 'http://countersign.test' });
    first = await startApi(config);
    second = await startApi(config);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('turns 20 concurrent identical requests (over two instances) into one approval', async () => {
    const person = await newPerson(first.app, { permissions: ['*'] });
    const agent = await newAgent(first.app);
    const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
    const body = {
      action: { type: 'payments.refund', resource: 'order:42', args: { amount: 20 } },
      on_behalf_of: person.email,
      audience: 'https://payments.internal',
    };
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        call<{ id: string; approval_token: string }>(`${(index % 2 ? first : second).url}/v1/approvals`, {
          token,
          body,
          headers: { 'idempotency-key': 'refund-42' },
        }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(19);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    // Every replay carries the one token that was minted, not a fresh one each.
    expect(new Set(responses.map((response) => response.body.approval_token)).size).toBe(1);
    const counts = await withClient(first.config.databaseUrl, async (client) => {
      const approvals = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM approvals WHERE agent_id = $1', [agent.id]);
      const tokens = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM issued_tokens t JOIN approvals a ON a.id = t.approval_id WHERE a.agent_id = $1',
        [agent.id],
      );
      return { approvals: approvals.rows[0].n, tokens: tokens.rows[0].n };
    });
    expect(counts).toEqual({ approvals: 1, tokens: 1 });

    const other = await call<{ code: string }>(`${first.url}/v1/approvals`, {
      token,
      body: { ...body, action: { ...body.action, args: { amount: 21 } } },
      headers: { 'idempotency-key': 'refund-42' },
    });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('scopes keys per agent and replays a refusal as the same refusal', async () => {
    const person = await newPerson(first.app, { permissions: ['email.*'] });
    const [a, b] = [await newAgent(first.app), await newAgent(first.app)];
    const body = {
      action: { type: 'payments.refund', resource: 'order:1', args: { amount: 20 } },
      on_behalf_of: person.email,
      audience: 'https://payments.internal',
    };
    const tokenA = await agentAccessToken(first.url, a.clientId, a.clientSecret);
    const tokenB = await agentAccessToken(first.url, b.clientId, b.clientSecret);
    const refusedA = await call<{ code: string; approval_id: string }>(`${first.url}/v1/approvals`, {
      token: tokenA,
      body,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(refusedA.status).toBe(403);
    const replayA = await call<{ code: string; approval_id: string }>(`${second.url}/v1/approvals`, {
      token: tokenA,
      body,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(replayA.status).toBe(403);
    expect(replayA.body.approval_id).toBe(refusedA.body.approval_id);
    const refusedB = await call<{ approval_id: string }>(`${first.url}/v1/approvals`, {
      token: tokenB,
      body,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(refusedB.body.approval_id).not.toBe(refusedA.body.approval_id);
  });

  it('refuses a malformed key', async () => {
    const agent = await newAgent(first.app);
    const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
    const response = await call<{ field: string }>(`${first.url}/v1/approvals`, {
      token,
      body: {},
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('Idempotency-Key');
  });
});
