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
  private subscriber?: Promise<Redis>;
  private subscriberClient?: Redis;
  /** Local listeners per channel, and the SUBSCRIBE every listener of the channel waits for. */
  private readonly listeners = new Map<string, { set: Set<Listener>; subscribed: Promise<unknown> }>();
  /** Set at shutdown: nothing opens a connection again, and a listener released late has nothing to unsubscribe. */
  private closed = false;

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

  /**
   * Subscribes a local listener; resolves once Redis delivers the channel to us (so a publish after that is not
   * missed) and returns the function that removes the listener.
   */
  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    if (this.closed) throw new Error('Redis is shut down');
    const fullChannel = this.key(channel);
    let entry = this.listeners.get(fullChannel);
    if (!entry) {
      const subscribed = this.subscriberConnection().then((subscriber) => subscriber.subscribe(fullChannel));
      entry = { set: new Set(), subscribed };
      this.listeners.set(fullChannel, entry);
      const created = entry;
      subscribed.catch(() => {
        if (this.listeners.get(fullChannel) === created) this.listeners.delete(fullChannel);
      });
    }
    await entry.subscribed;
    const { set } = entry;
    set.add(listener);
    return () => {
      set.delete(listener);
      // The last local listener leaves: stop receiving the channel, or long-polls would leak subscriptions.
      // After shutdown the connection is gone with its subscriptions (an UNSUBSCRIBE then only logged a warning).
      if (set.size === 0 && this.listeners.get(fullChannel)?.set === set) {
        this.listeners.delete(fullChannel);
        if (this.closed) return;
        void this.subscriber
          ?.then((subscriber) => subscriber.unsubscribe(fullChannel))
          // One in flight when the service shuts down fails with the connection, and needs no warning either.
          .catch((error: Error) => !this.closed && this.logger.warn(`redis unsubscribe: ${error.message}`));
      }
    };
  }

  /**
   * The one subscriber connection, ready before its first SUBSCRIBE: commands queued while it was still
   * connecting met its connection set-up (CLIENT SETNAME) in subscriber mode and failed, and long-polls started
   * right after start-up then waited their whole deadline without a wake-up.
   */
  private subscriberConnection(): Promise<Redis> {
    this.subscriber ??= new Promise<Redis>((resolve, reject) => {
      const subscriber = createRedis(this.config.redisUrl, 'subscriber');
      this.subscriberClient = subscriber;
      subscriber.on('error', (error: Error) => this.logger.warn(`redis subscriber: ${error.message}`));
      subscriber.on('message', (received: string, message: string) => {
        for (const registered of this.listeners.get(received)?.set ?? []) registered(message);
      });
      subscriber.once('ready', () => resolve(subscriber));
      subscriber.once('end', () => reject(new Error('the Redis subscriber connection closed')));
    }).catch((error: Error) => {
      this.subscriber = undefined;
      throw error;
    });
    return this.subscriber;
  }

  onApplicationShutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.disconnect();
    this.subscriberClient?.disconnect();
  }
}
