import { dropDatabase } from './database';

export default async function globalTeardown(): Promise<void> {
  const url = process.env.COUNTERSIGN_TEST_DATABASE_URL;
  if (!url || process.env.COUNTERSIGN_TEST_DATABASE_OWNED !== '1') return;
  await dropDatabase(new URL(url).pathname.slice(1));
  delete process.env.COUNTERSIGN_TEST_DATABASE_URL;
}
