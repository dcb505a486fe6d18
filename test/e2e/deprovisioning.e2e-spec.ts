import { type INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { CLI } from '@countersign/audit';
import { type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  dmChannel,
  FakePushService,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  newPerson,
  newResourceServer,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  withClient,
} from '@countersign/testing';
import { cli } from '../integration/run-cli';

jest.setTimeout(90_000);

type View = {
  id: string;
  status: string;
  approval_token?: string;
  escalated_to?: string[];
  decisions: Array<{ person: string; verdict: string }>;
  notifications: Array<{ person: string; channel: string; state: string; kind: string }>;
};

const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

type Cast = { person: PersonRecord; browser: PersonBrowser; slackUser: FakeSlackUser };

/**
 * Issue 18, deprovisioning: each consequence of disabling a person, one by one, through the doors a user meets
 * (the admin API, the CLI, the agent API, the browser session, the fake Slack and push services).
 */
describe('deprovisioning: disabling a person takes everything away at once, audited', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let push: FakePushService;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let admin: Cast;
  let agentToken: string;
  let requester: PersonRecord;
  const cast: Record<string, Cast> = {};

  const person = async (role: 'approver' | 'admin' = 'approver'): Promise<Cast> => {
    const { person: created, browser } = await signedInPerson(api.app, api.url, { role });
    return { person: created, browser, slackUser: slack.addUser(created.email) };
  };

  /**
   * The tiers under test: `test.notify` lands on medium (the person it is for decides, Slack and push), `test.high`
   * and `test.critical` on tiers each case writes with its own people. Approvals keep the requirement they got.
   */
  const useTiers = async (tiers: { high?: string; critical?: string } = {}) => {
    const placeholder = '{ decision: approve, approvals: 1, approvers: ["role:admin"], step_up: none, channels: [slack], ttl: 30m }';
    const source = [
      'description: deprovisioning tests',
      'trusted_provenance: [user, system]',
      'unknown_action: forbidden',
      'tiers:',
      '  low: { decision: auto_approve, token_ttl: 5m }',
      '  medium: { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none, channels: [slack, web_push], ttl: 30m }',
      `  high: ${tiers.high ?? placeholder}`,
      `  critical: ${tiers.critical ?? placeholder}`,
      '  forbidden: { decision: deny }',
      'matrix:',
      ...['reversible', 'compensable', 'irreversible'].map((r) => `  ${r}: { self: low, team: low, organization: low, external: low }`),
      'actions:',
      ...['medium', 'high', 'critical'].flatMap((tier) => [
        `  - type: "test.${tier === 'medium' ? 'notify' : tier}"`,
        '    reversibility: reversible',
        '    blast_radius: self',
        `    rules: [{ name: ${tier}, when: "true", tier: ${tier} }]`,
      ]),
      '  - type: "test.auto"',
      '    reversibility: reversible',
      '    blast_radius: self',
    ].join('\n');
    await api.app.get(TaxonomyService).apply(CLI, source, 'deprovisioning tests');
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // every instance re-reads the active version within 2 s
  };
  const only = (...people: Cast[]) => people.map((who) => JSON.stringify(`person:${who.person.email}`)).join(', ');

  beforeAll(async () => {
    [database, slack, push] = await Promise.all([
      createMigratedDatabase('deprovisioning'),
      new FakeSlack().start(),
      new FakePushService().start(),
    ]);
    api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config(), ...push.config() }));
    worker = await startWorker(api.config);
    admin = await person('admin');
    for (const name of ['p1', 'p2', 'q2a', 'q2b', 'p3', 'a3', 'p4', 'p5', 'p6', 'q6', 'g1', 'g2']) cast[name] = await person();
    requester = await newPerson(api.app, { permissions: ['*'] });
    await useTiers();
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
    await Promise.all([slack.close(), push.close()]);
    await database.drop();
  });

  const request = async (type: string, onBehalfOf: string, extra: Record<string, unknown> = {}) =>
    call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type, resource: 'thing:1', args: { n: Math.random() } },
        on_behalf_of: onBehalfOf,
        audience: 'https://svc.internal',
        ...extra,
      },
    });
  const pending = async (type: string, onBehalfOf = requester.email): Promise<View> => {
    const created = await request(type, onBehalfOf);
    expect(created.body).toMatchObject({ status: 'pending' });
    return created.body;
  };
  const agentView = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const disable = async (who: Cast | PersonRecord) => {
    const id = 'person' in who ? who.person.id : who.id;
    const answer = await admin.browser.request('PATCH', `/v1/admin/people/${id}`, { status: 'disabled' });
    expect(answer.body).toMatchObject({ status: 'disabled' });
  };
  const decide = (who: Cast, id: string, verdict = 'approve') =>
    who.browser.request('POST', `/v1/me/approvals/${id}/decision`, { verdict });
  const audit = async (subjectId: string, type: string) =>
    withClient(database.url, async (client) => {
      const rows = await client.query<{ data: Record<string, unknown>; actor_type: string }>(
        `SELECT data, actor_type FROM audit_events WHERE subject_id = $1 AND type = $2 ORDER BY seq`,
        [subjectId, type],
      );
      return rows.rows;
    });
  /** The audit chain is written by a background chainer: wait for the event to land. */
  const auditSoon = (subjectId: string, type: string, count = 1) =>
    until(
      () => audit(subjectId, type),
      (rows) => rows.length >= count,
    );
  const dmsAbout = (user: FakeSlackUser, approvalId: string) =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === dmChannel(user.id) && JSON.stringify(c.args.blocks).includes(approvalId));

  it('ends their sessions, removes their push subscriptions and Slack link; re-enabling restores none of it', async () => {
    const p1 = cast.p1;
    // Their own Slack user is linked by an admin and has another email, so only the link can reach it.
    const linkedUser = slack.addUser(`slack-only-${p1.person.id}@elsewhere.example`);
    expect(
      (
        await admin.browser.request('PUT', `/v1/admin/people/${p1.person.id}/slack`, {
          user_id: linkedUser.id,
          team_id: linkedUser.team_id,
        })
      ).status,
    ).toBe(200);
    const subscription = push.subscription();
    expect((await p1.browser.request('POST', '/v1/me/push-subscriptions', subscription.json)).status).toBe(201);
    // Before: a request for them reaches both.
    const before = await pending('test.notify', p1.person.email);
    await push.waitFor((p) => p.payload.approval_id === before.id);
    await slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === dmChannel(linkedUser.id) && JSON.stringify(c.args.blocks).includes(before.id),
    );

    await disable(p1);
    expect((await p1.browser.request('GET', '/v1/me')).status).toBe(401);
    await withClient(database.url, async (client) => {
      expect((await client.query(`SELECT 1 FROM sessions WHERE person_id = $1 AND ended_at IS NULL`, [p1.person.id])).rowCount).toBe(0);
      expect((await client.query(`SELECT 1 FROM push_subscriptions WHERE person_id = $1`, [p1.person.id])).rowCount).toBe(0);
      expect((await client.query(`SELECT 1 FROM slack_identities WHERE person_id = $1`, [p1.person.id])).rowCount).toBe(0);
    });
    const [updated] = await auditSoon(p1.person.id, 'person.updated').then((rows) => rows.slice(-1));
    expect(updated.data).toMatchObject({
      after: { status: 'disabled' },
      ended_sessions: 1,
      deprovisioned: { removed_push_subscriptions: 1, removed_slack_link: true, cancelled_approvals: [before.id] },
    });
    expect((await auditSoon(p1.person.id, 'push.unsubscribed'))[0].data).toMatchObject({ reason: 'the person was disabled' });
    expect((await auditSoon(p1.person.id, 'slack.unlinked'))[0].data).toMatchObject({ slack_user_id: linkedUser.id });

    // Enabled again: the old cookie stays dead, and a new request for them reaches neither the old browser nor the old Slack user.
    expect((await admin.browser.request('PATCH', `/v1/admin/people/${p1.person.id}`, { status: 'active' })).body).toMatchObject({
      status: 'active',
    });
    expect((await p1.browser.request('GET', '/v1/me')).status).toBe(401);
    const pushesBefore = push.received.length;
    const after = await pending('test.notify', p1.person.email);
    const settled = await until(
      () => agentView(after.id),
      (view) => view.notifications.length === 2 && view.notifications.every((n) => n.state !== 'queued' && n.state !== 'sending'),
    );
    expect(settled.notifications.find((n) => n.channel === 'web_push')).toMatchObject({ state: 'unreachable' });
    expect(push.received.slice(pushesBefore).filter((p) => p.payload.approval_id === after.id)).toEqual([]);
    expect(dmsAbout(linkedUser, after.id)).toEqual([]);
  });

  it('their approval on a pending two-person quorum no longer counts: one more approval does not complete it, two do', async () => {
    const { p2, q2a, q2b } = cast;
    await useTiers({
      high: `{ decision: approve, approvals: 2, approvers: [${only(p2, q2a, q2b)}], step_up: none, channels: [slack], ttl: 30m }`,
    });
    const approval = await pending('test.high');
    expect((await decide(p2, approval.id)).status).toBe(200);
    expect((await agentView(approval.id)).decisions).toHaveLength(1);

    await disable(p2);
    expect((await agentView(approval.id)).decisions).toEqual([]);
    const [voided] = await auditSoon(approval.id, 'decision.voided');
    expect(voided.data).toMatchObject({ person_id: p2.person.id, verdict: 'approve' });

    expect((await decide(q2a, approval.id)).status).toBe(200);
    expect(await agentView(approval.id)).toMatchObject({ status: 'pending', decisions: [{ person: q2a.person.id }] });
    expect((await decide(q2b, approval.id)).status).toBe(200);
    expect((await agentView(approval.id)).status).toBe('approved');
  });

  it('an approval waiting only on them is escalated now (its escalate_to approver is messaged and decides); one with no escalation expires at once', async () => {
    const { p3, a3 } = cast;
    await useTiers({
      high: `{ decision: approve, approvals: 1, approvers: [${only(p3)}], step_up: none, channels: [slack], ttl: 30m, escalate_after: 20m, escalate_to: [${only(a3)}] }`,
      critical: `{ decision: approve, approvals: 1, approvers: [${only(p3)}], step_up: none, channels: [slack], ttl: 30m }`,
    });
    const escalating = await pending('test.high');
    const lonely = await pending('test.critical');
    expect((await a3.browser.request('GET', `/v1/me/approvals/${escalating.id}`)).status).toBe(404);
    const started = Date.now();
    const waiting = call<View>(`${api.url}/v1/approvals/${lonely.id}?wait=30`, { token: agentToken });
    await new Promise((resolve) => setTimeout(resolve, 300));

    await disable(p3);
    // The agent's long-poll hears at once; EXPIRED, not denied.
    expect((await waiting).body.status).toBe('expired');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await auditSoon(lonely.id, 'approval.status_changed', 2)).map((row) => row.data.to)).toEqual(['pending', 'expired']);

    expect((await agentView(escalating.id)).status).toBe('pending');
    expect((await auditSoon(escalating.id, 'approval.escalated'))[0].data).toMatchObject({
      added: [`person:${a3.person.email}`],
    });
    await slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === dmChannel(a3.slackUser.id) && JSON.stringify(c.args.blocks).includes(escalating.id),
    );
    expect((await decide(a3, escalating.id)).status).toBe(200);
    expect((await agentView(escalating.id)).status).toBe('approved');
  });

  it('a group: approver counts through the members recorded on the approval: it waits while one remains, and expires when the last is disabled', async () => {
    const { g1, g2 } = cast;
    await withClient(database.url, async (client) => {
      const group = await client.query<{ id: string }>(`INSERT INTO groups (name) VALUES ('deprov-finance') RETURNING id`);
      await client.query(`INSERT INTO group_members (group_id, person_id) VALUES ($1, $2), ($1, $3)`, [
        group.rows[0].id,
        g1.person.id,
        g2.person.id,
      ]);
    });
    await useTiers({
      critical: '{ decision: approve, approvals: 1, approvers: ["group:deprov-finance"], step_up: none, channels: [slack], ttl: 30m }',
    });
    const finance = await pending('test.critical');

    await disable(g1);
    // g2 is still a recorded, enabled member: nothing is stranded.
    expect((await agentView(finance.id)).status).toBe('pending');
    await disable(g2);
    expect((await agentView(finance.id)).status).toBe('expired');
  });

  it('agents acting for them are refused with unknown_person (and unknown_user_id through CIBA); their pending requests are cancelled and unconsumed tokens revoked', async () => {
    const { p4 } = cast;
    const server = await newResourceServer(api.app);
    const approved = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: { action: { type: 'test.auto', resource: 'thing:2', args: {} }, on_behalf_of: p4.person.email, audience: server.audience },
    });
    expect(approved.body).toMatchObject({ status: 'approved' });
    const waitingOnThem = await pending('test.notify', p4.person.email);

    await disable(p4);
    expect(await agentView(waitingOnThem.id)).toMatchObject({ status: 'cancelled' });
    const consumed = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: approved.body.approval_token },
      headers: { authorization: 'Basic ' + Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64') },
    });
    expect(consumed.body).toEqual({ active: false });
    const refused = await request('test.notify', p4.person.email);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'unknown_person' });
    // The CIBA door asks the same intake, in CIBA's words.
    const cibaAgent = await newAgent(api.app, {
      capabilities: ['*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['test.notify'] },
    });
    const backchannel = await fetch(`${api.url}/oauth/bc-authorize`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${cibaAgent.clientId}:${cibaAgent.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams({
        login_hint: p4.person.email,
        authorization_details: JSON.stringify([{ type: 'test.notify', identifier: 'thing:9', locations: ['https://svc.internal'] }]),
      }),
    });
    expect({ status: backchannel.status, error: ((await backchannel.json()) as { error: string }).error }).toEqual({
      status: 400,
      error: 'unknown_user_id',
    });
    const [updated] = (await auditSoon(p4.person.id, 'person.updated')).slice(-1);
    expect(updated.data).toMatchObject({ deprovisioned: { cancelled_approvals: [waitingOnThem.id], revoked_tokens: 1 } });
  });

  it('fails closed behind the service: a person disabled without the rest (a crash, a racing intake) has no session and no usable token', async () => {
    const { person: stranded, browser } = await signedInPerson(api.app, api.url, { role: 'approver' });
    const server = await newResourceServer(api.app);
    const approved = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: { action: { type: 'test.auto', resource: 'thing:3', args: {} }, on_behalf_of: stranded.email, audience: server.audience },
    });
    expect(approved.body).toMatchObject({ status: 'approved' });
    // Only the status flips: the sessions and the token rows are as they were.
    await withClient(database.url, (client) => client.query(`UPDATE people SET status = 'disabled' WHERE id = $1`, [stranded.id]));
    expect((await browser.request('GET', '/v1/me')).status).toBe(401);
    const consumed = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: approved.body.approval_token },
      headers: { authorization: 'Basic ' + Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64') },
    });
    expect(consumed.body).toEqual({ active: false });
    // Disabling again through the service finishes the job (it is idempotent): the sessions end, the token is revoked.
    await disable(stranded);
    const [updated] = (await auditSoon(stranded.id, 'person.updated')).slice(-1);
    expect(updated.data).toMatchObject({ ended_sessions: 1, deprovisioned: { revoked_tokens: 1 } });
  });

  it('the CLI disables through the same path: sessions end, an approval only they could decide expires', async () => {
    const { p5 } = cast;
    await useTiers({ high: `{ decision: approve, approvals: 1, approvers: [${only(p5)}], step_up: none, channels: [slack], ttl: 30m }` });
    const stranded = await pending('test.high');
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      REDIS_URL: api.config.redisUrl,
      REDIS_PREFIX: api.config.redisPrefix,
      COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret-0123456789abcdef',
    });
    try {
      const disabled = await cli('--json', 'people', 'disable', p5.person.email);
      expect(disabled).toMatchObject({ code: 0 });
      expect(JSON.parse(disabled.stdout)).toMatchObject({ status: 'disabled' });
    } finally {
      process.env = saved;
    }
    expect((await p5.browser.request('GET', '/v1/me')).status).toBe(401);
    expect(await agentView(stranded.id)).toMatchObject({ status: 'expired' });
    expect((await auditSoon(p5.person.id, 'person.updated')).slice(-1)[0]).toMatchObject({
      actor_type: 'cli',
      data: { deprovisioned: { expired_approvals: [stranded.id] } },
    });
  });

  it('a decision in flight while they are disabled does not count (the decider is locked before the approval)', async () => {
    const { p6, q6 } = cast;
    await useTiers({
      high: `{ decision: approve, approvals: 1, approvers: [${only(p6, q6)}], step_up: none, channels: [slack], ttl: 30m }`,
    });
    const approval = await pending('test.high');
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    const waiters = async () =>
      Number(
        (
          await holder.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
        ).rows[0].n,
      );
    try {
      // Hold the approval's row, so the disable (which has locked the person) waits on it, uncommitted.
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM approvals WHERE id = $1 FOR UPDATE', [approval.id]);
      const disabling = admin.browser.request('PATCH', `/v1/admin/people/${p6.person.id}`, { status: 'disabled' });
      await until(waiters, (n) => n >= 1);
      // Their session is still live (the disable has not committed): the decision starts, and must wait.
      const deciding = decide(p6, approval.id);
      await until(waiters, (n) => n >= 2);
      await holder.query('COMMIT');
      expect((await disabling).body).toMatchObject({ status: 'disabled' });
      const decided = await deciding;
      expect(decided.status).toBe(403);
      expect(decided.body).toMatchObject({ code: 'forbidden' });
    } finally {
      await holder.end();
    }
    expect(await agentView(approval.id)).toMatchObject({ status: 'pending', decisions: [] });
    expect((await auditSoon(approval.id, 'decision.refused'))[0].data).toMatchObject({ code: 'forbidden' });
    // Someone still enabled decides it.
    expect((await decide(q6, approval.id)).status).toBe(200);
    expect((await agentView(approval.id)).status).toBe('approved');
  });
});
