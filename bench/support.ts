import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../test/support/database';

const ROOT = join(__dirname, '..', '..');

/**
 * The environment of a countersign process for one benchmark: its database, a Redis prefix of its own, a random
 * port, and PUBLIC_URL set to the URL the benchmark calls (the issuer, and the origin WebAuthn and CSRF checks use).
 */
export function benchEnv(databaseUrl: string, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; url: string } {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `cs-bench-${randomBytes(4).toString('hex')}`,
      COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'bench-key-encryption-secret-0123456789',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      PUBLIC_URL: url,
      // The benchmarks ask one or a few people for thousands of approvals: they measure throughput, not the cap.
      PERSON_MAX_PENDING: '100000000',
      PERSON_REQUESTS_PER_MINUTE: '100000000',
      ...extra,
    },
  };
}

/**
 * `countersign api` or `worker` from the build, as a process of its own. Its stderr is shown; of its log (pino's
 * JSON lines on stdout, at LOG_LEVEL warn) the errors are shown too, prefixed with the command, so that a 500 in a
 * benchmark leaves its stack trace behind.
 */
export function spawnCountersign(command: 'api' | 'worker', env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'countersign.js'), command], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (isErrorLogLine(line)) process.stderr.write(`[${command}] ${line}\n`);
  });
  return child;
}

/** A pino line at level error (50) or fatal (60). */
function isErrorLogLine(line: string): boolean {
  try {
    return ((JSON.parse(line) as { level?: unknown }).level as number) >= 50;
  } catch {
    return false;
  }
}

/** Waits until an API started as a process of its own answers its readiness check (Postgres and Redis up). */
export async function waitForReady(url: string): Promise<void> {
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

/** Nearest-rank percentile; NaN without samples. */
export function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux; clock ticks of 10 ms). NaN where
 * /proc is not there. CPU per unit of work is the figure that stays comparable on a machine shared with other work.
 */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** A connection to the benchmarks' Redis for the length of `work`. */
export async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Removes a benchmark run's Redis keys (its prefix), so runs do not pile up in a Redis that keeps nothing on disk. */
export async function dropRedisPrefix(prefix: string): Promise<number> {
  return withRedis(async (redis) => {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  });
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 512 });

/**
 * A request over node:http with kept-alive connections: the benchmarks' load generator. It shares the machine with
 * what it measures, and `fetch` cost it about twice the CPU per request.
 */
export function send(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sent = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const outgoing = request(url, { method, agent: keepAlive, headers: sent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
