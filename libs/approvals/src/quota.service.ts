import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '@countersign/domain';
import { RedisService } from '@countersign/queue';

/**
 * Requests per minute per agent, counted in Redis so every API instance shares one budget. There is no insurance
 * limiter on purpose: when Redis cannot answer, intake fails closed (503) rather than skipping the check.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger(QuotaService.name);
  // One limiter per distinct budget; agents with the same budget share a limiter, not a counter.
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(private readonly redis: RedisService) {}

  async consumeRequest(agentId: string, requestsPerMinute: number): Promise<void> {
    try {
      await this.limiter(requestsPerMinute).consume(agentId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError('rate_limited', `more than ${requestsPerMinute} requests in a minute; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      this.logger.error(`quota check failed, refusing the request: ${(rejection as Error).message}`);
      throw new DomainError('quota_unavailable', 'the quota store is unavailable; no request is accepted without its quota check', { retryAfterSeconds: 5 });
    }
  }

  private limiter(points: number): RateLimiterRedis {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis.client,
        keyPrefix: this.redis.key('quota', 'rpm', String(points)),
        points,
        duration: 60,
        rejectIfRedisNotReady: true,
      });
      this.limiters.set(points, limiter);
    }
    return limiter;
  }
}
