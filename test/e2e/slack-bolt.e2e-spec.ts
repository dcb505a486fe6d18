import { AuditService } from '@countersign/audit';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  dmChannel,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  until,
  withClient,
} from '@countersign/testing';

type View = {
  id: string;
  status: string;
  decisions: Array<{ person: string; verdict: string; channel: string }>;
  notifications: Array<{ person: string; channel: string; state: string }>;
};

jest.setTimeout(60_000);

/** The Slack flow's guarantees that are about Bolt's ways in: ack first, a slow database, the socket's life, Enterprise Grid. */
describe('Slack on Bolt (ADR 0022)', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;

  beforeAll(async () => {
    database = await createMigratedDatabase('slack_bolt');
  });
  afterAll(() => database.drop());

  /** An API (with a worker) for a fake Slack, and what the tests do with it. */
  const running = async (slack: FakeSlack) => {
    const api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config() }));
    const worker = await startWorker(api.config);
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    const agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const agentView = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
    return {
      api,
      worker,
      agentView,
      async close() {
        await worker.close();
        await api.close();
      },
      /** A medium-tier approval whose DM reached the person (the delivery recorded it, so a click in it counts). */
      async approvalFor(user: { id: string; email: string }): Promise<View> {
        const created = await call<View>(`${api.url}/v1/approvals`, {
          token: agentToken,
          body: {
            action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: 'deploy done' } },
            on_behalf_of: user.email,
            audience: 'https://chat.internal',
          },
        });
        expect(created.status).toBe(201);
        return until(
          () => agentView(created.body.id),
          (view) => view.notifications.some((n) => n.person === user.id && n.channel === 'slack' && n.state === 'sent'),
        );
      },
      async person(slackUser: Partial<FakeSlackUser> = {}) {
        const { person } = await signedInPerson(api.app, api.url);
        return { id: person.id, email: person.email, slackUser: slack.addUser(person.email, slackUser) };
      },
      decisionsRecorded: async (approvalId: string) =>
        (await api.app.get(AuditService).search({ type: 'decision.recorded', subjectId: approvalId, limit: 10 })).length,
    };
  };

  describe('over HTTP', () => {
    let slack: FakeSlack;
    let env: Awaited<ReturnType<typeof running>>;

    beforeAll(async () => {
      slack = await new FakeSlack().start();
      env = await running(slack);
    }, 60_000);
    afterAll(async () => {
      await env.close();
      await slack.close();
    });

    const click = (signed: { body: string; headers: Record<string, string> }) =>
      call(`${env.api.url}/slack/events`, { method: 'POST', body: signed.body, headers: signed.headers });

    /**
     * Holds the approval's row lock in another connection (as a stalled database would) until `release` resolves;
     * the events the test sees are recorded in order.
     */
    const holdingTheRow = async (
      approvalId: string,
      events: string[],
      whileHeld: (client: import('pg').Client) => Promise<void> = async () => {},
    ) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = withClient(database.url, async (client) => {
        await client.query('BEGIN');
        await client.query('SELECT id FROM approvals WHERE id = $1 FOR UPDATE', [approvalId]);
        locked();
        // Released when the test says so, or after 5 s at the latest (so a server that waits for the lock still
        // answers, and the order of events shows it).
        await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 5000))]);
        await whileHeld(client);
        events.push('lock released');
        await client.query('COMMIT');
      });
      await isLocked;
      return { release, holder };
    };

    it('Slack is answered while the approval is locked; the decision lands once the lock is released', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      const events: string[] = [];
      const { release, holder } = await holdingTheRow(approval.id, events);

      const answer = await click(slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser }));
      events.push(`slack answered ${answer.status}`);
      expect((await env.agentView(approval.id)).status).toBe('pending');
      release();
      await holder;
      expect(events).toEqual(['slack answered 200', 'lock released']);
      const decided = await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'approved',
      );
      expect(decided.decisions).toEqual([expect.objectContaining({ person: alice.id, verdict: 'approve', channel: 'slack' })]);
      expect(slack.ephemerals.filter((message) => message.text.includes(approval.id))).toEqual([]);
    });

    it('a decision that fails after Slack was answered (the approval expired while locked) is told to the person in the DM', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      const events: string[] = [];
      const { release, holder } = await holdingTheRow(approval.id, events, async (client) => {
        await client.query(`UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [approval.id]);
      });

      const answer = await click(slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser }));
      events.push(`slack answered ${answer.status}`);
      release();
      await holder;
      expect(events).toEqual(['slack answered 200', 'lock released']);
      const told = await slack.waitFor('chat.postEphemeral', (c) => String(c.args.text).includes(approval.id));
      expect(told.args).toMatchObject({ channel: dmChannel(alice.slackUser.id), user: alice.slackUser.id });
      expect(String(told.args.text)).toMatch(/did not record your approval: the approval expired/);
      const view = await env.agentView(approval.id);
      expect([view.status, view.decisions]).toEqual(['expired', []]);
    });

    it('a second click by the same person (another request, not a replay) decides nothing more and tells them why', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      expect((await click(slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser }))).status).toBe(200);
      await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'approved',
      );
      expect((await click(slack.signedClick({ approvalId: approval.id, action: 'deny', user: alice.slackUser }))).status).toBe(200);
      // The deny click opens the modal; its submission is the decision that is refused.
      await slack.waitFor('views.open', (c) => (c.args.view as { private_metadata: string }).private_metadata === approval.id);
      const submitted = await click(
        slack.signedDenySubmission({ approvalId: approval.id, user: alice.slackUser, reason: 'changed my mind' }),
      );
      expect([submitted.status, submitted.body]).toEqual([200, { response_action: 'clear' }]);
      const told = await slack.waitFor('chat.postEphemeral', (c) => String(c.args.text).includes(approval.id));
      expect(told.args.channel).toBe(dmChannel(alice.slackUser.id));
      expect(String(told.args.text)).toMatch(/did not record your denial/);
      expect(await env.decisionsRecorded(approval.id)).toBe(1);
    });

    it('url_verification is answered with its challenge, and only when signed', async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-123' });
      const signed = slack.signed(body);
      const answer = await click({ body, headers: { ...signed.headers, 'content-type': 'application/json' } });
      expect([answer.status, answer.body]).toEqual([200, { challenge: 'c-123' }]);
      const forged = slack.signed(body, undefined, 'not-the-signing-secret-at-all');
      expect((await click({ body, headers: { ...forged.headers, 'content-type': 'application/json' } })).status).toBe(401);
    });

    it('Enterprise Grid: the identity is (org, user id) — a click from another workspace of the org counts, one without the org does not', async () => {
      const alice = await env.person({ team_id: 'T1GRID', enterprise_id: 'E1ORG' });
      const approval = await env.approvalFor(alice);
      expect(
        await withClient(database.url, async (client) => {
          const rows = await client.query<{ team_id: string; enterprise_id: string | null }>(
            `SELECT team_id, enterprise_id FROM slack_identities WHERE person_id = $1`,
            [alice.id],
          );
          return rows.rows;
        }),
      ).toEqual([{ team_id: 'T1GRID', enterprise_id: 'E1ORG' }]);

      // The same user id in the home workspace but without the org: not the linked Grid user.
      const outsideTheOrg: FakeSlackUser = { id: alice.slackUser.id, team_id: 'T1GRID' };
      expect((await click(slack.signedClick({ approvalId: approval.id, action: 'approve', user: outsideTheOrg }))).status).toBe(200);
      // Another Grid org with the same user id: not the linked user either.
      const otherOrg: FakeSlackUser = { ...alice.slackUser, enterprise_id: 'E2ORG' };
      expect((await click(slack.signedClick({ approvalId: approval.id, action: 'approve', user: otherOrg }))).status).toBe(200);
      const refused = async () =>
        (await env.api.app.get(AuditService).search({ type: 'slack.interaction_refused', subjectId: approval.id, limit: 10 })).map(
          (event) => (event.data as { reason: string }).reason,
        );
      expect(await until(refused, (reasons) => reasons.length >= 2)).toEqual(['unknown_slack_user', 'unknown_slack_user']);
      expect((await env.agentView(approval.id)).status).toBe('pending');

      // From another workspace of the same org: the org's user, so the person.
      const elsewhere = await click(
        slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser, teamId: 'T2GRID' }),
      );
      expect(elsewhere.status).toBe(200);
      await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'approved',
      );

      // Nobody else can hold the same Grid user through another workspace.
      const bob = await env.person();
      const linked = await call(`${env.api.url}/v1/admin/people/${bob.id}/slack`, {
        method: 'PUT',
        token: env.api.config.adminToken!,
        body: { user_id: alice.slackUser.id, team_id: 'T2GRID', enterprise_id: 'E1ORG' },
      });
      expect([linked.status, linked.body.code]).toEqual([409, 'conflict']);
    });
  });

  describe('over Socket Mode', () => {
    let slack: FakeSlack;
    let env: Awaited<ReturnType<typeof running>>;

    beforeAll(async () => {
      slack = await new FakeSlack().start();
      await slack.withSocketMode();
      env = await running(slack);
      await slack.socketMode!.whenConnected();
    }, 60_000);
    afterAll(async () => {
      await env.close();
      await slack.close();
    });

    const socket = () => slack.socketMode!;
    const opened = () => slack.callsTo('apps.connections.open').length;

    it('opens the connection with the app-level token, and the HTTP endpoint is off', async () => {
      const opens = slack.callsTo('apps.connections.open');
      expect(opens.length).toBeGreaterThanOrEqual(1);
      expect(opens.every((c) => c.token === socket().appToken)).toBe(true);
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      const answer = await call(`${env.api.url}/slack/events`, {
        method: 'POST',
        ...slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser }),
      });
      expect([answer.status, answer.body.code]).toEqual([409, 'channel_unavailable']);
      expect((await env.agentView(approval.id)).status).toBe('pending');
    });

    it('reconnects when Slack asks it to (disconnect: refresh_requested), through a fresh apps.connections.open; later clicks work', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      const before = opened();
      const reconnected = socket().whenConnected(true);
      socket().disconnect();
      await reconnected;
      expect(opened()).toBe(before + 1);
      const { acked } = socket().send(
        'interactive',
        slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser }),
      );
      await acked;
      await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'approved',
      );
    });

    it('a click sent just before the connection drops is neither lost nor applied twice', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      const before = opened();
      const reconnected = socket().whenConnected(true);
      const { envelope } = socket().send(
        'interactive',
        slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser }),
      );
      socket().drop();
      await reconnected;
      expect(opened()).toBe(before + 1);
      // Unacknowledged when the connection went, so Slack sent it again on the new one; it is acknowledged there.
      await until(
        () => Promise.resolve(socket().acks.filter((ack) => ack.envelope_id === envelope.envelope_id).length),
        (count) => count >= 1,
      );
      const decided = await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'approved',
      );
      expect(decided.decisions).toEqual([expect.objectContaining({ person: alice.id, verdict: 'approve', channel: 'slack' })]);
      expect(await env.decisionsRecorded(approval.id)).toBe(1);
      expect(slack.ephemerals.filter((message) => message.text.includes(approval.id))).toEqual([]);
    });

    it('the deny modal over the socket: the submission is acknowledged with the modal cleared, and carries the reason', async () => {
      const alice = await env.person();
      const approval = await env.approvalFor(alice);
      await socket().send('interactive', slack.clickPayload({ approvalId: approval.id, action: 'deny', user: alice.slackUser })).acked;
      await slack.waitFor('views.open', (c) => (c.args.view as { private_metadata: string }).private_metadata === approval.id);
      const ack = await socket().send(
        'interactive',
        slack.denySubmissionPayload({ approvalId: approval.id, user: alice.slackUser, reason: 'not today' }),
      ).acked;
      expect(ack.payload).toEqual({ response_action: 'clear' });
      const denied = await until(
        () => env.agentView(approval.id),
        (view) => view.status === 'denied',
      );
      expect(denied.decisions).toEqual([expect.objectContaining({ person: alice.id, verdict: 'deny', channel: 'slack' })]);
    });

    it('the slash command and app_home_opened reach their listeners; the command is answered in its acknowledgement', async () => {
      const alice = await env.person();
      const command = await socket().send('slash_commands', {
        api_app_id: slack.appId,
        command: '/countersign',
        text: '',
        user_id: alice.slackUser.id,
        team_id: alice.slackUser.team_id,
        channel_id: dmChannel(alice.slackUser.id),
        trigger_id: 'T.1',
      }).acked;
      expect(command.payload).toMatchObject({ response_type: 'ephemeral', text: expect.any(String) });
      const event = await socket().send('events_api', {
        type: 'event_callback',
        api_app_id: slack.appId,
        team_id: alice.slackUser.team_id,
        event_id: 'Ev1',
        event: { type: 'app_home_opened', user: alice.slackUser.id, channel: dmChannel(alice.slackUser.id), tab: 'home' },
      }).acked;
      expect(event.envelope_id).toBeDefined();
    });
  });
});
