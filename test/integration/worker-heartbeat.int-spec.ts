import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPrivateRedis, startWorker, testConfig } from '@countersign/testing';
import { WorkerRunner } from '../../apps/worker/src';

/** docker-compose.yml judges the worker by WORKER_HEARTBEAT_FILE's age (its healthcheck runs in the unit suite). */
describe('the worker heartbeat', () => {
  const heartbeatFile = () => join(mkdtempSync(join(tmpdir(), 'cs-worker-')), 'heartbeat');

  async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is written while the worker runs and removed when it stops', async () => {
    const file = heartbeatFile();
    const worker = await startWorker(testConfig({ WORKER_HEARTBEAT_FILE: file }));
    try {
      await until(() => existsSync(file), 'the heartbeat file exists');
      const first = statSync(file).mtimeMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await worker.get(WorkerRunner).heartbeat!.beat()).toBe(true);
      expect(statSync(file).mtimeMs).toBeGreaterThan(first);
    } finally {
      await worker.close();
    }
    expect(existsSync(file)).toBe(false);
  });

  it('stops while Redis is gone and resumes when it is back', async () => {
    const port = await freePort();
    let redis = await startPrivateRedis(port);
    const file = heartbeatFile();
    const worker = await startWorker(testConfig({ WORKER_HEARTBEAT_FILE: file, REDIS_URL: redis.url }));
    try {
      const heartbeat = worker.get(WorkerRunner).heartbeat!;
      expect(await heartbeat.beat()).toBe(true);
      await redis.kill();
      await until(async () => !(await heartbeat.beat()), 'a beat is refused');
      const before = statSync(file).mtimeMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await heartbeat.beat()).toBe(false);
      expect(statSync(file).mtimeMs).toBe(before);
      redis = await startPrivateRedis(port);
      await until(() => heartbeat.beat(), 'a beat is written again');
      expect(statSync(file).mtimeMs).toBeGreaterThan(before);
    } finally {
      await worker.close();
      await redis.kill();
    }
  });

  it('is not written without WORKER_HEARTBEAT_FILE', async () => {
    const worker = await startWorker(testConfig());
    try {
      expect(worker.get(WorkerRunner).heartbeat).toBeNull();
    } finally {
      await worker.close();
    }
  });
});
