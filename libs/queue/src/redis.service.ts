import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Redis } from 'ioredis';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { createRedis } from './redis';

type Listener = (message: string) => void;

/** Shared Redis command client plus one subscriber connection multiplexed over local listeners. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(@Inject(CONFIG) readonly config: CountersignConfig) {
    this.client = createRedis(config.redisUrl, 'commands');
    this.client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
  }

  key(...parts: string[]): string {
    return [this.config.redisPrefix, ...parts].join(':');
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.key(channel), message);
  }

  /** Subscribes a local listener; returns the function that removes it. */
  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    const fullChannel = this.key(channel);
    if (!this.subscriber) {
      this.subscriber = createRedis(this.config.redisUrl, 'subscriber');
      this.subscriber.on('error', (error: Error) => this.logger.warn(`redis subscriber: ${error.message}`));
      this.subscriber.on('message', (received: string, message: string) => {
        for (const registered of this.listeners.get(received) ?? []) registered(message);
      });
    }
    let set = this.listeners.get(fullChannel);
    if (!set) {
      set = new Set();
      this.listeners.set(fullChannel, set);
      await this.subscriber.subscribe(fullChannel);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      // The last local listener leaves: stop receiving the channel, or long-polls would leak subscriptions.
      if (set.size === 0 && this.listeners.get(fullChannel) === set) {
        this.listeners.delete(fullChannel);
        this.subscriber?.unsubscribe(fullChannel).catch((error: Error) => this.logger.warn(`redis unsubscribe: ${error.message}`));
      }
    };
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
    this.subscriber?.disconnect();
  }
}
