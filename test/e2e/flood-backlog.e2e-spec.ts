import { type INestApplicationContext } from '@nestjs/common';
import { AuditService } from '@countersign/audit';
import { QueueService } from '@countersign/queue';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  FakeSlack,
  newAgent,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  withClient,
} from '@countersign/testing';

const SLACK_LATENCY_MS = 300;
const BACKLOG_LIMIT_MS = 500;

type Problem = { code: string; detail: string };

/**
 * Backpressure on a flood (ADR 0010): once a flooding agent's deliveries start more than FLOOD_BACKLOG_LIMIT_MS
 * after they were enqueued, its new requests are refused with 429 and Retry-After until they catch up. An agent
 * that is not flooding is never refused for a late delivery, however late.
 */
describe('backpressure on a flood', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;
  let email: string;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase('floodbacklog'), new FakeSlack().start()]);
    // No worker yet: the first test makes deliveries start late by starting it late.
    api = await startApi(
      testConfig({
        DATABASE_URL: database.url,
        ...slack.config(),
        WORKER_FLOODING_CONCURRENCY: '1',
        FLOOD_BACKLOG_LIMIT_MS: String(BACKLOG_LIMIT_MS),
        // A delivery whose job was lost is found by the sweep within the wait of untilPosted.
        NOTIFICATION_REDELIVERY_AFTER_SECONDS: '10',
        EXPIRY_SWEEP_SECONDS: '5',
      }),
    );
    slack.latencyMs = SLACK_LATENCY_MS;
    const { person } = await signedInPerson(api.app, api.url, { role: 'approver' });
    slack.addUser(person.email);
    email = person.email;
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await api.close();
    await slack.close();
    await database.drop();
  });

  const agent = async (name: string) => {
    const created = await newAgent(api.app, { name: `backlog-${name}`, capabilities: ['chat.*'] });
    return { id: created.id, clientId: created.clientId, token: await agentAccessToken(api.url, created.clientId, created.clientSecret) };
  };
  const request = (token: string, n: number) =>
    call<{ id: string } & Problem>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: `n${n}` } },
        on_behalf_of: email,
        audience: 'https://chat.internal',
      },
    });
  const posted = (id: string) =>
    slack.calls.some(
      (slackCall) =>
        slackCall.method === 'chat.postMessage' &&
        (slackCall.args.metadata as { event_payload?: { approval_id?: string } } | undefined)?.event_payload?.approval_id === id,
    );
  // The worker posts the flood's messages one at a time, so the wait grows with their number (under a loaded CI
  // machine, more of the flood got in before the first refusal and a fixed 20 s ran out once). The base covers the
  // sweep's redelivery too: on a loaded CI run, one of the quiet agent's three posts came later than 10 s (twice,
  // 2026-12-03; not reproduced alone, and under investigation), and this test is about refusals, not latency.
  const untilPosted = async (ids: string[]) => {
    const deadline = Date.now() + 40_000 + 2 * ids.length * SLACK_LATENCY_MS;
    while (!ids.every(posted) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ posted: ids.filter(posted).length }).toEqual({ posted: ids.length });
  };
  const refusalsAudited = async (clientId: string) => {
    await api.app.get(AuditService).flush();
    return withClient(
      database.url,
      async (client) =>
        (
          await client.query(
            `SELECT 1 FROM audit_events WHERE type = 'approval.refused' AND actor_id = $1 AND data->>'code' = 'notifications_backlogged'`,
            [clientId],
          )
        ).rowCount,
    );
  };

  it('never refuses an agent that is not flooding, however late its deliveries start', async () => {
    const quiet = await agent('quiet');
    const sent = await Promise.all([1, 2, 3].map(async (n) => (await request(quiet.token, n)).body.id));
    // The deliveries wait for a worker for twice the limit.
    await new Promise((resolve) => setTimeout(resolve, 2 * BACKLOG_LIMIT_MS));
    worker = await startWorker(api.config);
    await untilPosted(sent);
    const next = await request(quiet.token, 4);
    expect(next.status).toBe(201);
    expect(await refusalsAudited(quiet.clientId)).toBe(0);
  }, 90_000);

  it('refuses a flooding agent with 429 while its deliveries are late, serves a quiet agent meanwhile, and lets the flooder in again once they catch up', async () => {
    const [flooder, quiet] = await Promise.all([agent('flooder'), agent('bystander')]);
    // The flooder has already sent far beyond its fair share: its next jobs count as a flood, one at a time.
    await api.app.get(QueueService).fairPriority('medium', flooder.id, 1_000);
    const flood = await Promise.all(Array.from({ length: 6 }, async (_, n) => (await request(flooder.token, n)).body.id));
    expect(flood.every((id) => typeof id === 'string')).toBe(true);

    // One at a time through Slack's 300 ms, the third of the six starts more than 500 ms after it was enqueued.
    const deadline = Date.now() + 10_000;
    let refused = await request(flooder.token, 100);
    const acceptedMeanwhile: string[] = [];
    while (refused.status === 201 && Date.now() < deadline) {
      acceptedMeanwhile.push(refused.body.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      refused = await request(flooder.token, 100);
    }
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('notifications_backlogged');
    expect(refused.body.detail).toMatch(/going out \d+\.\d s late/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Refused again: still one audit event for the episode, not one per refusal.
    expect((await request(flooder.token, 101)).status).toBe(429);
    expect(await refusalsAudited(flooder.clientId)).toBe(1);

    // Everyone else is served meanwhile, and their message goes out ahead of the flood's.
    const bystander = await request(quiet.token, 1);
    expect(bystander.status).toBe(201);
    await untilPosted([bystander.body.id]);
    expect([...flood, ...acceptedMeanwhile].some((id) => !posted(id))).toBe(true);

    // Once the flood's deliveries have gone out, the mark lapses within a second and the flooder is let in again.
    await untilPosted([...flood, ...acceptedMeanwhile]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await request(flooder.token, 102)).status).toBe(201);
  }, 90_000);
});
