import { Redis } from 'ioredis';

/**
 * ioredis clients for Countersign. `maxRetriesPerRequest: null` is what BullMQ needs; commands made while Redis
 * is unreachable fail fast (`enableOfflineQueue: false` on the command client) so callers can fail closed.
 */
export function createRedis(url: string, purpose: 'commands' | 'subscriber' | 'bullmq'): Redis {
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: purpose === 'commands' ? 1 : null,
    enableOfflineQueue: purpose !== 'commands',
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    connectionName: `countersign:${purpose}`,
    // Commands issued in the same tick go out in one write (quota checks of concurrent requests, publishes).
    enableAutoPipelining: purpose === 'commands',
  });
}
