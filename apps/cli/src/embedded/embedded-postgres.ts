import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { type EmbeddedLogger, type EmbeddedService } from './embedded-logger';

export interface EmbeddedPostgresOptions {
  /** PGlite's data directory, created on first start and reused afterwards (`.countersign/pgdata`). */
  dataDir: string;
  logger: EmbeddedLogger;
  /** Clients beyond the first that may connect at once (multiplexed onto PGlite's one session); default 0. */
  extraConnections?: number;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly, in this process) with its data in `dataDir`, and serves it
 * over the PostgreSQL wire protocol on 127.0.0.1 at a port the OS picks, so the app connects with plain `pg`.
 *
 * One connection at a time. PGlite is a single-session database, and PGLiteSocketServer's default
 * `maxConnections: 1` (also set on the underlying `net.Server`) makes a second client that connects while the
 * first is open be refused, not queued: its socket is closed at once and `pg` reports "Connection terminated
 * unexpectedly". A slot frees as soon as the first client disconnects. Callers must therefore use ONE pool with
 * `max: 1` for the whole process (API and worker together), and close that pool before calling `stop()`.
 * pglite-socket can multiplex several connections (`maxConnections > 1`: queries queue and a connection inside
 * a transaction runs alone until it ends), but every connection then shares one session (SET, prepared
 * statements, session advisory locks). `extraConnections: 1` uses that for exactly one more client: an admin
 * command run while `npm start` holds the app's connection. That is safe for Countersign's SQL, which keeps no
 * session state there (no SET, unnamed statements only: `DATABASE_PREPARED_STATEMENTS=false`, which the local
 * environment sets; transaction-scoped advisory locks), and transactions still
 * run one at a time; the app itself keeps ONE connection.
 *
 * The data directory is guarded by a `<dataDir>.lock` file holding our pid: PGlite itself would let two
 * processes open the same files and corrupt them.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedService> {
  const dataDir = resolve(options.dataDir);
  const lock = acquireLock(`${dataDir}.lock`);
  let database: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    // TypeORM runs `CREATE EXTENSION IF NOT EXISTS "uuid-ossp"` at initialize because our entities have uuid
    // primary keys; the extension is part of every PostgreSQL, so make it available here too.
    database = await PGlite.create(dataDir, { extensions: { uuid_ossp } });
    server = new PGLiteSocketServer({ db: database, host: '127.0.0.1', port: 0, maxConnections: 1 + (options.extraConnections ?? 0) });
    await server.start();
  } catch (error) {
    await server?.stop();
    if (database && !database.closed) await database.close();
    lock.release();
    throw error;
  }

  const port = server.getServerConn().split(':').pop();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  options.logger.warn(
    'Using an embedded PostgreSQL (PGlite) for evaluation only: one connection at a time, not for production ' +
      'or concurrency. Set DATABASE_URL=postgres://user:password@host:5432/countersign to use a real PostgreSQL.',
    { dataDir, url },
  );

  const [runningServer, runningDatabase] = [server, database];
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        try {
          // stop() detaches clients, rolling back an open transaction; close() then waits for PGlite's queue,
          // checkpoints and releases the files, so everything committed is on disk.
          await runningServer.stop();
          await runningDatabase.close();
        } finally {
          lock.release();
        }
      })();
      return stopping;
    },
  };
}

function acquireLock(lockPath: string): { release(): void } {
  mkdirSync(dirname(lockPath), { recursive: true });
  const owner = String(process.pid);
  try {
    writeFileSync(lockPath, owner, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(holder) && isRunning(holder)) {
      throw new Error(
        `The embedded PostgreSQL data directory is in use by process ${holder} (${lockPath}). Stop that ` +
          'process, or delete the lock file if no Countersign is running.',
        { cause: error },
      );
    }
    // Left behind by a process that died: PGlite recovers its data from the WAL on start.
    writeFileSync(lockPath, owner);
  }
  return {
    release: () => {
      try {
        if (readFileSync(lockPath, 'utf8') === owner) unlinkSync(lockPath);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
