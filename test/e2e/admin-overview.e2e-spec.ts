import { ApprovalLifecycleService } from '@countersign/approvals';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  newAgent,
  newResourceServer,
  PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  testConfig,
  withClient,
} from '@countersign/testing';

type Created = { id: string; status: string };
type Overview = {
  period: { days: number };
  approvals: { total: number; by_outcome: Record<string, number>; by_tier: Array<Record<string, number | string>> };
  time_to_decision: { decided: number; p50_seconds: number | null; p90_seconds: number | null };
  decisions: {
    total: number;
    fast: number;
    fast_threshold_seconds: number;
    recent_fast: Array<{ approval_id: string; person: string; verdict: string }>;
  };
  deliveries_failing: {
    total: number;
    by_channel: Array<{ channel: string; failed: number; gone: number; unreachable: number; total: number }>;
  };
  pending_now: { total: number; by_tier: Array<{ tier: string; count: number }> };
};

/**
 * A database of its own: the overview's numbers are asserted exactly, and the last test tampers with the audit
 * chain, so no other suite's rows may share it.
 */
describe('the admin overview, an agent’s approvals and the audit chain check', () => {
  let database: { url: string; drop(): Promise<void> };
  let api: RunningApi;
  let admin: PersonBrowser;
  let approver: { person: { id: string; email: string }; browser: PersonBrowser };
  let agentId: string;
  const ids: Record<string, string> = {};

  const sql = (text: string, parameters: unknown[] = []) => withClient(database.url, (client) => client.query(text, parameters));

  beforeAll(async () => {
    database = await createMigratedDatabase('overview');
    api = await startApi(testConfig({ DATABASE_URL: database.url }));
    admin = (await signedInPerson(api.app, api.url, { role: 'admin' })).browser;
    approver = await signedInPerson(api.app, api.url, { permissions: ['chat.*', 'payments.*'] });
    const agent = await newAgent(api.app, { capabilities: ['chat.*', 'payments.*'] });
    agentId = agent.id;
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const { audience } = await newResourceServer(api.app, 'https://payments.internal');

    const request = async (name: string, action: { type: string; resource: string; args: Record<string, unknown> }, expected: string) => {
      const created = await call<Created>(`${api.url}/v1/approvals`, {
        token,
        body: { action, on_behalf_of: approver.person.email, audience },
      });
      expect({ name, status: created.body.status }).toEqual({ name, status: expected });
      ids[name] = created.body.id;
    };
    const chat = (name: string) =>
      request(name, { type: 'chat.message.send', resource: `channel:${name}`, args: { text: name } }, 'pending');

    // medium: two approved (one of them moments after opening it: fast), one denied, one cancelled, one expired, one pending.
    for (const name of ['fastApproved', 'approved', 'denied', 'cancelled', 'expired', 'pending', 'old']) await chat(name);
    await request('auto', { type: 'payments.refund', resource: 'order:1', args: { amount: 10, currency: 'EUR' } }, 'approved');
    await request('high', { type: 'payments.refund', resource: 'order:2', args: { amount: 500, currency: 'EUR' } }, 'pending');

    expect((await approver.browser.request('GET', `/v1/me/approvals/${ids.fastApproved}`)).status).toBe(200);
    expect((await approver.browser.decide(ids.fastApproved, 'approve')).status).toBe(200);
    expect((await approver.browser.decide(ids.approved, 'approve')).status).toBe(200);
    expect((await approver.browser.decide(ids.denied, 'deny', { reason: 'not now' })).status).toBe(200);
    expect((await approver.browser.decide(ids.old, 'deny')).status).toBe(200);
    expect((await call(`${api.url}/v1/approvals/${ids.cancelled}/cancel`, { token, body: {} })).status).toBe(200);
    await sql(`UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [ids.expired]);
    expect(await api.app.get(ApprovalLifecycleService).expire(ids.expired)).toMatchObject({ status: 'expired' });

    // Known times to decision (10 s, 20 s, 60 s), and one approval from before the period.
    for (const [name, seconds] of [
      ['fastApproved', 10],
      ['approved', 20],
      ['denied', 60],
    ] as const) {
      await sql(`UPDATE approvals SET created_at = decided_at - make_interval(secs => $2) WHERE id = $1`, [ids[name], seconds]);
    }
    await sql(
      `UPDATE approvals SET created_at = now() - interval '10 days', decided_at = now() - interval '10 days' + interval '5 seconds' WHERE id = $1`,
      [ids.old],
    );

    // Deliveries as the worker records them: three that never reached the person in the period, one sent, one old
    // failure. They replace the rows the API planned at intake (Slack is off here and nobody has a push subscription).
    await sql(`DELETE FROM deliveries`);
    const delivery = (approval: string, channel: string, state: string, kind = 'request') =>
      sql(`INSERT INTO deliveries (approval_id, person_id, channel, kind, state, attempts) VALUES ($1, $2, $3, $4, $5, 1)`, [
        approval,
        approver.person.id,
        channel,
        kind,
        state,
      ]);
    await delivery(ids.pending, 'slack', 'failed');
    await delivery(ids.high, 'slack', 'failed');
    await delivery(ids.high, 'web_push', 'gone');
    await delivery(ids.pending, 'web_push', 'unreachable');
    await delivery(ids.denied, 'slack', 'sent');
    await delivery(ids.old, 'slack', 'failed');
    await sql(`UPDATE deliveries SET created_at = now() - interval '10 days' WHERE approval_id = $1`, [ids.old]);
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('counts approvals by tier and outcome, times to decision, fast decisions, failing deliveries and what is pending', async () => {
    const { status, body } = await admin.request<Overview>('GET', '/v1/admin/overview?days=7');
    expect(status).toBe(200);
    expect(body.period.days).toBe(7);
    expect(body.approvals.total).toBe(8);
    expect(body.approvals.by_outcome).toEqual({ approved: 3, denied: 1, expired: 1, cancelled: 1, pending: 2 });
    expect(body.approvals.by_tier).toEqual([
      { tier: 'low', total: 1, approved: 1, denied: 0, expired: 0, cancelled: 0, pending: 0 },
      { tier: 'medium', total: 6, approved: 2, denied: 1, expired: 1, cancelled: 1, pending: 1 },
      { tier: 'high', total: 1, approved: 0, denied: 0, expired: 0, cancelled: 0, pending: 1 },
      { tier: 'critical', total: 0, approved: 0, denied: 0, expired: 0, cancelled: 0, pending: 0 },
      { tier: 'forbidden', total: 0, approved: 0, denied: 0, expired: 0, cancelled: 0, pending: 0 },
    ]);
    // The auto-approved refund had no person deciding: it is not a time to decision.
    expect(body.time_to_decision).toEqual({ decided: 3, p50_seconds: 20, p90_seconds: 52 });
    expect(body.decisions).toMatchObject({ total: 3, fast: 1, fast_threshold_seconds: 2 });
    expect(body.decisions.recent_fast).toEqual([
      expect.objectContaining({ approval_id: ids.fastApproved, person: approver.person.email, verdict: 'approve' }),
    ]);
    expect(body.deliveries_failing).toEqual({
      total: 4,
      by_channel: [
        { channel: 'slack', failed: 2, gone: 0, unreachable: 0, total: 2 },
        { channel: 'web_push', failed: 0, gone: 1, unreachable: 1, total: 2 },
      ],
    });
    expect(body.pending_now).toEqual({
      total: 2,
      by_tier: [
        { tier: 'low', count: 0 },
        { tier: 'medium', count: 1 },
        { tier: 'high', count: 1 },
        { tier: 'critical', count: 0 },
        { tier: 'forbidden', count: 0 },
      ],
    });
  });

  it('a longer period takes in the older approval and its failed delivery', async () => {
    const { body } = await admin.request<Overview>('GET', '/v1/admin/overview?days=30');
    expect(body.approvals.total).toBe(9);
    expect(body.approvals.by_outcome.denied).toBe(2);
    expect(body.time_to_decision.decided).toBe(4);
    expect(body.deliveries_failing.by_channel.find((row) => row.channel === 'slack')?.failed).toBe(3);
  });

  it('refuses a bad period, and anyone but an admin', async () => {
    for (const days of ['0', '91', 'abc', '-1', '7.5']) {
      expect((await admin.request('GET', `/v1/admin/overview?days=${days}`)).body).toMatchObject({ status: 400, field: 'days' });
    }
    expect((await approver.browser.request('GET', '/v1/admin/overview')).status).toBe(403);
    expect((await new PersonBrowser(api.url).request('GET', '/v1/admin/overview')).status).toBe(401);
    expect((await approver.browser.request('GET', '/v1/admin/audit/verify')).status).toBe(403);
    expect((await approver.browser.request('GET', `/v1/admin/agents/${agentId}/approvals`)).status).toBe(403);
  });

  it('lists an agent’s newest approvals, whatever their status', async () => {
    const { status, body } = await admin.request<{
      approvals: Array<{ id: string; status: string; tier: string; action: { type: string }; on_behalf_of: { email: string } }>;
    }>('GET', `/v1/admin/agents/${agentId}/approvals?limit=3`);
    expect(status).toBe(200);
    expect(body.approvals.map((approval) => [approval.id, approval.status, approval.tier])).toEqual([
      [ids.high, 'pending', 'high'],
      [ids.auto, 'approved', 'low'],
      // "old" was created last among the chats but is now dated ten days back; "pending" is the newest chat.
      [ids.pending, 'pending', 'medium'],
    ]);
    expect(body.approvals[0]).toMatchObject({ action: { type: 'payments.refund' }, on_behalf_of: { email: approver.person.email } });
    expect((await admin.request('GET', `/v1/admin/agents/${agentId}/approvals`)).body).toMatchObject({ approvals: expect.any(Array) });
    expect((await admin.request<{ approvals: unknown[] }>('GET', `/v1/admin/agents/${agentId}/approvals`)).body.approvals).toHaveLength(9);
    expect((await admin.request('GET', `/v1/admin/agents/00000000-0000-4000-8000-000000000000/approvals`)).status).toBe(404);
    expect((await admin.request('GET', `/v1/admin/agents/${agentId}/approvals?limit=0`)).body).toMatchObject({
      status: 400,
      field: 'limit',
    });
    expect((await admin.request('GET', `/v1/admin/agents/${agentId}/approvals?limit=x`)).body).toMatchObject({
      status: 400,
      field: 'limit',
    });
  });

  it('verifies the audit chain, and names the first broken link once a row is edited behind the triggers', async () => {
    const intact = await admin.request<{ ok: boolean; checked: number; broken: unknown }>('GET', '/v1/admin/audit/verify');
    expect(intact.status).toBe(200);
    expect(intact.body).toMatchObject({ ok: true, broken: null });
    expect(intact.body.checked).toBeGreaterThan(10);

    const victim = await sql(`SELECT seq::text AS seq FROM audit_events ORDER BY seq OFFSET 4 LIMIT 1`);
    const seq = (victim.rows[0] as { seq: string }).seq;
    await withClient(database.url, async (client) => {
      // Only the table's owner, switching the trigger off, can do this; verification must still notice.
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
      await client.query(`UPDATE audit_events SET data = data || '{"tampered": true}'::jsonb WHERE seq = $1`, [seq]);
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
    });
    const broken = await admin.request<{ ok: boolean; checked: number; broken: { seq: string; problem: string } }>(
      'GET',
      '/v1/admin/audit/verify',
    );
    expect(broken.body).toMatchObject({ ok: false, checked: Number(seq) - 1, broken: { seq, problem: 'hash_mismatch' } });
  });
});
