import { createMigratedDatabase } from './database';

/** One migrated database per `npm test` run, shared by the suites (which run in band) and dropped at the end. */
export default async function globalSetup(): Promise<void> {
  if (process.env.COUNTERSIGN_TEST_DATABASE_URL) return;
  const database = await createMigratedDatabase('test');
  process.env.COUNTERSIGN_TEST_DATABASE_URL = database.url;
  process.env.COUNTERSIGN_TEST_DATABASE_OWNED = '1';
}
