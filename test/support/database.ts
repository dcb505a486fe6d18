import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
// By path, not alias: jest's global setup imports this file without the moduleNameMapper.
import { createDataSource } from '../../libs/database/src/data-source';

/** The server the suites run against (DEVELOPERS.md); each run creates and drops databases of its own. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function urlFor(database: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = '/' + database;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new database with every migration applied; `drop` removes it (forcing out leftover connections). */
export async function createMigratedDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `countersign_${label}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = urlFor(name);
  const dataSource = createDataSource(url, 1);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  return { url, drop: () => dropDatabase(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A direct connection for what tests must do behind the application's back (tamper, inspect). */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
