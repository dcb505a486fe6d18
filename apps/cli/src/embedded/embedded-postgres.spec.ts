import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type DataSource } from 'typeorm';
import { PersonEntity } from '@countersign/database';
import { createDataSource, MIGRATIONS } from '@countersign/database';
import { startEmbeddedPostgres } from './embedded-postgres';
import { type EmbeddedLogger, type EmbeddedService } from './embedded-logger';

// PGlite compiles its WebAssembly on every start (a few seconds on two cores).
jest.setTimeout(120_000);

function newLogger(): EmbeddedLogger & { warn: jest.Mock; info: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn() };
}

async function errorCode(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    const failure = error as { code?: string; driverError?: { code?: string } };
    return failure.driverError?.code ?? failure.code;
  }
}

describe('startEmbeddedPostgres', () => {
  let root: string;
  let dataDir: string;
  let postgres: EmbeddedService | undefined;
  let dataSource: DataSource | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'countersign-pglite-'));
    dataDir = join(root, 'pgdata');
  });

  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    dataSource = undefined;
    await postgres?.stop();
    postgres = undefined;
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the migrations and every PostgreSQL feature the schema and repositories rely on', async () => {
    const logger = newLogger();
    postgres = await startEmbeddedPostgres({ dataDir, logger });

    expect(postgres.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/evaluation only.*DATABASE_URL/s), expect.anything());

    dataSource = createDataSource(postgres.url, 1);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations();
    // Every migration runs on PGlite, whatever was added since (their class names are their TypeORM names).
    expect(applied.map((migration) => migration.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(await dataSource.query(`SELECT extname FROM pg_extension WHERE extname = 'uuid-ossp'`)).toHaveLength(1);

    const people = dataSource.getRepository(PersonEntity);
    const admin = await people.save(
      people.create({ email: 'ada@example.com', displayName: 'Ada', role: 'admin', permissions: ['payments.*'] }),
    );
    expect(admin.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await people.findOneByOrFail({ email: 'ada@example.com' })).toMatchObject({ permissions: ['payments.*'], status: 'active' });

    // Partial unique indexes: only one active taxonomy version.
    await dataSource.query(
      `INSERT INTO taxonomy_versions (version, source, checksum, active, created_by) VALUES (1, 's', 'c', true, 'test')`,
    );
    await dataSource.query(
      `INSERT INTO taxonomy_versions (version, source, checksum, active, created_by) VALUES (2, 's', 'c', false, 'test')`,
    );
    expect(
      await errorCode(
        dataSource.query(
          `INSERT INTO taxonomy_versions (version, source, checksum, active, created_by) VALUES (3, 's', 'c', true, 'test')`,
        ),
      ),
    ).toBe('23505');

    // jsonb containment and the plpgsql trigger that keeps the audit log append-only.
    await dataSource.query(
      `INSERT INTO audit_events (seq, occurred_at, actor_type, type, data, prev_hash, hash) VALUES (1, now(), 'system', 'test', $1, '0', 'h1')`,
      [JSON.stringify({ nested: { amount: 5 } })],
    );
    expect(await dataSource.query(`SELECT seq FROM audit_events WHERE data @> '{"nested": {"amount": 5}}'`)).toEqual([{ seq: '1' }]);
    expect(await errorCode(dataSource.query(`UPDATE audit_events SET type = 'changed'`))).toBe('42501');
    expect(await errorCode(dataSource.query(`DELETE FROM audit_events`))).toBe('42501');
    expect(await errorCode(dataSource.query(`TRUNCATE audit_events`))).toBe('42501');

    // Advisory transaction locks and row locks with SKIP LOCKED, as the repositories use them.
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [42]);
      expect(await manager.query('SELECT id FROM people ORDER BY email FOR UPDATE SKIP LOCKED')).toEqual([{ id: admin.id }]);
    });
  });

  it('refuses a second connection while the first one is open', async () => {
    postgres = await startEmbeddedPostgres({ dataDir, logger: newLogger() });
    const first = new Client({ connectionString: postgres.url });
    await first.connect();
    const second = new Client({ connectionString: postgres.url, connectionTimeoutMillis: 5_000 });
    second.on('error', () => undefined);
    try {
      await expect(second.connect()).rejects.toThrow(/terminated/);
      expect(await first.query('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await first.end();
    }

    const third = new Client({ connectionString: postgres.url });
    await third.connect();
    await third.end();
  });

  it('reopens an existing data directory with the data committed before a clean stop', async () => {
    postgres = await startEmbeddedPostgres({ dataDir, logger: newLogger() });
    dataSource = createDataSource(postgres.url, 1);
    await dataSource.initialize();

    expect(await dataSource.runMigrations()).toEqual([]);
    expect(await dataSource.getRepository(PersonEntity).findOneBy({ email: 'ada@example.com' })).toMatchObject({ displayName: 'Ada' });
  });

  it('rolls back an open transaction when stopped while a client is inside it', async () => {
    postgres = await startEmbeddedPostgres({ dataDir, logger: newLogger() });
    const client = new Client({ connectionString: postgres.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`INSERT INTO people (email, display_name, role) VALUES ('committed@example.com', 'C', 'member')`);
    await client.query('BEGIN');
    await client.query(`INSERT INTO people (email, display_name, role) VALUES ('open@example.com', 'O', 'member')`);
    await postgres.stop();
    postgres = undefined;

    postgres = await startEmbeddedPostgres({ dataDir, logger: newLogger() });
    const reader = new Client({ connectionString: postgres.url });
    await reader.connect();
    const { rows } = await reader.query<{ email: string }>(
      `SELECT email FROM people WHERE email IN ('committed@example.com', 'open@example.com')`,
    );
    await reader.end();
    expect(rows).toEqual([{ email: 'committed@example.com' }]);
  });

  it('refuses a data directory another running instance holds, and frees it on stop', async () => {
    postgres = await startEmbeddedPostgres({ dataDir, logger: newLogger() });
    await expect(startEmbeddedPostgres({ dataDir, logger: newLogger() })).rejects.toThrow(/in use by process/);

    await postgres.stop();
    await postgres.stop();
    postgres = undefined;
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
