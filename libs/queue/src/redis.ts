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
