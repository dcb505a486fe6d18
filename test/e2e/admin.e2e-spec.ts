import { AuditService } from '@countersign/audit';
import { EnrollmentService } from '@countersign/people';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  newResourceServer,
  PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  testConfig,
  withClient,
} from '@countersign/testing';

type View = { id: string; status: string; status_reason: string | null; approval_token?: string };
type CreatedAgent = { id: string; clientId: string; client_secret: string; status: string };

function basic(id: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

describe('the admin API, the kill switch and the circuit breaker', () => {
  let api: RunningApi;
  let admin: PersonBrowser;

  beforeAll(async () => {
    api = await startApi(testConfig({ CIRCUIT_BREAKER_THRESHOLD: '3', CIRCUIT_BREAKER_WINDOW_MINUTES: '10' }));
    admin = (await signedInPerson(api.app, api.url, { role: 'admin' })).browser;
  });
  afterAll(() => api.close());

  async function adminAgent(capabilities: string[]): Promise<{ agent: CreatedAgent; token: string }> {
    const created = await admin.request<CreatedAgent>('POST', '/v1/admin/agents', {
      name: `agent-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      capabilities,
    });
    expect(created.status).toBe(201);
    return { agent: created.body, token: await agentAccessToken(api.url, created.body.clientId, created.body.client_secret) };
  }

  it('only admins reach it: a signed-in approver gets 403, nobody signed in 401', async () => {
    const { browser: approver } = await signedInPerson(api.app, api.url);
    expect((await approver.request('GET', '/v1/admin/people')).status).toBe(403);
    expect((await new PersonBrowser(api.url).request('GET', '/v1/admin/people')).status).toBe(401);
    expect((await admin.request('GET', '/v1/admin/people')).status).toBe(200);
  });

  it('invites a person whose link enrolls a passkey once; disabling them ends their sessions', async () => {
    const invited = await admin.request<{ person: { id: string }; enrollment: { url: string } }>('POST', '/v1/admin/people', {
      email: `invitee-${Date.now()}@example.com`,
      role: 'approver',
      permissions: ['chat.*'],
    });
    expect(invited.status).toBe(201);
    const browser = new PersonBrowser(api.url);
    expect((await browser.enroll(invited.body.enrollment.url)).status).toBe(200);
    expect((await browser.request('GET', '/v1/me')).status).toBe(200);

    const bad = await admin.request('POST', '/v1/admin/people', { email: 'not-an-email', role: 'approver' });
    expect(bad.body).toMatchObject({ status: 400, field: 'email' });
    expect((await admin.request('PATCH', `/v1/admin/people/${invited.body.person.id}`, { status: 'gone' })).body).toMatchObject({
      status: 400,
      field: 'status',
    });

    expect((await admin.request('PATCH', `/v1/admin/people/${invited.body.person.id}`, { status: 'disabled' })).body).toMatchObject({
      status: 'disabled',
    });
    expect((await browser.request('GET', '/v1/me')).status).toBe(401);
    expect((await browser.signIn()).status).toBe(401);
  });

  it('re-issues an enrollment link (the earlier one stops working) and changes an agent’s capabilities and quotas', async () => {
    const invited = await admin.request<{ person: { id: string }; enrollment: { url: string } }>('POST', '/v1/admin/people', {
      email: `reissue-${Date.now()}@example.com`,
      role: 'member',
    });
    const reissued = await admin.request<{ url: string }>('POST', `/v1/admin/people/${invited.body.person.id}/enrollment`);
    expect(reissued.status).toBe(201);
    expect((await new PersonBrowser(api.url).enroll(invited.body.enrollment.url)).body).toMatchObject({ code: 'invalid_enrollment_link' });
    expect((await new PersonBrowser(api.url).enroll(reissued.body.url)).status).toBe(200);

    const { agent } = await adminAgent(['chat.*']);
    const changed = await admin.request<{ capabilities: string[]; requestsPerMinute: number; maxPending: number }>(
      'PATCH',
      `/v1/admin/agents/${agent.id}`,
      { capabilities: ['chat.*', 'email.send'], max_pending: 3 },
    );
    expect(changed.body).toMatchObject({ capabilities: ['chat.*', 'email.send'], maxPending: 3 });
    expect((await admin.request('PATCH', `/v1/admin/agents/${agent.id}`, { capabilities: ['not a pattern!'] })).body).toMatchObject({
      status: 400,
      field: 'capabilities',
    });
    expect((await admin.request('PATCH', `/v1/admin/agents/${agent.id}`, { secret: 'x' })).body).toMatchObject({
      status: 400,
      field: 'secret',
    });
    expect((await admin.request('GET', '/v1/admin/agents')).body).toMatchObject({
      agents: expect.arrayContaining([expect.objectContaining({ id: agent.id, maxPending: 3 })]),
    });
    // The secret is shown once, at creation, and never again.
    expect(JSON.stringify((await admin.request('GET', `/v1/admin/agents/${agent.id}`)).body)).not.toContain(agent.client_secret);
  });

  it('an idle session ends; so does one past its absolute lifetime', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    expect((await browser.request('GET', '/v1/me')).status).toBe(200);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE person_id = $1`, [person.id]),
    );
    expect((await browser.request('GET', '/v1/me')).status).toBe(401);
    const again = await browser.signIn();
    expect(again.status).toBe(200);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE person_id = $1`, [person.id]),
    );
    expect((await browser.request('GET', '/v1/me')).status).toBe(401);
  });

  it('the kill switch: pending approvals cancelled (long-poll wakes), tokens revoked even after resume, access refused', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const server = await newResourceServer(api.app);
    const { agent, token } = await adminAgent(['chat.*', 'payments.*']);
    const pending = await call<View>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
        on_behalf_of: person.email,
        audience: server.audience,
      },
    });
    const approved = await call<View>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'payments.refund', resource: 'order:1', args: { amount: 10, currency: 'EUR' } },
        on_behalf_of: person.email,
        audience: server.audience,
      },
    });
    expect([pending.body.status, approved.body.status]).toEqual(['pending', 'approved']);
    expect(
      (await browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals')).body.approvals.map((item) => item.id),
    ).toContain(pending.body.id);

    const waiting = call<View>(`${api.url}/v1/approvals/${pending.body.id}?wait=30`, { token });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const suspended = await admin.request<{ status: string; cancelled_approvals: string[] }>(
      'POST',
      `/v1/admin/agents/${agent.id}/suspend`,
      { reason: 'leaking data' },
    );
    expect(suspended.body).toMatchObject({ status: 'suspended', cancelled_approvals: [pending.body.id] });
    const woken = await waiting;
    expect(woken.body).toMatchObject({ status: 'cancelled', status_reason: 'cancelled: leaking data' });

    expect(
      (await browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals')).body.approvals.map((item) => item.id),
    ).not.toContain(pending.body.id);
    expect(
      (
        await call(`${api.url}/v1/approvals`, {
          token,
          body: { action: { type: 'chat.message.send', resource: 'x', args: {} }, on_behalf_of: person.email },
        })
      ).status,
    ).toBe(401);

    await admin.request('POST', `/v1/admin/agents/${agent.id}/resume`);
    const consume = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: approved.body.approval_token },
      headers: { authorization: basic(server.clientId, server.clientSecret) },
    });
    expect(consume.body).toEqual({ active: false });

    await api.app.get(AuditService).flush();
    const events = await withClient(api.config.databaseUrl, (client) =>
      client.query<{ type: string; actor_type: string; data: Record<string, unknown> }>(
        `SELECT type, actor_type, data FROM audit_events WHERE subject_id = $1 ORDER BY seq`,
        [agent.id],
      ),
    );
    expect(events.rows.find((row) => row.type === 'agent.suspended')).toMatchObject({
      actor_type: 'person',
      data: { reason: 'leaking data', cancelled_approvals: 1, revoked_tokens: 1 },
    });
  });

  it('the circuit breaker suspends an agent refused 3 times within the window, audited and counted', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['chat.*'] });
    const { agent, token } = await adminAgent(['payments.*']);
    const refused = () =>
      call(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'payments.transfer', resource: 'acct:1', args: { amount: 5, currency: 'EUR' } },
          on_behalf_of: person.email,
        },
      });
    for (let attempt = 0; attempt < 3; attempt++) expect((await refused()).body.code).toBe('permission_missing');
    expect((await admin.request<{ status: string }>('GET', `/v1/admin/agents/${agent.id}`)).body.status).toBe('suspended');
    expect((await refused()).status).toBe(401);

    await api.app.get(AuditService).flush();
    const tripped = await withClient(api.config.databaseUrl, (client) =>
      client.query(`SELECT actor_type, data FROM audit_events WHERE subject_id = $1 AND type = 'agent.circuit_breaker_tripped'`, [
        agent.id,
      ]),
    );
    expect(tripped.rows).toEqual([{ actor_type: 'system', data: { denied: 3, window_minutes: 10, threshold: 3 } }]);
    const metrics = await fetch(`${api.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^countersign_circuit_breaker_trips_total [1-9]/m);
  });

  it("parses its bodies with the contract's schemas: the member at fault is named, nothing is changed", async () => {
    type Refusal = { status: number; code: string; field?: string; detail: string };
    const refused = async (method: string, path: string, body: unknown) => (await admin.request<Refusal>(method, path, body)).body;
    const name = `refused-${Date.now()}`;
    expect(await refused('POST', '/v1/admin/agents', { name, capabilities: ['chat.*'], requests_per_minute: 0 })).toMatchObject({
      status: 400,
      code: 'invalid_request',
      field: 'requests_per_minute',
      detail: expect.stringMatching(/^requests_per_minute: /),
    });
    expect(await refused('POST', '/v1/admin/agents', { name, capabilities: ['chat.*'], secret: 'x' })).toMatchObject({
      status: 400,
      field: 'secret',
      detail: 'unknown member "secret"',
    });
    expect(await refused('POST', '/v1/admin/agents', ['chat.*'])).toMatchObject({ status: 400, detail: 'the body must be a JSON object' });
    const agents = await admin.request<{ agents: Array<{ name: string }> }>('GET', '/v1/admin/agents');
    expect(agents.body.agents.map((agent) => agent.name)).not.toContain(name);

    const { agent } = await adminAgent(['chat.*']);
    expect(await refused('POST', `/v1/admin/agents/${agent.id}/suspend`, { reason: 5 })).toMatchObject({ status: 400, field: 'reason' });
    expect((await admin.request('GET', `/v1/admin/agents/${agent.id}`)).body).toMatchObject({ status: 'active' });

    const invited = await admin.request<{ person: { id: string; email: string } }>('POST', '/v1/admin/people', {
      email: `slack-${Date.now()}@example.com`,
      role: 'member',
    });
    expect(await refused('POST', '/v1/admin/people', { email: `root-${Date.now()}@example.com`, role: 'root' })).toMatchObject({
      status: 400,
      field: 'role',
    });
    const slack = `/v1/admin/people/${invited.body.person.id}/slack`;
    expect(await refused('PUT', slack, { user_id: 'nobody', team_id: 'T0TEAM' })).toMatchObject({
      status: 400,
      field: 'user_id',
      detail: 'user_id: must be a Slack user id (U…)',
    });
    expect(await refused('PUT', slack, { user_id: 'U0ABC', team_id: 'T0TEAM', enterprise_id: 'acme' })).toMatchObject({
      status: 400,
      field: 'enterprise_id',
    });
    expect(await refused('PUT', slack, { user_id: 'U0ABC' })).toMatchObject({
      status: 400,
      field: 'team_id',
      detail: 'team_id: is required',
    });
    expect(await admin.request('PUT', slack, { user_id: 'U0ABC', team_id: 'T0TEAM' })).toMatchObject({
      status: 200,
      body: { slack_user_id: 'U0ABC', team_id: 'T0TEAM', enterprise_id: null, linked_by: 'admin' },
    });

    expect(await refused('POST', '/v1/admin/taxonomy/versions/1/activate', {})).toMatchObject({
      status: 400,
      field: 'reason',
      detail: 'reason: is required',
    });
  });
});

