import { type INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { loadConfig } from '@countersign/config';
import { QueueName, QueueService } from '@countersign/queue';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  newPerson,
  type RunningApi,
  startApi,
  startWorker,
  TEST_REDIS_URL,
  testEnv,
} from '@countersign/testing';

jest.setTimeout(120_000);

type View = { id: string; status: string; notifications: Array<{ person: string; channel: string; state: string; kind: string }> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async <T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await sleep(100);
  }
};

/** Medium tier in the default taxonomy: a Slack DM with buttons to the person on whose behalf. */
const chatMessage = (email: string, text: string) => ({
  action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text } },
  on_behalf_of: email,
  audience: 'https://chat.internal',
  expires_in: 25,
});

/** Well under the defaults this suite runs with: a 30 s sweep that re-enqueues only deliveries queued for 60 s. */
const CATCH_UP_WITHIN_MS = 10_000;

/**
 * Redis losing its queue (a restart without persistence, a failover, a flush) while approvals wait to be notified,
 * with the DEFAULT sweep settings (EXPIRY_SWEEP_SECONDS=30, NOTIFICATION_REDELIVERY_AFTER_SECONDS=60): the worker
 * re-enqueues them from Postgres at start and as soon as it sees the queue's marker gone, and each person gets
 * exactly one DM. The loss is simulated by deleting this deployment's BullMQ keys (its own prefix only).
 */
describe('notifications after Redis lost the queue (default sweep settings)', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let env: Record<string, string>;
  let redis: Redis;
  let worker: INestApplicationContext | null = null;
  let agentToken: string;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase('queue_loss'), new FakeSlack().start()]);
    env = testEnv({ DATABASE_URL: database.url, ...slack.config() });
    expect(env.EXPIRY_SWEEP_SECONDS).toBeUndefined();
    expect(env.NOTIFICATION_REDELIVERY_AFTER_SECONDS).toBeUndefined();
    api = await startApi(loadConfig(env));
    redis = new Redis(TEST_REDIS_URL);
    const agent = await newAgent(api.app);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await api.close();
    await dropQueueKeys();
    redis.disconnect();
    await slack.close();
    await database.drop();
  });

  /** Deletes this deployment's queue keys, and only them (every suite has its own REDIS_PREFIX). */
  async function dropQueueKeys(): Promise<number> {
    let deleted = 0;
    for await (const keys of redis.scanStream({ match: `${env.REDIS_PREFIX}:bull:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.del(...keys);
    }
    return deleted;
  }
  const person = async () => {
    const created = await newPerson(api.app);
    return { ...created, slackUser: slack.addUser(created.email) };
  };
  const request = async (email: string, text: string) => {
    const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body: chatMessage(email, text) });
    expect(created.status).toBe(201);
    return created.body;
  };
  const view = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const posts = (user: FakeSlackUser, approvalId: string) =>
    slack.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${user.id}` && JSON.stringify(c.args.blocks).includes(approvalId));
  const slackState = async (id: string) => (await view(id)).notifications.find((n) => n.kind === 'request' && n.channel === 'slack')?.state;

  it('approvals created while no worker ran, their jobs then lost: the worker notifies each person once, within seconds of starting', async () => {
    const people = [await person(), await person(), await person()];
    const approvals: View[] = [];
    for (const [n, someone] of people.entries()) approvals.push(await request(someone.email, `while the worker was down ${n}`));
    for (const approval of approvals) expect(await slackState(approval.id)).toBe('queued');
    // The API enqueued each delivery's job; Redis loses them all.
    expect(await dropQueueKeys()).toBeGreaterThan(0);

    worker = await startWorker(loadConfig(env));
    await until(
      'one DM per approval',
      () => approvals.map((approval, n) => posts(people[n].slackUser, approval.id).length),
      (counts) => counts.every((count) => count >= 1),
      CATCH_UP_WITHIN_MS,
    );
    for (const approval of approvals)
      await until(
        `${approval.id} sent`,
        () => slackState(approval.id),
        (state) => state === 'sent',
        5_000,
      );
    await sleep(1_500);
    expect(approvals.map((approval, n) => posts(people[n].slackUser, approval.id).length)).toEqual([1, 1, 1]);
  });

  it('the queue lost under a running worker, one delivery mid-send: the worker notices, catches up within seconds, and nobody gets a second DM', async () => {
    expect(worker).not.toBeNull();
    const [alice, bob, carol] = [await person(), await person(), await person()];
    // Alice's DM is on its way to Slack and held there (Slack has not taken it yet) while the queue is lost.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    let armed = true;
    slack.beforeAnswer = async (method) => {
      if (method !== 'chat.postMessage' || !armed) return;
      armed = false;
      held();
      await released;
    };
    const forAlice = await request(alice.email, 'in flight');
    await holding;

    // Bob's and Carol's jobs wait in the queue (paused, so the worker does not take them) when it is lost.
    const notifications = api.app.get(QueueService).queue(QueueName.Notifications);
    await notifications.pause();
    const forBob = await request(bob.email, 'waiting 1');
    const forCarol = await request(carol.email, 'waiting 2');
    await sleep(500);
    expect([await slackState(forBob.id), await slackState(forCarol.id)]).toEqual(['queued', 'queued']);
    expect(await dropQueueKeys()).toBeGreaterThan(0);

    await until(
      'Bob and Carol reached',
      () => [posts(bob.slackUser, forBob.id).length, posts(carol.slackUser, forCarol.id).length],
      (counts) => counts.every((count) => count >= 1),
      CATCH_UP_WITHIN_MS,
    );
    // The catch-up re-enqueued Alice's delivery too; its job found the delivery being sent and waits (it must not
    // post while the first attempt is still on its way).
    const delayed = async () =>
      (await notifications.getDelayedCount()) + (await api.app.get(QueueService).queue(QueueName.FloodNotifications).getDelayedCount());
    await until(
      "the catch-up job of Alice's delivery ran",
      async () => ({ delayed: await delayed(), posted: posts(alice.slackUser, forAlice.id).length }),
      (seen) => seen.delayed >= 1 || seen.posted >= 1,
      CATCH_UP_WITHIN_MS,
    );
    expect(posts(alice.slackUser, forAlice.id)).toHaveLength(0);
    release();
    slack.beforeAnswer = null;
    await until(
      'Alice reached',
      () => slackState(forAlice.id),
      (state) => state === 'sent',
      CATCH_UP_WITHIN_MS,
    );
    // Past the waiting job's next look (at most 5 s): it finds the delivery sent and does nothing.
    await sleep(6_500);
    expect([
      posts(alice.slackUser, forAlice.id).length,
      posts(bob.slackUser, forBob.id).length,
      posts(carol.slackUser, forCarol.id).length,
    ]).toEqual([1, 1, 1]);
    for (const approval of [forAlice, forBob, forCarol]) expect(await slackState(approval.id)).toBe('sent');
  });
});
