import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type EmbeddedLogger, type EmbeddedService } from './embedded-logger';

export interface EnsureRedisOptions {
  /** REDIS_URL when the operator set it: used as given, never probed or stopped. */
  url?: string;
  /** Working directory of a private redis-server (its log file lives here; it persists nothing). */
  dataDir: string;
  logger: EmbeddedLogger;
  /** Where to look for a Redis that is already running; tests point it at a closed port. */
  probeUrl?: string;
  /** The executable to spawn when nothing answers; tests name one that does not exist. */
  redisServerCommand?: string;
}

const DEFAULT_PROBE_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 500;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Finds Redis for `countersign start`: REDIS_URL if set, else a Redis answering on 127.0.0.1:6379, else a
 * private `redis-server` on a free loopback port that lives and dies with this process.
 */
export async function ensureRedis(options: EnsureRedisOptions): Promise<EmbeddedService> {
  if (options.url) return { url: options.url, stop: () => Promise.resolve() };

  const probeUrl = options.probeUrl ?? DEFAULT_PROBE_URL;
  if (await answersPing(probeUrl, PROBE_TIMEOUT_MS)) {
    options.logger.info(`Using the Redis that answers at ${probeUrl}; set REDIS_URL to choose another.`, { url: probeUrl });
    return { url: probeUrl, stop: () => Promise.resolve() };
  }
  return startPrivateRedis(options, probeUrl);
}

async function startPrivateRedis(options: EnsureRedisOptions, probeUrl: string): Promise<EmbeddedService> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const logFile = join(dataDir, 'redis.log');
  const child = spawn(
    options.redisServerCommand ?? 'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dataDir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      logFile,
    ],
    { stdio: 'ignore' },
  );

  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT' ? noRedisError(probeUrl) : error;
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`redis-server exited (${code ?? signal ?? 'unknown'}) before it answered; see ${logFile}`);
  });
  // A plain exit (process.exit, end of the event loop) must not leave an orphaned redis-server behind.
  // On SIGINT/SIGTERM the caller's shutdown calls stop(); Ctrl-C reaches the child through the process group.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    await new Promise<void>((done) => {
      const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(forceKill);
        done();
      });
      child.kill('SIGTERM');
    });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (failure) {
      await stop();
      throw failure;
    }
    if (await answersPing(url, PROBE_TIMEOUT_MS)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
    }
    await delay(50);
  }

  options.logger.warn(
    'Started a private redis-server for evaluation: it keeps nothing on disk, so queued jobs are lost when ' +
      'Countersign stops (requests and decisions stay in PostgreSQL). Set REDIS_URL to use your own Redis.',
    { url, pid: child.pid, logFile },
  );
  return { url, stop };
}

async function answersPing(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // A refused connection is an answer ("no"), not an error worth an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function noRedisError(probeUrl: string): Error {
  return new Error(
    `Countersign needs Redis, and none was found: nothing answered at ${probeUrl} and there is no ` +
      'redis-server on the PATH. Either set REDIS_URL=redis://host:6379 to use an existing Redis, install ' +
      'redis-server (e.g. `apt-get install redis-server` or `brew install redis`) and start again, or run ' +
      '`docker compose up -d redis` and set REDIS_URL=redis://127.0.0.1:6379.',
  );
}
