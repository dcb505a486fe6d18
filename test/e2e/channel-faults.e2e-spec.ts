import { loadConfig } from '@countersign/config';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  dmChannel,
  FakeSlack,
  type FakeSlackUser,
  freePort,
  newAgent,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  spawnWorker,
  type StartedProcess,
  startApi,
  startPrivateRedis,
  testEnv,
  withClient,
} from '@countersign/testing';

jest.setTimeout(120_000);

type View = {
  id: string;
  status: string;
  decisions: Array<{ person: string; verdict: string; channel: string }>;
  notifications: Array<{ person: string; channel: string; state: string; kind: string }>;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await sleep(100);
  }
};
/** Resolves on `signal()`; a gate the fake Slack waits on while the test kills a process. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

/** Short sweeps and locks so that redelivery happens within seconds; the production defaults are 30 s. */
const FAST = {
  EXPIRY_SWEEP_SECONDS: '1',
  NOTIFICATION_REDELIVERY_AFTER_SECONDS: '1',
  WORKER_LOCK_DURATION_MS: '1500',
  WORKER_STALLED_INTERVAL_MS: '1000',
};

/** Medium tier in the default taxonomy: Slack DM with buttons, one approval by the person on whose behalf. */
const chatMessage = (email: string, text = 'deploy done') => ({
  action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text } },
  on_behalf_of: email,
  audience: 'https://chat.internal',
});

describe('faults: a worker killed mid-delivery (a child process, SIGKILL)', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let env: Record<string, string>;
  const workers: StartedProcess[] = [];
  let agentToken: string;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase('fault_worker'), new FakeSlack().start()]);
    env = testEnv({ DATABASE_URL: database.url, ...slack.config(), ...FAST });
    api = await startApi(loadConfig(env));
    const agent = await newAgent(api.app);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await api.close();
    await slack.close();
    await database.drop();
  });

  const person = async () => {
    const { person: created } = await signedInPerson(api.app, api.url);
    return { ...created, slackUser: slack.addUser(created.email) };
  };
  const request = async (email: string) => {
    const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body: chatMessage(email) });
    expect(created.status).toBe(201);
    return created.body;
  };
  const view = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const requestDelivery = (approval: View) => approval.notifications.find((n) => n.kind === 'request' && n.channel === 'slack');
  const postsAbout = (user: FakeSlackUser, approvalId: string) =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === dmChannel(user.id) && JSON.stringify(c.args.blocks).includes(approvalId));
  const dmsAbout = (user: FakeSlackUser, approvalId: string) =>
    slack.dmAbout(approvalId, user).filter((message) => !message.text.startsWith('Reminder'));
  const spawn = async () => {
    const worker = await spawnWorker(env);
    workers.push(worker);
    return worker;
  };

  it('killed after Slack posted the DM, before the worker learned it: the job runs again elsewhere, finds the message, no second DM', async () => {
    const alice = await person();
    const first = await spawn();
    const held = gate();
    const killed = gate();
    slack.beforeReply = async (call) => {
      if (call.method !== 'chat.postMessage' || call.args.channel !== dmChannel(alice.slackUser.id)) return;
      held.open();
      await killed.opened;
    };
    const approval = await request(alice.email);
    await held.opened;
    // The DM exists in Slack; the worker is waiting for chat.postMessage's answer. SIGKILL: no lock released.
    expect(dmsAbout(alice.slackUser, approval.id)).toHaveLength(1);
    await first.kill();
    killed.open();
    slack.beforeReply = null;
    expect(requestDelivery(await view(approval.id))?.state).toBe('queued');

    const startedAt = Date.now();
    await spawn();
    const done = await until(
      'delivery sent',
      () => view(approval.id),
      (v) => requestDelivery(v)?.state === 'sent',
    );
    const redeliveredAfterMs = Date.now() - startedAt;
    // The second worker looked for the first attempt's message (by its metadata) instead of posting again.
    expect(slack.callsTo('conversations.history').some((c) => c.args.channel === dmChannel(alice.slackUser.id))).toBe(true);
    await sleep(1_500);
    expect(postsAbout(alice.slackUser, approval.id)).toHaveLength(1);
    expect(dmsAbout(alice.slackUser, approval.id)).toHaveLength(1);
    expect(done.status).toBe('pending');
    expect(done.decisions).toEqual([]);
    expect(redeliveredAfterMs).toBeLessThan(15_000);
  });

  it('killed while chat.postMessage was on its way (Slack never took it): the job runs again and posts exactly one DM', async () => {
    const bob = await person();
    const held = gate();
    const killed = gate();
    let armed = true;
    slack.beforeAnswer = async (method) => {
      if (method !== 'chat.postMessage' || !armed) return;
      armed = false;
      held.open();
      await killed.opened;
      // The request never reached Slack: nothing posted, nobody left to read the answer.
      throw new Error('lost in transit');
    };
    const approval = await request(bob.email);
    await held.opened;
    await workers[workers.length - 1].kill();
    killed.open();
    expect(dmsAbout(bob.slackUser, approval.id)).toHaveLength(0);
    slack.beforeAnswer = null;

    await spawn();
    const done = await until(
      'delivery sent',
      () => view(approval.id),
      (v) => requestDelivery(v)?.state === 'sent',
    );
    await sleep(1_500);
    expect(postsAbout(bob.slackUser, approval.id)).toHaveLength(1);
    expect(dmsAbout(bob.slackUser, approval.id)).toHaveLength(1);
    expect(done.status).toBe('pending');
  });
});

