import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { RedisService } from '@countersign/queue';

/**
 * The unauthenticated people's endpoints each write a challenge row and run WebAuthn checks, so they are
 * throttled per address, shared across instances through Redis; without Redis they fail closed (503).
 */
@Injectable()
export class SignInThrottleGuard implements CanActivate {
  private limiter?: RateLimiterRedis;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly redis: RedisService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    this.limiter ??= new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix: this.redis.key('sign-in', 'rpm'),
      points: this.config.signInRequestsPerMinute,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    try {
      await this.limiter.consume(request.ip);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError('rate_limited', `too many sign-in requests from this address; retry after ${retryAfterSeconds} s`, {
          retryAfterSeconds,
        });
      }
      throw new DomainError('quota_unavailable', 'the sign-in throttle is unavailable; try again shortly', { retryAfterSeconds: 5 });
    }
    return true;
  }
}
