import { type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { CliModule } from '../apps/cli/src';
import { loadConfig } from '../libs/config/src';
import { createMigratedDatabase, TEST_REDIS_URL } from '../test/support/database';
import { agentAccessToken, newAgent } from '../test/support/harness';
import { signedInPerson } from '../test/support/people';
import { benchEnv, dropRedisPrefix, percentile, send, spawnCountersign, waitForReady } from './support';

const APPROVALS = 1_000;
const PRIME = 10;
const WARM_UP = 50;
const CONCURRENCY = 10;
const POLL_INTERVAL_SECONDS = 5;
const SUBSCRIBE_TIMEOUT_MS = 5_000;

export interface DecisionFigures {
  approvals: number;
  concurrency: number;
  /** Decision sent → the agent's long-poll answer, `concurrency` approvals in flight. */
  p50Ms: number;
  p99Ms: number;
  /** The same, one approval at a time. */
  sequentialP50Ms: number;
  sequentialP99Ms: number;
  /** The bare HTTP floor: GET /health/live on the same API process, same client, same concurrency. */
  ceilingP50Ms: number;
  ceilingP99Ms: number;
  /** Computed, not measured: a client polling every 5 s sees the change after a delay uniform in [0, 5 s). */
  pollingP50Ms: number;
  pollingP99Ms: number;
}

type View = { id: string; status: string; approval_token?: string };
type Sample = { toAgent: number; toPerson: number };

const fmt = (samples: Sample[], key: keyof Sample, q: number) =>
  percentile(
    samples.map((sample) => sample[key]),
    q,
  ).toFixed(1);

/**
 * Decision-to-agent latency: the agent long-polls `GET /v1/approvals/{id}?wait=30`; the person decides through
 * `POST /v1/me/approvals/{id}/decision` (passkey session, medium tier, so no step-up). Timed from the moment the
 * decision request is sent until the long-poll's answer (approved, with its token) has arrived at the agent.
 */
export async function benchDecision(log: (message: string) => void): Promise<DecisionFigures> {
  const database = await createMigratedDatabase('bench_decision');
  const { env, url } = benchEnv(database.url);
  let api: ChildProcess | undefined;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: false });
  try {
    api = spawnCountersign('api', env);
    await waitForReady(url);

    const admin = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    const { person, browser } = await signedInPerson(admin, url, { role: 'approver', permissions: ['*'] });
    const agent = await newAgent(admin, {
      name: 'bench-decision-agent',
      capabilities: ['chat.*'],
      requestsPerMinute: 100_000_000,
      maxPending: 100_000,
    });
    await admin.close();
    const token = await agentAccessToken(url, agent.clientId, agent.clientSecret);
    // Medium tier in the default taxonomy: one approval by the on-behalf-of person, no passkey step-up.
    const body = {
      action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
      on_behalf_of: person.email,
      audience: 'https://chat.internal',
    };
    // The long-poll's Redis channel (libs/approvals/src/approval-events.ts, keyed by RedisService.key).
    const channel = (approvalId: string) => `${env.REDIS_PREFIX}:approval:${approvalId}`;

    // Requests go over node:http with kept-alive connections (`send`), as the person's browser and the agent would
    // hold them; fetch cost the load generator about twice the CPU, on the cores it shares with the API.
    const asAgent = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const asPerson = {
      origin: browser.origin,
      cookie: browser.cookie!,
      'x-csrf-token': browser.csrfToken!,
      'content-type': 'application/json',
    };
    const requestBody = JSON.stringify(body);
    const decisionBody = JSON.stringify({ verdict: 'approve' });
    const json = async (sent: Promise<{ status: number; text: string }>) => {
      const { status, text } = await sent;
      return { status, body: JSON.parse(text) as View };
    };

    const once = async (): Promise<Sample> => {
      const created = await json(send('POST', `${url}/v1/approvals`, asAgent, requestBody));
      if (created.status !== 201 || created.body.status !== 'pending')
        throw new Error(`intake answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id = created.body.id;
      let answeredAt = Number.NaN;
      const waiting = json(send('GET', `${url}/v1/approvals/${id}?wait=30`, asAgent)).then((answer) => {
        answeredAt = performance.now();
        return answer;
      });
      // Decide only once the API holds the long-poll (subscribed to the approval's channel), as a person would.
      await waitForSubscriber(redis, channel(id));
      const sentAt = performance.now();
      const decided = await json(send('POST', `${url}/v1/me/approvals/${id}/decision`, asPerson, decisionBody));
      const decidedAt = performance.now();
      if (decided.status !== 200 || decided.body.status !== 'approved')
        throw new Error(`decision answered ${decided.status}: ${JSON.stringify(decided.body)}`);
      const answer = await waiting;
      if (answer.status !== 200 || answer.body.status !== 'approved' || !answer.body.approval_token) {
        throw new Error(
          `long-poll answered ${answer.status} after ${(answeredAt - sentAt).toFixed(0)} ms: ${JSON.stringify(answer.body).slice(0, 300)}`,
        );
      }
      if (!(answeredAt >= sentAt)) throw new Error('the long-poll answered before the decision was sent');
      return { toAgent: answeredAt - sentAt, toPerson: decidedAt - sentAt };
    };

    // The first ones one at a time: the API opens its Redis subscriber connection on the first long-poll, and
    // long-polls subscribing while it connects lose their wake-up (they answer only at their deadline).
    log(
      `decision-to-agent: ${PRIME} approvals one at a time, ${WARM_UP} warm-up, then ${APPROVALS} sequentially and ${APPROVALS} ${CONCURRENCY} at a time...`,
    );
    await inParallel(PRIME, 1, once);
    await inParallel(WARM_UP, CONCURRENCY, once);
    const sequential = await inParallel(APPROVALS, 1, once);
    const concurrentStart = performance.now();
    const concurrent = await inParallel(APPROVALS, CONCURRENCY, once);
    const perSecond = (APPROVALS * 1000) / (performance.now() - concurrentStart);
    log(
      `  sequential: to the agent p50 ${fmt(sequential, 'toAgent', 0.5)} / p99 ${fmt(sequential, 'toAgent', 0.99)} ms; the decision's own response p50 ${fmt(sequential, 'toPerson', 0.5)} / p99 ${fmt(sequential, 'toPerson', 0.99)} ms`,
    );
    log(
      `  ${CONCURRENCY} at a time (${perSecond.toFixed(0)} approvals/s, each created, long-polled and decided): to the agent p50 ${fmt(concurrent, 'toAgent', 0.5)} / p99 ${fmt(concurrent, 'toAgent', 0.99)} ms; the decision's own response p50 ${fmt(concurrent, 'toPerson', 0.5)} / p99 ${fmt(concurrent, 'toPerson', 0.99)} ms`,
    );

    log(`ceiling: ${APPROVALS} bare GET /health/live on the same API, sequentially and ${CONCURRENCY} at a time...`);
    const live = async (): Promise<number> => {
      const started = performance.now();
      const { status } = await send('GET', `${url}/health/live`, {});
      if (status !== 200) throw new Error(`/health/live answered ${status}`);
      return performance.now() - started;
    };
    await inParallel(WARM_UP, CONCURRENCY, live);
    const liveSequential = await inParallel(APPROVALS, 1, live);
    const liveConcurrent = await inParallel(APPROVALS, CONCURRENCY, live);
    log(
      `  sequential p50 ${percentile(liveSequential, 0.5).toFixed(1)} / p99 ${percentile(liveSequential, 0.99).toFixed(1)} ms; ${CONCURRENCY} at a time p50 ${percentile(liveConcurrent, 0.5).toFixed(1)} / p99 ${percentile(liveConcurrent, 0.99).toFixed(1)} ms`,
    );

    const toAgent = (samples: Sample[]) => samples.map((sample) => sample.toAgent);
    return {
      approvals: APPROVALS,
      concurrency: CONCURRENCY,
      p50Ms: percentile(toAgent(concurrent), 0.5),
      p99Ms: percentile(toAgent(concurrent), 0.99),
      sequentialP50Ms: percentile(toAgent(sequential), 0.5),
      sequentialP99Ms: percentile(toAgent(sequential), 0.99),
      ceilingP50Ms: percentile(liveConcurrent, 0.5),
      ceilingP99Ms: percentile(liveConcurrent, 0.99),
      pollingP50Ms: uniformPollingDelayMs(0.5),
      pollingP99Ms: uniformPollingDelayMs(0.99),
    };
  } finally {
    redis.disconnect();
    api?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await database.drop();
    await dropRedisPrefix(env.REDIS_PREFIX!);
  }
}

/** The q-quantile of the delay a client polling every 5 s sees: the change lands uniformly within an interval. */
function uniformPollingDelayMs(q: number): number {
  return q * POLL_INTERVAL_SECONDS * 1000;
}

/** Runs `work` `total` times with at most `concurrency` in flight; returns the results. */
async function inParallel<T>(total: number, concurrency: number, work: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      results.push(await work());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results;
}

async function waitForSubscriber(redis: Redis, channel: string): Promise<void> {
  const deadline = performance.now() + SUBSCRIBE_TIMEOUT_MS;
  // A few ms is what the API needs; polling gently keeps the checks from loading the lanes being measured.
  for (let delay = 2; performance.now() < deadline; delay = Math.min(delay * 2, 10)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    const [, subscribers] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    if (Number(subscribers) > 0) return;
  }
  throw new Error(`no long-poll subscribed to ${channel} within ${SUBSCRIBE_TIMEOUT_MS} ms`);
}
