import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { publishOnce, RedisService } from '@countersign/queue';
import { ACTIVE_KEY_CACHE_MS, SigningKeysService } from './signing-keys.service';

/** Where a rotation is announced; the message is the new kid. */
export const SIGNING_KEYS_CHANNEL = 'signing-keys';
/** How long start-up waits for the subscription: a rotation right after start must not fall back to the cache. */
const SUBSCRIBE_WAIT_MS = 2_000;

/**
 * Every API and worker process drops its cached active key when any process announces a rotation, so all sign
 * with the new key within moments. The cache period (30 s) stays the fallback for an announcement that is lost
 * (Redis down, or this process not yet subscribed). The CLI has no RedisService: it listens to nothing.
 */
@Injectable()
export class SigningKeyRotations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeyRotations.name);
  private unsubscribe?: () => void;

  constructor(
    private readonly keys: SigningKeysService,
    @Optional() private readonly redis?: RedisService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.redis) return;
    const subscribed = this.redis
      .subscribe(SIGNING_KEYS_CHANNEL, (kid) => this.keys.forgetActiveKey(kid))
      .then(
        (unsubscribe) => (this.unsubscribe = unsubscribe),
        (error: Error) =>
          this.logger.warn(
            `not subscribed to key rotations; a rotation reaches this process within ${ACTIVE_KEY_CACHE_MS / 1000} s: ${error.message}`,
          ),
      );
    // Without Redis the subscription waits for it: start-up goes on after a moment, the subscription when it can.
    await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref())]);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}

/**
 * Tells every running instance of the deployment that `kid` is the new active key. Resolves with how many
 * processes heard it; rejects when Redis cannot be reached (the rotation itself has happened by then).
 */
export function announceRotation(config: { redisUrl: string; redisPrefix: string }, kid: string): Promise<number> {
  return publishOnce(config.redisUrl, config.redisPrefix, SIGNING_KEYS_CHANNEL, kid);
}
