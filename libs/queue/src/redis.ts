import { Redis } from 'ioredis';

/**
 * ioredis clients for Countersign (`producer`: the connection that adds BullMQ jobs). `maxRetriesPerRequest: null`
 * is what BullMQ needs; commands made while Redis is unreachable fail fast (`enableOfflineQueue: false` on the
 * command client) so callers can fail closed.
 */
export function createRedis(url: string, purpose: 'commands' | 'subscriber' | 'bullmq' | 'producer'): Redis {
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: purpose === 'commands' ? 1 : null,
    enableOfflineQueue: purpose !== 'commands',
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    connectionName: `countersign:${purpose}`,
    // Commands issued in the same tick go out in one write (quota checks of concurrent requests, publishes, the
    // enqueues of requests answered together). Not for BullMQ's workers: their blocking commands would hold up
    // whatever was pipelined behind them.
    enableAutoPipelining: purpose === 'commands' || purpose === 'producer',
  });
}

/**
 * One PUBLISH from a short-lived process (the CLI), on a connection of its own that gives up after `timeoutMs`
 * instead of retrying: the caller must learn that Redis could not be reached. Resolves with how many subscriber
 * connections received the message; the channel is prefixed like RedisService's.
 */
export function publishOnce(redisUrl: string, redisPrefix: string, channel: string, message: string, timeoutMs = 3_000): Promise<number> {
  return onceConnected(redisUrl, timeoutMs, (client) => client.publish([redisPrefix, channel].join(':'), message));
}

/** Whether Redis answers now, asked like `publishOnce` (the CLI decides with it whether it can reach the instances). */
export async function pingOnce(redisUrl: string, timeoutMs = 3_000): Promise<boolean> {
  return onceConnected(redisUrl, timeoutMs, async (client) => (await client.ping()) === 'PONG').catch(() => false);
}

async function onceConnected<T>(redisUrl: string, timeoutMs: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // ioredis holds a failed connection's clean-up timer this long (2 s by default), and the CLI with it.
    disconnectTimeout: 100,
    connectionName: 'countersign:cli',
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw lastError ?? error;
  } finally {
    client.disconnect();
  }
}
