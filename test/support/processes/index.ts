import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const HERE = __dirname;
const START_TIMEOUT_MS = 30_000;

/** A process this test started, stopped only through its own pid. */
export interface StartedProcess {
  readonly pid: number;
  /** SIGKILL: no shutdown hooks, no lock released, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  readonly output: () => string;
}

export function trackProcess(child: ChildProcess): StartedProcess {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    output: () => output,
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!alive()) return;
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
}

/**
 * `apps/worker` in a child process of its own (test/support/processes/worker-main.ts through SWC), configured by
 * `env` (use the API's `testEnv`, so both share the database and the Redis key prefix). Resolves once it runs.
 */
export async function spawnWorker(env: Record<string, string>): Promise<StartedProcess> {
  const child = spawn(process.execPath, ['-r', join(HERE, 'register.js'), join(HERE, 'worker-main.ts')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = trackProcess(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not start within ${START_TIMEOUT_MS} ms: ${started.output()}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', () => {
      if (!started.output().includes('ready\n')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code ?? signal}) before it was ready: ${started.output()}`));
    });
  });
  return started;
}

/**
 * A private `redis-server` on `port` that persists nothing (as `countersign start` runs one): killing it and
 * starting another on the same port is a Redis restart that lost every key. Never the shared Redis.
 */
export async function startPrivateRedis(port: number): Promise<StartedProcess & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const started = trackProcess(child);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${started.output()}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') break;
    } catch {
      // not listening yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) {
      await started.kill();
      throw new Error(`redis-server did not answer on ${url}: ${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ...started, url };
}
