import { agentAccessToken, call, newAgent, newPerson, type RunningApi, startApi, testConfig } from '@countersign/testing';
import { type PersonRecord } from '@countersign/people';

type Problem = { code: string; retry_after_seconds?: number };

describe('per-agent quotas', () => {
  let first: RunningApi;
  let second: RunningApi;
  let person: PersonRecord;

  beforeAll(async () => {
    // Two API instances of one deployment: same database, same Redis prefix.
    const config = testConfig({ PUBLIC_URL: 'http://countersign.test' });
    first = await startApi(config);
    second = await startApi(config);
    person = await newPerson(first.app, { permissions: ['*'] });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  const body = (amount: number) => ({
    action: { type: 'payments.refund', resource: `order:${amount}`, args: { amount } },
    on_behalf_of: person.email,
    audience: 'https://payments.internal',
  });

  it('shares one requests-per-minute budget across instances and answers 429 with Retry-After', async () => {
    const agent = await newAgent(first.app, { requestsPerMinute: 5 });
    const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const api = i % 2 === 0 ? first : second;
      statuses.push((await call(`${api.url}/v1/approvals`, { token, body: body(i + 1) })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    const refused = await call<Problem>(`${second.url}/v1/approvals`, { token, body: body(50) });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another agent is unaffected.
    const other = await newAgent(first.app, { requestsPerMinute: 5 });
    const otherToken = await agentAccessToken(second.url, other.clientId, other.clientSecret);
    expect((await call(`${second.url}/v1/approvals`, { token: otherToken, body: body(1) })).status).toBe(201);
  });

  it('limits pending approvals at once', async () => {
    const agent = await newAgent(first.app, { maxPending: 2 });
    const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
    const high = (n: number) => ({ ...body(500 + n) });
    const one = await call<{ id: string }>(`${first.url}/v1/approvals`, { token, body: high(1) });
    expect(one.status).toBe(201);
    expect((await call(`${second.url}/v1/approvals`, { token, body: high(2) })).status).toBe(201);
    const third = await call<Problem>(`${first.url}/v1/approvals`, { token, body: high(3) });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('too_many_pending');
    expect(third.headers.get('retry-after')).not.toBeNull();
    // An auto-approved request never waits, so it is not held back by pending ones.
    expect((await call(`${first.url}/v1/approvals`, { token, body: body(10) })).status).toBe(201);
    // Once one of them is no longer pending, there is room for another.
    expect((await call(`${second.url}/v1/approvals/${one.body.id}/cancel`, { token, body: {} })).status).toBe(200);
    expect((await call(`${first.url}/v1/approvals`, { token, body: high(3) })).status).toBe(201);
    expect((await call<Problem>(`${second.url}/v1/approvals`, { token, body: high(4) })).body.code).toBe('too_many_pending');
  });
});

describe('when Redis is unreachable', () => {
  let api: RunningApi;
  let healthy: RunningApi;

  beforeAll(async () => {
    healthy = await startApi(testConfig({ PUBLIC_URL: 'http://countersign.test' }));
    // Nothing listens on port 1: every Redis command fails.
    api = await startApi(testConfig({ REDIS_URL: 'redis://127.0.0.1:1', PUBLIC_URL: 'http://countersign.test' }));
  });
  afterAll(async () => {
    await api.close();
    await healthy.close();
  });

  it('fails intake closed with 503 and stores nothing, and readiness says why', async () => {
    const person = await newPerson(healthy.app, { permissions: ['*'] });
    const agent = await newAgent(healthy.app);
    // The broken instance cannot count failed attempts, so its token endpoint fails closed too.
    const tokenResponse = await fetch(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${agent.clientId}&client_secret=${agent.clientSecret}`,
    });
    expect(tokenResponse.status).toBe(503);
    const token = await agentAccessToken(healthy.url, agent.clientId, agent.clientSecret);
    const response = await call<Problem>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'payments.refund', resource: 'order:1', args: { amount: 10 } },
        on_behalf_of: person.email,
        audience: 'https://payments.internal',
      },
    });
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('quota_unavailable');
    const stored = await call<{ events: unknown[] }>(`${healthy.url}/v1/admin/audit?type=approval.requested&actor_id=${agent.clientId}`, {
      headers: { authorization: `Bearer ${healthy.config.adminToken!}` },
    });
    expect(stored.body.events).toHaveLength(0);
    const ready = await call<{ status: string; error: Record<string, unknown> }>(`${api.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(Object.keys(ready.body.error)).toEqual(['redis']);
  });

  it('still answers a long-poll at its deadline, from Postgres, when it cannot subscribe', async () => {
    const person = await newPerson(healthy.app, { permissions: ['*'] });
    const agent = await newAgent(healthy.app);
    const token = await agentAccessToken(healthy.url, agent.clientId, agent.clientSecret);
    const created = await call<{ id: string }>(`${healthy.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'payments.refund', resource: 'order:2', args: { amount: 500 } },
        on_behalf_of: person.email,
        audience: 'https://payments.internal',
      },
    });
    const started = Date.now();
    const read = await call<{ status: string }>(`${api.url}/v1/approvals/${created.body.id}?wait=2`, { token });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('pending');
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
