import { AuditService } from '@countersign/audit';
import { type PersonRecord } from '@countersign/people';
import { agentAccessToken, call, newAgent, newPerson, type RunningApi, startApi, testConfig, withClient } from '@countersign/testing';

type Problem = { code: string; detail: string };

/**
 * Per-person limits (issue 14, finding 5): approvals pending on one person's behalf, and new ones a minute, across
 * every agent. Only requests that would wait for the person count; an agent within its own quota cannot bury them.
 */
describe('per-person limits', () => {
  const apis: RunningApi[] = [];
  afterAll(async () => {
    for (const api of apis) await api.close();
  });

  // payments.refund of 500 is high (waits for a person); of 1 it is auto-approved.
  const body = (person: PersonRecord, amount: number) => ({
    action: { type: 'payments.refund', resource: `order:${amount}`, args: { amount } },
    on_behalf_of: person.email,
    audience: 'https://payments.internal',
  });
  const agentOf = async (api: RunningApi) => {
    const agent = await newAgent(api.app);
    return { ...agent, token: await agentAccessToken(api.url, agent.clientId, agent.clientSecret) };
  };
  const refusalsAudited = async (api: RunningApi, clientId: string) => {
    await api.app.get(AuditService).flush();
    return withClient(
      api.config.databaseUrl,
      async (client) =>
        (
          await client.query(
            `SELECT 1 FROM audit_events WHERE type = 'approval.refused' AND actor_id = $1 AND data->>'code' = 'too_many_pending_for_person'`,
            [clientId],
          )
        ).rowCount,
    );
  };

  it('refuses the N+1-th pending approval for one person, from any agent, with Retry-After, audited once a minute', async () => {
    // Two instances of one deployment: the count lives in the database, the audit gate in the shared Redis.
    const config = testConfig({ PUBLIC_URL: 'http://countersign.test', PERSON_MAX_PENDING: '3' });
    const [first, second] = [await startApi(config), await startApi(config)];
    apis.push(first, second);
    const [person, other] = [await newPerson(first.app), await newPerson(first.app)];
    const [agent, another] = [await agentOf(first), await agentOf(first)];

    const created: string[] = [];
    for (const n of [1, 2, 3]) {
      const response = await call<{ id: string; status: string }>(`${(n % 2 ? first : second).url}/v1/approvals`, {
        token: n === 2 ? another.token : agent.token,
        body: body(person, 500 + n),
      });
      expect(response.body.status).toBe('pending');
      created.push(response.body.id);
    }
    const refused = await call<Problem>(`${first.url}/v1/approvals`, { token: agent.token, body: body(person, 504) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('too_many_pending_for_person');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another agent, well within its own quota, is refused for the same person too, on the other instance.
    expect((await call<Problem>(`${second.url}/v1/approvals`, { token: another.token, body: body(person, 505) })).body.code).toBe(
      'too_many_pending_for_person',
    );
    // Another person is unaffected, and so is an auto-approved request for this one (it waits for no one).
    expect((await call(`${second.url}/v1/approvals`, { token: agent.token, body: body(other, 506) })).status).toBe(201);
    expect((await call<{ status: string }>(`${first.url}/v1/approvals`, { token: agent.token, body: body(person, 1) })).body).toMatchObject(
      { status: 'approved' },
    );

    // Refused again and again: one audit event per agent and person a minute, not one per refusal.
    for (const n of [7, 8])
      expect((await call(`${(n % 2 ? first : second).url}/v1/approvals`, { token: agent.token, body: body(person, 500 + n) })).status).toBe(
        429,
      );
    expect(await refusalsAudited(first, agent.clientId)).toBe(1);
    expect(await refusalsAudited(first, another.clientId)).toBe(1);

    // Once one of them is no longer pending there is room for one more.
    expect((await call(`${first.url}/v1/approvals/${created[0]}/cancel`, { token: agent.token, body: {} })).status).toBe(200);
    expect((await call(`${second.url}/v1/approvals`, { token: another.token, body: body(person, 509) })).status).toBe(201);
    expect((await call<Problem>(`${first.url}/v1/approvals`, { token: agent.token, body: body(person, 510) })).body.code).toBe(
      'too_many_pending_for_person',
    );
  });

  it('limits the requests a minute that would wait for one person, across agents; auto-approved ones do not count', async () => {
    const api = await startApi(testConfig({ PUBLIC_URL: 'http://countersign.test', PERSON_REQUESTS_PER_MINUTE: '3' }));
    apis.push(api);
    const [person, other] = [await newPerson(api.app), await newPerson(api.app)];
    const [agent, another] = [await agentOf(api), await agentOf(api)];
    const statuses: number[] = [];
    for (const n of [1, 2, 3, 4]) {
      // Auto-approved requests in between spend nothing of the person's budget.
      expect((await call(`${api.url}/v1/approvals`, { token: agent.token, body: body(person, 1) })).status).toBe(201);
      const created = await call(`${api.url}/v1/approvals`, { token: n % 2 ? agent.token : another.token, body: body(person, 500 + n) });
      statuses.push(created.status);
      // Cancelled at once: it is the rate that refuses the fourth, not the pending count.
      if (created.status === 201)
        await call(`${api.url}/v1/approvals/${(created.body as { id: string }).id}/cancel`, {
          token: n % 2 ? agent.token : another.token,
          body: {},
        });
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await call<Problem>(`${api.url}/v1/approvals`, { token: another.token, body: body(person, 505) });
    expect(refused.body.code).toBe('too_many_pending_for_person');
    expect(refused.body.detail).toMatch(/more than 3 approvals for this person in a minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call(`${api.url}/v1/approvals`, { token: agent.token, body: body(other, 506) })).status).toBe(201);
  });
});
