import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type EmbeddedLogger, type EmbeddedService } from './embedded-logger';
import { ensureRedis } from './ensure-redis';

jest.setTimeout(30_000);

function newLogger(): EmbeddedLogger & { warn: jest.Mock; info: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn() };
}

/** A loopback URL nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `redis://127.0.0.1:${address.port}`;
}

async function withClient<T>(url: string, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

describe('ensureRedis', () => {
  let dataDir: string;
  let redis: EmbeddedService | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'countersign-redis-'));
  });

  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uses REDIS_URL as given without probing it', async () => {
    const logger = newLogger();
    redis = await ensureRedis({ url: 'redis://redis.invalid:6390/2', dataDir, logger });

    expect(redis.url).toBe('redis://redis.invalid:6390/2');
    await expect(redis.stop()).resolves.toBeUndefined();
    expect(logger.info).not.toHaveBeenCalled();
  });

  it('uses the Redis that answers on 127.0.0.1:6379', async () => {
    const logger = newLogger();
    redis = await ensureRedis({ dataDir, logger });

    expect(redis.url).toBe('redis://127.0.0.1:6379');
    expect(logger.info).toHaveBeenCalledWith(expect.stringContaining('127.0.0.1:6379'), expect.anything());
    await redis.stop();
    expect(await withClient('redis://127.0.0.1:6379', (client) => client.ping())).toBe('PONG');
  });

  it('starts a private redis-server without persistence when nothing answers, and kills it on stop', async () => {
    const probeUrl = await closedPortUrl();
    const exitListeners = process.listenerCount('exit');
    const logger = newLogger();
    redis = await ensureRedis({ dataDir, logger, probeUrl });
    const { url } = redis;

    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe(probeUrl);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/private redis-server.*REDIS_URL/s), expect.anything());
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    const settings = await withClient(url, async (client) => ({
      ping: await client.ping(),
      save: await client.config('GET', 'save'),
      appendonly: await client.config('GET', 'appendonly'),
      dir: await client.config('GET', 'dir'),
    }));
    expect(settings).toEqual({ ping: 'PONG', save: ['save', ''], appendonly: ['appendonly', 'no'], dir: ['dir', dataDir] });

    await redis.stop();
    redis = undefined;
    expect(process.listenerCount('exit')).toBe(exitListeners);
    await expect(withClient(url, (client) => client.ping())).rejects.toThrow();
  });

  it('says how to provide Redis when nothing answers and redis-server is not installed', async () => {
    const probeUrl = await closedPortUrl();
    const exitListeners = process.listenerCount('exit');

    await expect(
      ensureRedis({ dataDir, logger: newLogger(), probeUrl, redisServerCommand: join(dataDir, 'no-such-redis-server') }),
    ).rejects.toThrow(/REDIS_URL.*apt-get install redis-server.*docker compose up -d redis/s);
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });
});