describe('the first admin', () => {
  it('on first start with COUNTERSIGN_BOOTSTRAP_EMAIL, an admin exists whose enrollment link works', async () => {
    const database = await createMigratedDatabase('bootstrap');
    const email = `root-${Date.now()}@example.com`;
    const api = await startApi(testConfig({ DATABASE_URL: database.url, COUNTERSIGN_BOOTSTRAP_EMAIL: email }));
    try {
      const people = await withClient(database.url, (client) =>
        client.query<{ role: string }>(`SELECT role FROM people WHERE email = $1`, [email]),
      );
      expect(people.rows).toEqual([{ role: 'admin' }]);
      // Another instance starting moments later prints nothing new, so the link in the first log keeps working.
      expect(await api.app.get(EnrollmentService).ensureFirstAdmin()).toBeNull();
      const live = `SELECT count(*)::int AS count FROM enrollment_links l JOIN people p ON p.id = l.person_id WHERE p.email = $1 AND l.used_at IS NULL`;
      expect((await withClient(database.url, (client) => client.query<{ count: number }>(live, [email]))).rows).toEqual([{ count: 1 }]);
      // A restart later prints a fresh link (the start-up one is in a log this test cannot read), which enrolls the admin.
      await withClient(database.url, (client) => client.query(`UPDATE enrollment_links SET created_at = now() - interval '2 minutes'`));
      const link = await api.app.get(EnrollmentService).ensureFirstAdmin();
      const browser = new PersonBrowser(api.url);
      expect((await browser.enroll(link!.url)).status).toBe(200);
      expect((await browser.request('GET', '/v1/admin/people')).status).toBe(200);
      // Once an admin can sign in, nothing more is printed.
      expect(await api.app.get(EnrollmentService).ensureFirstAdmin()).toBeNull();
    } finally {
      await api.close();
      await database.drop();
    }
  });
});

