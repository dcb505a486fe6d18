import { ConsoleLogger, Logger } from '@nestjs/common';
import { type CountersignConfig } from '@countersign/config';
import { RedisService } from '@countersign/queue';
import { testConfig } from '@countersign/testing';

/**
 * Long-polls started right after an API instance starts must get their wake-up: the subscriber connection is
 * opened on the first long-poll, and subscriptions issued while it was still connecting used to be lost.
 */
describe('Redis subscriptions on a fresh connection', () => {
  it('10 concurrent first subscriptions all receive what is published after they resolve, staggered, round after round', async () => {
    for (let round = 0; round < 10; round++) {
      const config: CountersignConfig = testConfig();
      const redis = new RedisService(config);
      try {
        const received: string[] = [];
        const channels = Array.from({ length: 10 }, (_, index) => `approval:round-${round}-${index}`);
        // Staggered like long-polls arriving one after another while the connection is still being set up.
        const subscriptions: Array<Promise<unknown>> = [];
        for (const channel of channels) {
          subscriptions.push(redis.subscribe(channel, (message) => received.push(`${channel}=${message}`)));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await Promise.all(subscriptions);
        await Promise.all(channels.map((channel) => redis.publish(channel, 'approved')));
        const deadline = Date.now() + 2_000;
        while (received.length < channels.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        expect([round, received.sort()]).toEqual([round, channels.map((channel) => `${channel}=approved`).sort()]);
      } finally {
        redis.onApplicationShutdown();
      }
    }
  });

  it('a second listener on a channel whose SUBSCRIBE is still in flight waits for it too', async () => {
    const redis = new RedisService(testConfig());
    try {
      const heard: string[] = [];
      const [first, second] = await Promise.all([
        redis.subscribe('approval:shared', () => heard.push('first')),
        redis.subscribe('approval:shared', () => heard.push('second')),
      ]);
      await redis.publish('approval:shared', 'denied');
      const deadline = Date.now() + 2_000;
      while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(heard.sort()).toEqual(['first', 'second']);
      first();
      second();
    } finally {
      redis.onApplicationShutdown();
    }
  });

  it('a listener released after shutdown unsubscribes nothing and warns of nothing; a subscribe after shutdown is refused', async () => {
    // A long-poll or socket that ends after its app shut down released its listener into a closed connection,
    // and a WARN in Nest's console format landed in whatever the process printed next (once, a CLI's --json).
    const warnings: string[] = [];
    Logger.overrideLogger({
      log: () => undefined,
      error: (message: string) => warnings.push(message),
      warn: (message: string) => warnings.push(message),
    });
    const redis = new RedisService(testConfig());
    try {
      const release = await redis.subscribe('approval:late', () => undefined);
      await redis.publish('approval:late', 'pending');
      redis.onApplicationShutdown();
      release();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(warnings).toEqual([]);
      await expect(redis.subscribe('approval:after', () => undefined)).rejects.toThrow('Redis is shut down');
    } finally {
      redis.onApplicationShutdown();
      Logger.overrideLogger(new ConsoleLogger());
    }
  });
});
