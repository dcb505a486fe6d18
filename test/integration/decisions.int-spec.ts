import { AuditService } from '@countersign/audit';
import {
  agentAccessToken,
  call,
  newAgent,
  newResourceServer,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  withClient,
} from '@countersign/testing';

type View = { id: string; status: string };

/** Concurrency against real Postgres: the approval's row lock and the one-decision-per-person constraint. */
describe('deciding under concurrency', () => {
  let api: RunningApi;
  let agentToken: string;
  let audience: string;

  beforeAll(async () => {
    api = await startApi();
    const agent = await newAgent(api.app, { capabilities: ['chat.*', 'payments.*'], maxPending: 1000 });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    audience = (await newResourceServer(api.app)).audience;
  });
  afterAll(() => api.close());

  /** Medium tier in the default taxonomy: one approval, from the person or (here) an admin named by role. */
  async function pendingFor(email: string): Promise<View> {
    const created = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: { action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hello' } }, on_behalf_of: email, audience },
    });
    expect(created.body.status).toBe('pending');
    return created.body;
  }

  const counts = (approvalId: string) =>
    withClient(api.config.databaseUrl, async (client) => {
      const decisions = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM decisions WHERE approval_id = $1`, [
        approvalId,
      ]);
      const tokens = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM issued_tokens WHERE approval_id = $1`, [
        approvalId,
      ]);
      return { decisions: decisions.rows[0].count, tokens: tokens.rows[0].count };
    });

  it('50 concurrent approvals of one approval by the same person: one decision, one token, 49 conflicts', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const approval = await pendingFor(person.email);
    const answers = await Promise.all(Array.from({ length: 50 }, () => browser.decide(approval.id, 'approve')));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.code)).toEqual(Array(49).fill('already_decided'));
    expect(await counts(approval.id)).toEqual({ decisions: 1, tokens: 1 });
  });

  it('50 different eligible people approving at once: exactly one final decision and one token', async () => {
    const { person: owner } = await signedInPerson(api.app, api.url);
    // Medium needs one approval from on_behalf_of; a requirement naming admins lets many people race for it.
    const approval = await pendingFor(owner.email);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(
        `UPDATE approvals SET requirement = jsonb_set(requirement, '{approvers}', '["on_behalf_of", "role:admin"]') WHERE id = $1`,
        [approval.id],
      ),
    );
    const admins: PersonBrowser[] = [];
    for (let index = 0; index < 50; index++) admins.push((await signedInPerson(api.app, api.url, { role: 'admin' })).browser);
    const answers = await Promise.all(admins.map((admin) => admin.decide(approval.id, 'approve')));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(
      new Set(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.body.code as string}`)),
    ).toEqual(new Set(['409 already_decided']));
    expect(await counts(approval.id)).toEqual({ decisions: 1, tokens: 1 });
  }, 60_000);

  it('approve racing deny ends in one state, and both attempts are audited', async () => {
    const { person: owner, browser: ownerBrowser } = await signedInPerson(api.app, api.url);
    const { browser: admin } = await signedInPerson(api.app, api.url, { role: 'admin' });
    const approval = await pendingFor(owner.email);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(
        `UPDATE approvals SET requirement = jsonb_set(requirement, '{approvers}', '["on_behalf_of", "role:admin"]') WHERE id = $1`,
        [approval.id],
      ),
    );
    const [approve, deny] = await Promise.all([
      ownerBrowser.decide(approval.id, 'approve'),
      admin.decide(approval.id, 'deny', { reason: 'not now' }),
    ]);
    expect([approve.status, deny.status].sort()).toEqual([200, 409]);
    const final = await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken });
    expect(final.body.status).toBe(approve.status === 200 ? 'approved' : 'denied');
    expect((await counts(approval.id)).tokens).toBe(final.body.status === 'approved' ? 1 : 0);

    await api.app.get(AuditService).flush();
    const events = await withClient(api.config.databaseUrl, (client) =>
      client.query<{ type: string; data: { code?: string } }>(
        `SELECT type, data FROM audit_events WHERE subject_id = $1 AND type IN ('decision.recorded', 'decision.refused') ORDER BY seq`,
        [approval.id],
      ),
    );
    expect(events.rows.map((row) => row.type).sort()).toEqual(['decision.recorded', 'decision.refused']);
    expect(events.rows.find((row) => row.type === 'decision.refused')?.data.code).toBe('already_decided');
  });

  it('a quorum of two, every approver queued on the lock at once: each counts the decisions committed before it got the lock', async () => {
    const { person: owner } = await signedInPerson(api.app, api.url);
    const approval = await pendingFor(owner.email);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(
        `UPDATE approvals SET requirement = requirement || '{"approvers": ["role:admin"], "approvals_required": 2}'::jsonb WHERE id = $1`,
        [approval.id],
      ),
    );
    const admins: PersonBrowser[] = [];
    for (let index = 0; index < 6; index++) admins.push((await signedInPerson(api.app, api.url, { role: 'admin' })).browser);
    // Hold the approval's row lock until every decider waits on it, so each one's read of the decisions so far
    // happens after another decider committed (a read taken with the lock statement would miss those).
    const answers = await withClient(api.config.databaseUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM approvals WHERE id = $1 FOR UPDATE', [approval.id]);
      const deciding = Promise.all(admins.map((admin) => admin.decide(approval.id, 'approve')));
      for (let waiting = 0; waiting < admins.length;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const locked = await client.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'approvals' AND l.mode = 'RowShareLock' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.pid IN (SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock')`,
        );
        waiting = locked.rows[0].count;
      }
      await client.query('COMMIT');
      return deciding;
    });
    // The first leaves it pending, the second settles it, everyone after finds it approved.
    expect(
      answers
        .filter((answer) => answer.status === 200)
        .map((answer) => answer.body.status)
        .sort(),
    ).toEqual(['approved', 'pending']);
    expect(
      new Set(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.body.code as string}`)),
    ).toEqual(new Set(['409 already_decided']));
    expect(await counts(approval.id)).toEqual({ decisions: 2, tokens: 1 });
    const final = await call<View & { decisions: unknown[] }>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken });
    expect(final.body).toMatchObject({ status: 'approved' });
    expect(final.body.decisions).toHaveLength(2);
  }, 60_000);
});
