import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EmbeddedLogger, ensureRedis, startEmbeddedPostgres } from './embedded';

/** Where `npm start` keeps evaluation state (embedded database, private Redis, generated secret). */
export const LOCAL_DIRECTORY = resolve(process.cwd(), '.countersign');
const SECRET_FILE = join(LOCAL_DIRECTORY, 'key-encryption-secret');
/** Written by a running `start`: where its embedded database and its Redis are, for admin commands run beside it. */
const RUNNING_FILE = join(LOCAL_DIRECTORY, 'running.json');

interface RunningStart {
  pid: number;
  databaseUrl: string | null;
  redisUrl: string;
}

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
    if (!env.DATABASE_URL) {
      env.COUNTERSIGN_KEY_ENCRYPTION_SECRET ??= localSecret(logger);
      const postgres = await startEmbeddedPostgres({ dataDir: join(LOCAL_DIRECTORY, 'pgdata'), logger, extraConnections: 1 });
      stops.push(() => postgres.stop());
      env.DATABASE_URL = postgres.url;
      useEmbeddedSession(env);
      embeddedDatabase = true;
    } else {
      requireSecret(env);
    }
    const redis = await ensureRedis({ url: env.REDIS_URL, dataDir: join(LOCAL_DIRECTORY, 'redis'), logger });
    stops.push(() => redis.stop());
    env.REDIS_URL = redis.url;
    const running: RunningStart = { pid: process.pid, databaseUrl: embeddedDatabase ? env.DATABASE_URL : null, redisUrl: redis.url };
    mkdirSync(LOCAL_DIRECTORY, { recursive: true });
    writeFileSync(RUNNING_FILE, JSON.stringify(running), { mode: 0o600 });
    stops.push(() => Promise.resolve(rmSync(RUNNING_FILE, { force: true })));
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
 * For admin commands: the same rules as `start`. Without DATABASE_URL, the secret generated under .countersign/
 * and the embedded database of a running `start` (or the embedded database itself when nothing runs); with it,
 * COUNTERSIGN_KEY_ENCRYPTION_SECRET is required. Redis (for `keys rotate` and the kill switch, which announce to the
 * running instances): REDIS_URL, else the running `start`'s, else the local default.
 */
export async function prepareForCommand(logger: EmbeddedLogger): Promise<LocalEnvironment> {
  const env = { ...process.env };
  const running = runningStart();
  env.REDIS_URL ??= running?.redisUrl ?? 'redis://127.0.0.1:6379';
  let stop = async (): Promise<void> => {};
  let embeddedDatabase = false;
  if (!env.DATABASE_URL) {
    if (!existsSync(LOCAL_DIRECTORY)) {
      throw new CommandEnvironmentError(
        'DATABASE_URL is not set and there is no embedded database here (.countersign/): set DATABASE_URL, or run `npm start` once in this directory',
      );
    }
    env.COUNTERSIGN_KEY_ENCRYPTION_SECRET ??= localSecret(logger);
    if (running?.databaseUrl) {
      env.DATABASE_URL = running.databaseUrl;
    } else {
      const postgres = await startEmbeddedPostgres({ dataDir: join(LOCAL_DIRECTORY, 'pgdata'), logger });
      env.DATABASE_URL = postgres.url;
      stop = () => postgres.stop();
    }
    useEmbeddedSession(env);
    embeddedDatabase = true;
  } else {
    requireSecret(env);
  }
  return { env, embeddedDatabase, stop };
}

/** A problem with the command's surroundings, said in one sentence (the CLI prints it without a stack). */
export class CommandEnvironmentError extends Error {}

/**
 * PGlite is one session: the API and the worker share one pool of one connection, and the socket server admits
 * one more client, for an admin command run while `start` is up. Its statements and the server's then meet in
 * that one session, so none may be a named prepared statement.
 */
function useEmbeddedSession(env: Record<string, string | undefined>): void {
  env.DATABASE_POOL_SIZE = '1';
  env.DATABASE_PREPARED_STATEMENTS = 'false';
}

/**
 * A generated secret is for the embedded evaluation only: with a real database the signing keys it seals outlive
 * this directory, so `start` and every admin command refuse alike without the variable.
 */
function requireSecret(env: Record<string, string | undefined>): void {
  if (env.COUNTERSIGN_KEY_ENCRYPTION_SECRET) return;
  const generated = existsSync(SECRET_FILE)
    ? ` (an earlier evaluation run generated one in ${SECRET_FILE}: set the variable to that value if this database was started with it)`
    : '';
  throw new CommandEnvironmentError(
    `COUNTERSIGN_KEY_ENCRYPTION_SECRET is not set: with DATABASE_URL set it is required (at least 32 characters, e.g. \`openssl rand -base64 48\`)${generated}`,
  );
}

function runningStart(): RunningStart | null {
  try {
    const running = JSON.parse(readFileSync(RUNNING_FILE, 'utf8')) as RunningStart;
    process.kill(running.pid, 0);
    return running;
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
