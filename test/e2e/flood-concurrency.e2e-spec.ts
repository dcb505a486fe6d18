import { type INestApplicationContext } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
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
} from '@countersign/testing';

const SLACK_LATENCY_MS = 300;

/**
 * A flooding agent's deliveries run in a queue of their own, WORKER_FLOODING_CONCURRENCY at once per worker
 * (ADR 0010), so they cannot take the slots and the CPU that everyone else's deliveries need; an ordinary agent's
 * message goes out meanwhile.
 */
describe('the flood queue', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase('floodqueue'), new FakeSlack().start()]);
    api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config(), WORKER_FLOODING_CONCURRENCY: '2' }));
    worker = await startWorker(api.config);
    slack.latencyMs = SLACK_LATENCY_MS;
  }, 60_000);
  afterAll(async () => {
    await worker.close();
    await api.close();
    await slack.close();
    await database.drop();
  });

  it("runs a flooding agent's deliveries two at a time while a quiet agent's goes straight out", async () => {
    const { person } = await signedInPerson(api.app, api.url, { role: 'approver' });
    slack.addUser(person.email);
    const agents = await Promise.all(
      ['flooder', 'quiet'].map(async (name) => {
        const agent = await newAgent(api.app, { name: `flood-${name}`, capabilities: ['chat.*'] });
        return { id: agent.id, token: await agentAccessToken(api.url, agent.clientId, agent.clientSecret) };
      }),
    );
    const [flooder, quiet] = agents;
    const request = async (token: string, n: number) =>
      (
        await call<{ id: string }>(`${api.url}/v1/approvals`, {
          token,
          body: {
            action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: `n${n}` } },
            on_behalf_of: person.email,
            audience: 'https://chat.internal',
          },
        })
      ).body.id;

    const received = new Map<string, number>();
    slack.onReceived = (slackCall) => {
      const id = (slackCall.args.metadata as { event_payload?: { approval_id?: string } } | undefined)?.event_payload?.approval_id;
      if (slackCall.method === 'chat.postMessage' && id) received.set(id, performance.now());
    };
    // One message first, so the person's Slack link and DM are known (the lookups would wait on Slack too).
    const first = await request(quiet.token, 0);
    while (!received.has(first)) await new Promise((resolve) => setTimeout(resolve, 50));

    // The flooder has already sent far beyond its fair share: its next jobs count as a flood.
    await api.app.get(QueueService).fairPriority('medium', flooder.id, 1_000);
    const flood = await Promise.all(Array.from({ length: 8 }, (_, n) => request(flooder.token, n)));
    const quietOne = await request(quiet.token, 100);
    const sentQuietAt = performance.now();

    const deadline = Date.now() + 20_000;
    while ([...flood, quietOne].some((id) => !received.has(id)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(flood.filter((id) => received.has(id))).toHaveLength(8);
    // The quiet agent's message did not wait for the flood's (8 at two at a time take four Slack round trips).
    expect(received.get(quietOne)! - sentQuietAt).toBeLessThan(SLACK_LATENCY_MS);
    // At no moment were more than two of the flooder's calls waiting on Slack.
    const starts = flood.map((id) => received.get(id)!).sort((a, b) => a - b);
    const most = Math.max(...starts.map((start) => starts.filter((other) => other >= start && other < start + SLACK_LATENCY_MS).length));
    expect(most).toBeLessThanOrEqual(2);
    expect(starts[starts.length - 1] - starts[0]).toBeGreaterThanOrEqual(3 * SLACK_LATENCY_MS);
  });
});
