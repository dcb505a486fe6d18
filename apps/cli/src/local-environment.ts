import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EmbeddedLogger, ensureRedis, startEmbeddedPostgres } from './embedded';

/** Where `npm start` keeps evaluation state (embedded database, private Redis, generated secret). */
export const LOCAL_DIRECTORY = resolve(process.cwd(), '.countersign');
const SECRET_FILE = join(LOCAL_DIRECTORY, 'key-encryption-secret');
const EMBEDDED_URL_FILE = join(LOCAL_DIRECTORY, 'embedded-postgres.json');

export interface LocalEnvironment {
  env: Record<string, string | undefined>;
  embeddedDatabase: boolean;
  stop(): Promise<void>;
}

/**
 * Fills in what a fresh clone lacks, for `start`: an embedded PostgreSQL when DATABASE_URL is unset, a Redis
 * (local or private) when REDIS_URL is unset, and a generated key-encryption secret kept under .countersign/.
 * Anything set in the environment wins. Production sets all three and never reaches this code's fallbacks.
 */
export async function prepareForStart(logger: EmbeddedLogger): Promise<LocalEnvironment> {
  const env = { ...process.env };
  const stops: Array<() => Promise<void>> = [];
  let embeddedDatabase = false;
  try {
    env.COUNTERSIGN_KEY_ENCRYPTION_SECRET ??= localSecret(logger);
    if (!env.DATABASE_URL) {
      const postgres = await startEmbeddedPostgres({ dataDir: join(LOCAL_DIRECTORY, 'pgdata'), logger, extraConnections: 1 });
      stops.push(async () => {
        rmSync(EMBEDDED_URL_FILE, { force: true });
        await postgres.stop();
      });
      writeFileSync(EMBEDDED_URL_FILE, JSON.stringify({ url: postgres.url, pid: process.pid }));
      env.DATABASE_URL = postgres.url;
      // PGlite is one session: the API and the worker share one pool of one connection. The socket server admits
      // one more client, for admin commands run while this process is up.
      env.DATABASE_POOL_SIZE = '1';
      embeddedDatabase = true;
    }
    const redis = await ensureRedis({ url: env.REDIS_URL, dataDir: join(LOCAL_DIRECTORY, 'redis'), logger });
    stops.push(() => redis.stop());
    env.REDIS_URL = redis.url;
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    throw error;
  }
  return {
    env,
    embeddedDatabase,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * For admin commands: the same secret as `start`, and the embedded database of a running `start` (or the
 * embedded database itself when nothing runs). Of the admin commands only `keys rotate` uses Redis (REDIS_URL, else
 * the local default), to announce the new key to the running instances; it says so when Redis cannot be reached.
 */
export async function prepareForCommand(logger: EmbeddedLogger): Promise<LocalEnvironment> {
  const env = { ...process.env };
  env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  let stop = async (): Promise<void> => {};
  let embeddedDatabase = false;
  if (!env.DATABASE_URL) {
    if (!existsSync(LOCAL_DIRECTORY)) {
      throw new Error('DATABASE_URL is not set and there is no embedded database here (.countersign/): set DATABASE_URL, or run `npm start` once in this directory');
    }
    env.COUNTERSIGN_KEY_ENCRYPTION_SECRET ??= localSecret(logger);
    const running = runningEmbeddedUrl();
    if (running) {
      env.DATABASE_URL = running;
    } else {
      const postgres = await startEmbeddedPostgres({ dataDir: join(LOCAL_DIRECTORY, 'pgdata'), logger });
      env.DATABASE_URL = postgres.url;
      stop = () => postgres.stop();
    }
    env.DATABASE_POOL_SIZE = '1';
    embeddedDatabase = true;
  }
  return { env, embeddedDatabase, stop };
}

function runningEmbeddedUrl(): string | null {
  try {
    const { url, pid } = JSON.parse(readFileSync(EMBEDDED_URL_FILE, 'utf8')) as { url: string; pid: number };
    process.kill(pid, 0);
    return url;
  } catch {
    return null;
  }
}

function localSecret(logger: EmbeddedLogger): string {
  if (existsSync(SECRET_FILE)) return readFileSync(SECRET_FILE, 'utf8').trim();
  mkdirSync(LOCAL_DIRECTORY, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(SECRET_FILE, secret + '\n', { mode: 0o600 });
  logger.warn(`COUNTERSIGN_KEY_ENCRYPTION_SECRET is not set: generated one in ${SECRET_FILE} for evaluation; set it in production`);
  return secret;
}
