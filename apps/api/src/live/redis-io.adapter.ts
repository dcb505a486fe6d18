import { type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { type Redis } from 'ioredis';
import { type Server, type ServerOptions } from 'socket.io';
import { liveEventsKey } from '@countersign/approvals';
import { type CountersignConfig } from '@countersign/config';
import { createRedis } from '@countersign/queue';

/** socket.io across API instances: the Redis adapter, on the same channel the LiveEvents emitters publish to. */
export class RedisIoAdapter extends IoAdapter {
  private readonly clients: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: CountersignConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, { ...options, serveClient: false, cors: undefined } as ServerOptions);
    const publisher = createRedis(this.config.redisUrl, 'bullmq');
    const subscriber = createRedis(this.config.redisUrl, 'subscriber');
    for (const client of [publisher, subscriber]) client.on('error', () => undefined);
    this.clients.push(publisher, subscriber);
    server.adapter(createAdapter(publisher, subscriber, { key: liveEventsKey(this.config.redisPrefix) }));
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const client of this.clients.splice(0)) client.disconnect();
  }
}
