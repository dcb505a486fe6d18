// The worker's public face for the other apps, the harness and the benchmark (eslint.config.mjs enforces it).
export { HEARTBEAT_INTERVAL_MS } from './heartbeat';
export { createWorkerApp, runWorker } from './main';
export { WorkerFeatureModule } from './worker.module';
export { WorkerRunner } from './worker.runner';
