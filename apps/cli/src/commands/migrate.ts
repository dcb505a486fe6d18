import { createDataSource } from '@countersign/database';

/** Runs pending migrations, each in its own transaction; prints what it applied. */
export async function runMigrations(databaseUrl: string, log: (message: string) => void): Promise<string[]> {
  const dataSource = createDataSource(databaseUrl, 1);
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(applied.length ? `applied migrations: ${applied.map((migration) => migration.name).join(', ')}` : 'database schema is up to date');
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
