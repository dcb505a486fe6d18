import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { CliModule } from '../apps/cli/src/cli.module';
import { loadConfig } from '../libs/config/src';
import { createMigratedDatabase, TEST_REDIS_URL } from '../test/support/database';
import { agentAccessToken, call, newAgent } from '../test/support/harness';
import { signedInPerson } from '../test/support/people';

const APPROVALS = 1_000;
const WARM_UP = 50;
const CONCURRENCY = 10;
const POLL_INTERVAL_SECONDS = 5;
const SUBSCRIBE_TIMEOUT_MS = 5_000;
const ROOT = join(__dirname, '..', '..');

export interface DecisionFigures {
  approvals: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  /** The bare HTTP floor: GET /health/live on the same API process, same client, same concurrency. */
  ceilingP50Ms: number;
  ceilingP99Ms: number;
  /** Computed, not measured: a client polling every 5 s sees the change after a delay uniform in [0, 5 s). */
  pollingP50Ms: number;
  pollingP99Ms: number;
}

type View = { id: string; status: string; approval_token?: string };

/**
 * Decision-to-agent latency: the agent long-polls `GET /v1/approvals/{id}?wait=30`; the person decides through
 * `POST /v1/me/approvals/{id}/decision` (passkey session, medium tier, so no step-up). Timed from the moment the
 * decision request is sent until the long-poll's answer (approved, with its token) has arrived at the agent.
 */
export async function benchDecision(log: (message: string) => void): Promise<DecisionFigures> {
  const database = await createMigratedDatabase('bench_decision');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `cs-bench-${randomBytes(4).toString('hex')}`,
    COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'bench-key-encryption-secret-0123456789',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    // WebAuthn's relying party id and the Origin/CSRF checks come from PUBLIC_URL: it must be the URL we call.
    PUBLIC_URL: url,
  };
  let api: ChildProcess | undefined;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: false });
  try {
    api = spawn(process.execPath, [join(ROOT, 'bin', 'countersign.js'), 'api'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForReady(url);

    const admin = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    const { person, browser } = await signedInPerson(admin, url, { role: 'approver', permissions: ['*'] });
    const agent = await newAgent(admin, { name: 'bench-decision-agent', capabilities: ['chat.*'], requestsPerMinute: 100_000_000, maxPending: 100_000 });
    await admin.close();
    const token = await agentAccessToken(url, agent.clientId, agent.clientSecret);
    // Medium tier in the default taxonomy: one approval by the on-behalf-of person, no passkey step-up.
    const body = { action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } }, on_behalf_of: person.email, audience: 'https://chat.internal' };
    // The long-poll's Redis channel (libs/approvals/src/approval-events.ts, keyed by RedisService.key).
    const channel = (approvalId: string) => `${env.REDIS_PREFIX}:approval:${approvalId}`;

    const once = async (): Promise<number> => {
      const created = await call<View>(`${url}/v1/approvals`, { token, body });
      if (created.status !== 201 || created.body.status !== 'pending') throw new Error(`intake answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id = created.body.id;
      let answeredAt = Number.NaN;
      const waiting = call<View>(`${url}/v1/approvals/${id}?wait=30`, { token }).then((answer) => {
        answeredAt = performance.now();
        return answer;
      });
      // Decide only once the API holds the long-poll (subscribed to the approval's channel), as a person would.
      await waitForSubscriber(redis, channel(id));
      const sentAt = performance.now();
      const decided = await browser.decide(id, 'approve');
      if (decided.status !== 200 || decided.body.status !== 'approved') throw new Error(`decision answered ${decided.status}: ${JSON.stringify(decided.body)}`);
      const answer = await waiting;
      if (answer.status !== 200 || answer.body.status !== 'approved' || !answer.body.approval_token) throw new Error(`long-poll answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      if (!(answeredAt >= sentAt)) throw new Error('the long-poll answered before the decision was sent');
      return answeredAt - sentAt;
    };

    log(`decision-to-agent: ${WARM_UP} warm-up approvals, then ${APPROVALS}, ${CONCURRENCY} at a time...`);
    await inParallel(WARM_UP, CONCURRENCY, once);
    const latencies = await inParallel(APPROVALS, CONCURRENCY, once);

    log(`ceiling: ${APPROVALS} bare GET /health/live on the same API, ${CONCURRENCY} at a time...`);
    const live = async (): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${url}/health/live`);
      await response.text();
      if (response.status !== 200) throw new Error(`/health/live answered ${response.status}`);
      return performance.now() - started;
    };
    await inParallel(WARM_UP, CONCURRENCY, live);
    const floor = await inParallel(APPROVALS, CONCURRENCY, live);

    return {
      approvals: APPROVALS,
      concurrency: CONCURRENCY,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      ceilingP50Ms: percentile(floor, 0.5),
      ceilingP99Ms: percentile(floor, 0.99),
      pollingP50Ms: uniformPollingDelayMs(0.5),
      pollingP99Ms: uniformPollingDelayMs(0.99),
    };
  } finally {
    redis.disconnect();
    api?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await database.drop();
  }
}

/** The q-quantile of the delay a client polling every 5 s sees: the change lands uniformly within an interval. */
function uniformPollingDelayMs(q: number): number {
  return q * POLL_INTERVAL_SECONDS * 1000;
}

/** Nearest-rank percentile. */
function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** Runs `work` `total` times with at most `concurrency` in flight; returns the results. */
async function inParallel(total: number, concurrency: number, work: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
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
  while (performance.now() < deadline) {
    const [, subscribers] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    if (Number(subscribers) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`no long-poll subscribed to ${channel} within ${SUBSCRIBE_TIMEOUT_MS} ms`);
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the API did not become ready within 60 s');
}