describe('faults: Redis (a private redis-server, no persistence) killed mid-flight and started again empty', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let env: Record<string, string>;
  let redisPort: number;
  const started: StartedProcess[] = [];
  let agentToken: string;

  beforeAll(async () => {
    redisPort = await freePort();
    const redis = await startPrivateRedis(redisPort);
    started.push(redis);
    [database, slack] = await Promise.all([createMigratedDatabase('fault_redis'), new FakeSlack().start()]);
    env = testEnv({ DATABASE_URL: database.url, REDIS_URL: redis.url, ...slack.config(), ...FAST });
    api = await startApi(loadConfig(env));
    started.push(await spawnWorker(env));
    const agent = await newAgent(api.app);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  }, 60_000);
  afterAll(async () => {
    // The API first (it closes its Redis connections), then the worker and the redis-server this suite started.
    await Promise.race([api.close(), sleep(10_000)]);
    for (const process of started.reverse()) await process.kill();
    await slack.close();
    await database.drop();
  });

  const view = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const postsAbout = (user: FakeSlackUser, approvalId: string) =>
    slack
      .callsTo('chat.postMessage')
      .filter(
        (c) =>
          c.args.channel === dmChannel(user.id) &&
          JSON.stringify(c.args.blocks).includes(approvalId) &&
          !String(c.args.text).startsWith('Reminder'),
      );

  it('intake fails closed while Redis is down; afterwards every approval, decision and delivery is there, one DM each, nothing approved by accident', async () => {
    const people: Array<{ id: string; email: string; browser: PersonBrowser; slackUser: FakeSlackUser }> = [];
    for (let i = 0; i < 3; i++) {
      const { person, browser } = await signedInPerson(api.app, api.url);
      people.push({ id: person.id, email: person.email, browser, slackUser: slack.addUser(person.email) });
    }
    // A slow Slack keeps deliveries in flight when Redis goes away.
    slack.latencyMs = 150;
    const approvals: Array<{ id: string; person: (typeof people)[number] }> = [];
    for (let i = 0; i < 9; i++) {
      const person = people[i % people.length];
      const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body: chatMessage(person.email, `message ${i}`) });
      expect(created.status).toBe(201);
      approvals.push({ id: created.body.id, person });
    }
    await slack.waitFor('chat.postMessage');
    const postedBeforeKill = slack.callsTo('chat.postMessage').length;

    // Redis dies: every queued, delayed and active job, every quota counter and the sweep's scheduler are gone.
    await started[0].kill();
    await sleep(300);

    // Intake fails closed: the quota cannot be checked, so nothing is accepted.
    const refused = await call(`${api.url}/v1/approvals`, { token: agentToken, body: chatMessage(people[0].email, 'during the outage') });
    expect(refused.status).toBe(503);
    // A person decides during the outage (the web app, passkey session in Postgres). Whatever Redis would carry
    // (the outcome job, the wake-up) is lost; the decision itself must not be.
    const decided = approvals[0];
    const deciding = decided.person.browser.decide(decided.id, 'approve');
    const decision = await Promise.race([deciding, sleep(5_000).then(() => null)]);
    const statusesDuringOutage = await withClient(
      database.url,
      async (client) =>
        (await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM approvals GROUP BY status')).rows,
    );
    process.stderr.write(
      `[redis fault] during the outage: intake ${refused.status}; decision ${decision ? `${decision.status} ${JSON.stringify(decision.body).slice(0, 200)}` : 'no answer within 5 s'}; approvals in Postgres ${JSON.stringify(statusesDuringOutage)}; chat.postMessage before the kill ${postedBeforeKill}\n`,
    );
    // The decision is committed in Postgres and answered during the outage: its follow-up enqueues (outcome,
    // callback) wait for Redis in the background, and the sweep redoes them from Postgres anyway.
    expect(decision?.status).toBe(200);
    expect(decision?.body.status).toBe('approved');
    expect(statusesDuringOutage).toEqual(expect.arrayContaining([{ status: 'approved', n: '1' }]));
    expect(statusesDuringOutage.find((row) => row.status === 'pending')?.n).toBe('8');

    // Redis comes back on the same port, empty.
    started.push(await startPrivateRedis(redisPort));
    slack.latencyMs = 0;

    // Every approval that was pending reaches its person exactly once; the decided one shows its outcome.
    for (const approval of approvals.slice(1)) {
      await until(
        `request delivered for ${approval.id}`,
        () => view(approval.id),
        (v) => v.notifications.some((n) => n.kind === 'request' && n.state === 'sent'),
        45_000,
      );
    }
    const decidedDm = postsAbout(decided.person.slackUser, decided.id);
    if (decidedDm.length > 0) {
      await slack.waitFor(
        'chat.update',
        (c) => c.args.channel === dmChannel(decided.person.slackUser.id) && /Approved/.test(JSON.stringify(c.args.blocks)),
        30_000,
      );
    }
    await sleep(2_000);
    for (const approval of approvals.slice(1))
      expect([approval.id, postsAbout(approval.person.slackUser, approval.id).length]).toEqual([approval.id, 1]);
    // The decided approval: at most one DM (it may have gone out before the kill), never a second.
    expect(decidedDm.length).toBeLessThanOrEqual(1);

    const decidedView = await view(decided.id);
    expect(decidedView.status).toBe('approved');
    expect(decidedView.decisions).toEqual([expect.objectContaining({ person: decided.person.id, verdict: 'approve' })]);
    for (const approval of approvals.slice(1)) {
      const current = await view(approval.id);
      expect([approval.id, current.status, current.decisions]).toEqual([approval.id, 'pending', []]);
    }
    const rows = await withClient(database.url, async (client) => ({
      approvals: (await client.query<{ n: string }>('SELECT count(*) AS n FROM approvals')).rows[0].n,
      approved: (await client.query<{ n: string }>("SELECT count(*) AS n FROM approvals WHERE status = 'approved'")).rows[0].n,
      decisions: (await client.query<{ n: string }>('SELECT count(*) AS n FROM decisions')).rows[0].n,
    }));
    expect(rows).toEqual({ approvals: '9', approved: '1', decisions: '1' });

    // And intake works again.
    const after = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: chatMessage(people[1].email, 'after the outage'),
    });
    expect(after.status).toBe(201);
    await slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(after.body.id), 15_000);
  });
});