describe('the last enabled admin', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let api: RunningApi;

  // A database of its own: "the last admin" is a property of the whole deployment.
  beforeAll(async () => {
    database = await createMigratedDatabase('last_admin');
    api = await startApi(testConfig({ DATABASE_URL: database.url }));
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  const asToken = (id: string, body: unknown) =>
    call<{ code?: string; status: number | string; detail?: string; field?: string }>(`${api.url}/v1/admin/people/${id}`, {
      method: 'PATCH',
      token: api.config.adminToken!,
      body,
    });
  const enabledAdmins = () =>
    withClient(database.url, async (client) =>
      (await client.query<{ id: string }>(`SELECT id FROM people WHERE role = 'admin' AND status = 'active' ORDER BY id`)).rows.map(
        (row) => row.id,
      ),
    );

  it('refuses to disable or demote the last enabled admin, whoever asks (an admin or the admin token)', async () => {
    const first = await signedInPerson(api.app, api.url, { role: 'admin' });
    const second = await signedInPerson(api.app, api.url, { role: 'admin' });
    expect((await first.browser.request('PATCH', `/v1/admin/people/${second.person.id}`, { status: 'disabled' })).status).toBe(200);
    expect(await enabledAdmins()).toEqual([first.person.id]);

    for (const body of [{ status: 'disabled' }, { role: 'approver' }, { role: 'member', status: 'disabled' }]) {
      const refused = await asToken(first.person.id, body);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'last_admin', detail: expect.stringContaining('last enabled admin') });
    }
    // Nothing was changed or logged for the refusals, and the admin is still signed in.
    const row = await withClient(
      database.url,
      async (client) =>
        (await client.query<{ role: string; status: string }>('SELECT role, status FROM people WHERE id = $1', [first.person.id])).rows[0],
    );
    expect(row).toEqual({ role: 'admin', status: 'active' });
    await api.app.get(AuditService).flush();
    const updates = await withClient(
      database.url,
      async (client) =>
        (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM audit_events WHERE type = 'person.updated' AND subject_id = $1`,
            [first.person.id],
          )
        ).rows[0].n,
    );
    expect(updates).toBe(0);
    expect((await first.browser.request('GET', '/v1/admin/people')).status).toBe(200);
    // Other changes to the last admin still go through; and with another admin enabled, the first can be disabled.
    expect((await asToken(first.person.id, { permissions: ['chat.*'] })).status).toBe(200);
    expect((await asToken(second.person.id, { status: 'active' })).status).toBe(200);
    expect((await asToken(first.person.id, { role: 'approver' })).status).toBe(200);
    expect(await enabledAdmins()).toEqual([second.person.id]);
    expect((await asToken(first.person.id, { role: 'admin' })).status).toBe(200);
  });

  /** Two new enabled admins, and every other admin demoted: the deployment has exactly these two. */
  async function onlyTwoAdmins() {
    const first = await signedInPerson(api.app, api.url, { role: 'admin' });
    const second = await signedInPerson(api.app, api.url, { role: 'admin' });
    for (const id of await enabledAdmins()) {
      if (id !== first.person.id && id !== second.person.id) expect((await asToken(id, { role: 'approver' })).status).toBe(200);
    }
    return [first, second] as const;
  }

  it('two concurrent changes through the admin token cannot each take away the other admin', async () => {
    for (let round = 0; round < 5; round++) {
      const [first, second] = await onlyTwoAdmins();
      const answers = await Promise.all([
        asToken(first.person.id, round % 2 ? { role: 'member' } : { status: 'disabled' }),
        asToken(second.person.id, { status: 'disabled' }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      expect(answers.find((answer) => answer.status === 409)!.body.code).toBe('last_admin');
      expect(await enabledAdmins()).toHaveLength(1);
    }
  });

  it('two admins disabling each other at once: one of them stays an enabled admin', async () => {
    const [first, second] = await onlyTwoAdmins();
    const answers = await Promise.all([
      first.browser.request('PATCH', `/v1/admin/people/${second.person.id}`, { status: 'disabled' }),
      second.browser.request('PATCH', `/v1/admin/people/${first.person.id}`, { status: 'disabled' }),
    ]);
    // The loser is refused as the last admin, or finds its session already ended.
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, expect.any(Number)]);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(await enabledAdmins()).toHaveLength(1);
  });
});
