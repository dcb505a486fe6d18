import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '@countersign/domain';
import { FloodBacklog, RedisService } from '@countersign/queue';

/**
 * Requests per minute per agent, counted in Redis so every API instance shares one budget. There is no insurance
 * limiter on purpose: when Redis cannot answer, intake fails closed (503) rather than skipping the check.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger(QuotaService.name);
  // One limiter per distinct budget; agents with the same budget share a limiter, not a counter.
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: RedisService,
    private readonly floodBacklog: FloodBacklog,
  ) {}

  async consumeRequest(agentId: string, requestsPerMinute: number): Promise<void> {
    try {
      await this.limiter(requestsPerMinute).consume(agentId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError('rate_limited', `more than ${requestsPerMinute} requests in a minute; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      this.logger.error(`quota check failed, refusing the request: ${(rejection as Error).message}`);
      throw quotaUnavailable();
    }
  }

  /**
   * Refuses a flooding agent's request while its notifications are backlogged (ADR 0010): the worker has seen its
   * flood deliveries start more than FLOOD_BACKLOG_LIMIT_MS after they were enqueued. Fails closed like the quota.
   */
  async checkBacklog(agentId: string): Promise<void> {
    let behindMs: number | null;
    try {
      behindMs = await this.floodBacklog.behindMs(agentId);
    } catch (error) {
      this.logger.error(`backlog check failed, refusing the request: ${(error as Error).message}`);
      throw quotaUnavailable();
    }
    if (behindMs === null) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(behindMs / 1000));
    throw new DomainError(
      'notifications_backlogged',
      `this agent requests approvals faster than people can be notified of them: its notifications are going out ${(behindMs / 1000).toFixed(1)} s late; retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }

  /** Whether this refusal of a backlogged agent is the one a minute that is audited. */
  async shouldAuditBacklog(agentId: string): Promise<boolean> {
    return this.floodBacklog.shouldAudit(agentId).catch(() => false);
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

function quotaUnavailable(): DomainError {
  return new DomainError('quota_unavailable', 'the quota store is unavailable; no request is accepted without its quota check', { retryAfterSeconds: 5 });
}
