import { jobId, QueueName, QueueService } from '@countersign/queue';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  FakePushService,
  FakeSlack,
  newAgent,
  type RunningApi,
  signedInPerson,
  startApi,
  testConfig,
  withClient,
} from '@countersign/testing';

type Delivery = { approval_id: string; person_id: string; channel: string; state: string; detail: string | null; id: string };

/**
 * New approvals are planned in the API right after intake (no plan job): with no worker running at all, the
 * delivery rows, the approval's `notified_at` and the delivery jobs are there when the agent has its 201.
 */
describe('notifications planned at intake', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let push: FakePushService;
  let api: RunningApi;
  let agentToken: string;

  beforeAll(async () => {
    [database, slack, push] = await Promise.all([
      createMigratedDatabase('planning'),
      new FakeSlack().start(),
      new FakePushService().start(),
    ]);
    api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config(), ...push.config() }));
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await Promise.all([slack.close(), push.close()]);
    await database.drop();
  });

  /** Medium tier in the default taxonomy (Slack and push; the person it is for decides). */
  const chatMessage = (email: string, text: string) => ({
    action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text } },
    on_behalf_of: email,
    audience: 'https://chat.internal',
  });
  const deliveriesOf = (ids: string[]) =>
    withClient(
      database.url,
      async (client) =>
        (
          await client.query<Delivery>(
            `SELECT id, approval_id, person_id, channel, state, detail FROM deliveries WHERE approval_id = ANY($1::uuid[]) ORDER BY channel`,
            [ids],
          )
        ).rows,
    );
  const job = (id: string) => api.app.get(QueueService).queue(QueueName.Notifications).getJob(id);

  it('plans each approver × channel and enqueues the deliveries before answering, with no plan job', async () => {
    const { person: withPush, browser } = await signedInPerson(api.app, api.url, { role: 'approver' });
    expect((await browser.request('POST', '/v1/me/push-subscriptions', push.subscription().json)).status).toBe(201);
    const { person: withoutPush } = await signedInPerson(api.app, api.url, { role: 'approver' });

    // Requests arriving together share the planning statement: each approval still gets its own rows.
    const people = [withPush, withoutPush, withPush, withoutPush, withPush, withoutPush];
    const created = await Promise.all(
      people.map((person, n) =>
        call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
          token: agentToken,
          body: chatMessage(person.email, `message ${n}`),
        }),
      ),
    );
    expect(created.map((response) => response.status)).toEqual(people.map(() => 201));

    const rows = await deliveriesOf(created.map((response) => response.body.id));
    for (const [n, person] of people.entries()) {
      const mine = rows.filter((row) => row.approval_id === created[n].body.id);
      expect(mine.map((row) => [row.person_id, row.channel, row.state])).toEqual([
        [person.id, 'slack', 'queued'],
        [person.id, 'web_push', person === withPush ? 'queued' : 'unreachable'],
      ]);
      if (person === withoutPush) expect(mine[1].detail).toMatch(/no push subscription/);
      // The plan job of the worker's days is not there; each queued delivery's job is.
      expect(await job(jobId.plan(created[n].body.id))).toBeUndefined();
      for (const row of mine.filter((delivery) => delivery.state === 'queued'))
        expect((await job(jobId.deliver(row.id)))?.data).toEqual({ deliveryId: row.id, agentId: expect.any(String) });
    }
    const notified = await withClient(
      database.url,
      async (client) =>
        (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM approvals WHERE id = ANY($1::uuid[]) AND notified_at IS NOT NULL`,
            [created.map((response) => response.body.id)],
          )
        ).rows[0].n,
    );
    expect(notified).toBe(people.length);

    // The agent's view already shows who is being reached.
    const view = await call<{ notifications: Array<{ channel: string; state: string }> }>(`${api.url}/v1/approvals/${created[1].body.id}`, {
      token: agentToken,
    });
    expect(view.body.notifications.map((n) => [n.channel, n.state])).toEqual([
      ['slack', 'queued'],
      ['web_push', 'unreachable'],
    ]);
  });

  it('plans nothing twice: planning the same approval again leaves its rows and jobs as they were', async () => {
    const { person } = await signedInPerson(api.app, api.url, { role: 'approver' });
    const created = await call<{ id: string }>(`${api.url}/v1/approvals`, { token: agentToken, body: chatMessage(person.email, 'once') });
    const before = await deliveriesOf([created.body.id]);
    // What the sweep does for an approval it believes unplanned: the worker's plan, from a job.
    const { NotificationService } = await import('@countersign/channels');
    await api.app.get(NotificationService).plan(created.body.id);
    expect(await deliveriesOf([created.body.id])).toEqual(before);
  });
});
