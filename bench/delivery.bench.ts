import { type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { CliModule } from '../apps/cli/src';
import { loadConfig } from '../libs/config/src';
import { createMigratedDatabase, withClient } from '../test/support/database';
import { FakeSlack } from '../test/support/fakes/fake-slack';
import { agentAccessToken, newAgent } from '../test/support/harness';
import { signedInPerson } from '../test/support/people';
import { benchEnv, dropRedisPrefix, percentile, processCpuMs, send, spawnCountersign, waitForReady, withRedis } from './support';

const RATE = Number(process.env.BENCH_DELIVERY_RATE ?? 100);
/** Until the pools have their connections, every statement is prepared on them and the code is compiled: the first
 * seconds at 100/s ran a backlog of up to a second that a running service does not have. */
const WARM_UP_SECONDS = 10;
const SECONDS = 20;
/** Alone, flooded and turned away, alternating this many times (BENCH_DELIVERY_ROUNDS). */
const ROUNDS = Number(process.env.BENCH_DELIVERY_ROUNDS ?? 3);
const SLACK_LATENCY_MS = 50;
const AGENTS = 4;
/** The flooding agent's quota (requests per minute), and it sends at exactly that rate. */
const FLOOD_PER_MINUTE = 6_000;

interface Phase {
  samples: number[];
  undelivered: number;
}

/** Latencies are the median over the rounds of each round's percentile; `…sMs` are each round's p99. */
export interface DeliveryFigures {
  rate: number;
  seconds: number;
  rounds: number;
  floodPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p99sMs: number[];
  floodedP50Ms: number;
  floodedP99Ms: number;
  floodedP99sMs: number[];
  /** The flooding agent's own deliveries during the flood. */
  flooderP99Ms: number;
  /** The flooding agent's requests answered 429 because its notifications were backlogged (ADR 0010). */
  flooderRefused: number;
  /**
   * The floor: the others' latency while the same flood is turned away at the door, every request past the first
   * answered 429 by a per-minute quota of one. No admission policy that looks at the agent can refuse it for less.
   */
  turnedAwayP50Ms: number;
  turnedAwayP99Ms: number;
  turnedAwayP99sMs: number[];
  undelivered: number;
  errors: number;
  /** A bare client's chat.postMessage round trip to the same fake Slack, at the same rate. */
  ceilingP50Ms: number;
  ceilingP99Ms: number;
  /** CPU used per approval delivered in the phases alone (intake to delivery and the drain after it). */
  workerCpuMsPerApproval: number;
  apiCpuMsPerApproval: number;
  /** The PostgreSQL backends serving this run's database (their connections live for the whole run). */
  postgresCpuMsPerApproval: number;
  /** The Redis server (shared with anything else using it at the time) and this process: load generator and fake Slack. */
  redisCpuMsPerApproval: number;
  benchCpuMsPerApproval: number;
}

/**
 * Intake-to-delivery: from the moment the agent has its 201 for POST /v1/approvals (medium tier, Slack DM) until
 * the fake Slack receives the chat.postMessage for that approval. The API and the worker run as processes of
 * their own (the built CLI: `countersign api`, `countersign worker`); the fake answers every call after 50 ms.
 */
export async function benchDelivery(log: (message: string) => void): Promise<DeliveryFigures> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('BENCH_DELIVERY_ROUNDS must be a whole number of rounds, at least 1');
  const database = await createMigratedDatabase('bench_delivery');
  // A diagnostic: PostgreSQL logs this run's statements slower than BENCH_PG_LOG_MS to its server log.
  if (process.env.BENCH_PG_LOG_MS) {
    const logMs = Number(process.env.BENCH_PG_LOG_MS);
    if (!Number.isInteger(logMs) || logMs < 0) throw new Error('BENCH_PG_LOG_MS must be a whole number of milliseconds');
    await withClient(database.url, (client) =>
      client.query(`ALTER DATABASE "${new URL(database.url).pathname.slice(1)}" SET log_min_duration_statement = ${logMs}`),
    );
  }
  const slack = await new FakeSlack().start();
  slack.latencyMs = SLACK_LATENCY_MS;
  const { env, url } = benchEnv(database.url, slack.config());
  const children: ChildProcess[] = [];
  const posted = new Map<string, number>();
  slack.onReceived = (call) => {
    if (call.method !== 'chat.postMessage') return;
    const id = (call.args.metadata as { event_payload?: { approval_id?: string } } | undefined)?.event_payload?.approval_id;
    if (id && !posted.has(id)) posted.set(id, performance.now());
  };
  try {
    children.push(spawnCountersign('api', env));
    children.push(spawnCountersign('worker', env));
    await waitForReady(url);

    const admin = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    const people: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const { person } = await signedInPerson(admin, url, { role: 'approver', permissions: ['*'] });
      slack.addUser(person.email);
      people.push(person.email);
    }
    const tokens: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const agent = await newAgent(admin, {
        name: `bench-delivery-${i}`,
        capabilities: ['chat.*'],
        requestsPerMinute: 100_000_000,
        maxPending: 1_000_000,
      });
      tokens.push(await agentAccessToken(url, agent.clientId, agent.clientSecret));
    }
    const flooder = await newAgent(admin, {
      name: 'bench-delivery-flood',
      capabilities: ['chat.*'],
      requestsPerMinute: FLOOD_PER_MINUTE,
      maxPending: 1_000_000,
    });
    const flooderToken = await agentAccessToken(url, flooder.clientId, flooder.clientSecret);
    const turnedAway = await newAgent(admin, {
      name: 'bench-delivery-turned-away',
      capabilities: ['chat.*'],
      requestsPerMinute: 1,
      maxPending: 1_000_000,
    });
    const turnedAwayToken = await agentAccessToken(url, turnedAway.clientId, turnedAway.clientSecret);
    await admin.close();

    let errors = 0;
    let flooderRefused = 0;
    let rateLimited = 0;
    const request = async (token: string, email: string): Promise<{ id: string; acceptedAt: number } | null> => {
      const body = JSON.stringify({
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: 'bench' } },
        on_behalf_of: email,
        audience: 'https://chat.internal',
      });
      const { status, text } = await send(
        'POST',
        `${url}/v1/approvals`,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      );
      const acceptedAt = performance.now();
      if (status !== 201) {
        const code = status === 429 ? (JSON.parse(text) as { code?: string }).code : undefined;
        if (token === flooderToken && code === 'notifications_backlogged') flooderRefused++;
        else if (token === turnedAwayToken && code === 'rate_limited') rateLimited++;
        else {
          errors++;
          // The first few, word for word: a 500 here is a bug to find, and the API's own log line says which.
          if (errors <= 3) log(`unexpected answer to an ordinary agent's request: ${status} ${text.slice(0, 300)}`);
        }
        return null;
      }
      return { id: (JSON.parse(text) as { id: string }).id, acceptedAt };
    };
    /** `perSecond` requests a second for `seconds`, open loop (sent on schedule whether or not earlier ones answered). */
    const steady = async (perSecond: number, seconds: number, send: (n: number) => Promise<{ id: string; acceptedAt: number } | null>) => {
      const started = performance.now();
      const pending: Array<Promise<{ id: string; acceptedAt: number } | null>> = [];
      for (let n = 0; n < perSecond * seconds; n++) {
        const due = started + (n * 1000) / perSecond;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(send(n));
      }
      return (await Promise.all(pending)).filter((accepted): accepted is { id: string; acceptedAt: number } => accepted !== null);
    };
    const others = (n: number) => request(tokens[n % AGENTS], people[n % AGENTS]);
    const latencies = async (accepted: Array<{ id: string; acceptedAt: number }>) => {
      const deadline = performance.now() + 30_000;
      while (accepted.some((a) => !posted.has(a.id)) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const delivered = accepted.filter((a) => posted.has(a.id));
      return {
        samples: delivered.map((a) => Math.max(0, posted.get(a.id)! - a.acceptedAt)),
        undelivered: accepted.length - delivered.length,
      };
    };

    log(
      `intake-to-delivery: ${AGENTS} agents at ${RATE} requests/s in all, ${WARM_UP_SECONDS} s warm-up, then ${ROUNDS} rounds of three ${SECONDS} s phases; fake Slack answers in ${SLACK_LATENCY_MS} ms; API and worker as child processes...`,
    );
    await latencies(await steady(RATE, WARM_UP_SECONDS, others));
    const [api, worker] = children;
    const backends = await withClient(database.url, async (client) =>
      (
        await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        )
      ).rows.map((row) => row.pid),
    );
    const postgresCpuMs = () => backends.reduce((sum, pid) => sum + (processCpuMs(pid) || 0), 0);
    const redisCpuMs = async () =>
      withRedis(async (redis) => {
        const info = await redis.info('cpu');
        return ['used_cpu_sys', 'used_cpu_user'].reduce(
          (sum, field) => sum + 1000 * Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN),
          0,
        );
      });
    const benchCpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
    const cpuNow = async () => ({
      api: processCpuMs(api.pid),
      worker: processCpuMs(worker.pid),
      postgres: postgresCpuMs(),
      redis: await redisCpuMs(),
      bench: benchCpuMs(),
    });
    const cpuUsed = { api: 0, worker: 0, postgres: 0, redis: 0, bench: 0 };
    let deliveredAlone = 0;
    const floodPerSecond = FLOOD_PER_MINUTE / 60;
    const phases = { alone: [] as Phase[], flooded: [] as Phase[], flooder: [] as Phase[], turnedAway: [] as Phase[] };
    const summary = (phase: Phase) =>
      `p50 ${percentile(phase.samples, 0.5).toFixed(1)} / p99 ${percentile(phase.samples, 0.99).toFixed(1)} ms, ${phase.undelivered} undelivered`;

    // The machine's noise moves a 20 s p99 by half from one run to the next: the phases alternate, and the figures
    // are the median of the rounds.
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await cpuNow();
      const alone = await latencies(await steady(RATE, SECONDS, others));
      const after = await cpuNow();
      for (const key of Object.keys(cpuUsed) as Array<keyof typeof cpuUsed>) cpuUsed[key] += after[key] - before[key];
      deliveredAlone += alone.samples.length;
      phases.alone.push(alone);
      log(`  round ${round}, alone: ${summary(alone)}`);

      const [loaded, flood] = await Promise.all([
        steady(RATE, SECONDS, others),
        steady(floodPerSecond, SECONDS, () => request(flooderToken, people[0])),
      ]);
      phases.flooded.push(await latencies(loaded));
      phases.flooder.push(await latencies(flood));
      log(
        `  round ${round}, while one more agent floods at its quota (${floodPerSecond} requests/s): ${summary(phases.flooded[round - 1])}; the flooder's own ${summary(phases.flooder[round - 1])}`,
      );

      const [alongside] = await Promise.all([
        steady(RATE, SECONDS, others),
        steady(floodPerSecond, SECONDS, () => request(turnedAwayToken, people[0])),
      ]);
      phases.turnedAway.push(await latencies(alongside));
      log(
        `  round ${round}, while the same flood is turned away at the door (a quota of one request a minute): ${summary(phases.turnedAway[round - 1])}`,
      );
    }
    const workerCpuMsPerApproval = cpuUsed.worker / deliveredAlone;
    const apiCpuMsPerApproval = cpuUsed.api / deliveredAlone;
    const postgresCpuMsPerApproval = cpuUsed.postgres / deliveredAlone;
    const redisCpuMsPerApproval = cpuUsed.redis / deliveredAlone;
    const benchCpuMsPerApproval = cpuUsed.bench / deliveredAlone;
    log(
      `  CPU per approval alone: worker ${workerCpuMsPerApproval.toFixed(1)} ms, API ${apiCpuMsPerApproval.toFixed(1)} ms, PostgreSQL ${postgresCpuMsPerApproval.toFixed(1)} ms (${backends.length} backends), ` +
        `Redis ${redisCpuMsPerApproval.toFixed(1)} ms, load generator and fake Slack ${benchCpuMsPerApproval.toFixed(1)} ms; ` +
        `the flood: ${flooderRefused} of its ${ROUNDS * floodPerSecond * SECONDS} requests refused as backlogged; turned away: ${rateLimited} refused by its quota`,
    );

    log(`ceiling: a bare client's chat.postMessage to the same fake Slack at ${RATE}/s for ${SECONDS / 2} s...`);
    const bare = await steady(RATE, SECONDS / 2, async () => {
      const started = performance.now();
      await send(
        'POST',
        `${slack.url}chat.postMessage`,
        { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json' },
        JSON.stringify({ channel: 'DBENCH', text: 'bench' }),
      );
      return { id: '', acceptedAt: performance.now() - started };
    });
    const ceiling = bare.map((sample) => sample.acceptedAt);
    log(`  p50 ${percentile(ceiling, 0.5).toFixed(1)} / p99 ${percentile(ceiling, 0.99).toFixed(1)} ms`);
    const median = (phase: Phase[], q: number) => medianOf(phase.map((one) => percentile(one.samples, q)));
    const p99s = (phase: Phase[]) => phase.map((one) => percentile(one.samples, 0.99));
    return {
      rate: RATE,
      seconds: SECONDS,
      rounds: ROUNDS,
      floodPerSecond,
      p50Ms: median(phases.alone, 0.5),
      p99Ms: median(phases.alone, 0.99),
      p99sMs: p99s(phases.alone),
      floodedP50Ms: median(phases.flooded, 0.5),
      floodedP99Ms: median(phases.flooded, 0.99),
      floodedP99sMs: p99s(phases.flooded),
      flooderP99Ms: median(phases.flooder, 0.99),
      flooderRefused,
      turnedAwayP50Ms: median(phases.turnedAway, 0.5),
      turnedAwayP99Ms: median(phases.turnedAway, 0.99),
      turnedAwayP99sMs: p99s(phases.turnedAway),
      undelivered: [...phases.alone, ...phases.flooded, ...phases.turnedAway].reduce((sum, phase) => sum + phase.undelivered, 0),
      errors,
      ceilingP50Ms: percentile(ceiling, 0.5),
      ceilingP99Ms: percentile(ceiling, 0.99),
      workerCpuMsPerApproval,
      apiCpuMsPerApproval,
      postgresCpuMsPerApproval,
      redisCpuMsPerApproval,
      benchCpuMsPerApproval,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await slack.close();
    if (process.env.BENCH_KEEP_DB) log(`kept database ${database.url} and Redis prefix ${env.REDIS_PREFIX}`);
    else await Promise.all([database.drop(), dropRedisPrefix(env.REDIS_PREFIX!)]);
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
