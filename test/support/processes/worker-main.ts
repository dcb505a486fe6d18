import { loadConfig } from '@countersign/config';
import { createWorkerApp } from '../../../apps/worker/src';

/** The worker in a process of its own, configured from its environment; says `ready` on stdout once it runs. */
async function main(): Promise<void> {
  const app = await createWorkerApp(loadConfig(process.env), false);
  await app.init();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
