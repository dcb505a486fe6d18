import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { FloodBacklog, RedisService } from '@countersign/queue';

/** A refusal that can repeat at a flood's rate is audited the first time, then at most once a minute per subject. */
const AUDIT_EVERY_MS = 60_000;
/** A pending approval is decided or expires in minutes, not seconds: the caller is told to come back after this. */
export const PENDING_RETRY_AFTER_SECONDS = 30;

/** The kinds of refusal audited once a minute; each names its own Redis key, per subject. */
export type ThrottledRefusal = 'flood-backlog' | 'person-pending';

/**
 * Requests per minute per agent, counted in Redis so every API instance shares one budget. There is no insurance
 * limiter on purpose: when Redis cannot answer, intake fails closed (503) rather than skipping the check.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger(QuotaService.name);
  // One limiter per distinct budget; agents with the same budget share a limiter, not a counter.
  private readonly limiters = new Map<number, RateLimiterRedis>();
  private readonly personLimiter: RateLimiterRedis;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly redis: RedisService,
    private readonly floodBacklog: FloodBacklog,
  ) {
    this.personLimiter = new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix: this.redis.key('quota', 'person-rpm'),
      points: config.personRequestsPerMinute,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
  }

  async consumeRequest(agentId: string, requestsPerMinute: number): Promise<void> {
    try {
      await this.limiter(requestsPerMinute).consume(agentId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError('rate_limited', `more than ${requestsPerMinute} requests in a minute; retry after ${retryAfterSeconds} s`, {
          retryAfterSeconds,
        });
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

  /**
   * The per-person limits, for a request that would wait for this person (`pendingForPerson`: their pending
   * approvals, from the kept count). Checked after the agent's own limits and only for would-be-pending requests,
   * so a refused or auto-approved request spends none of the person's budget. Fails closed like the agent quota.
   */
  async checkPerson(personId: string, pendingForPerson: number): Promise<void> {
    const { personMaxPending, personRequestsPerMinute } = this.config;
    if (pendingForPerson >= personMaxPending) {
      throw new DomainError(
        'too_many_pending_for_person',
        `this person already has ${personMaxPending} approvals waiting for them; retry after ${PENDING_RETRY_AFTER_SECONDS} s`,
        {
          retryAfterSeconds: PENDING_RETRY_AFTER_SECONDS,
        },
      );
    }
    try {
      await this.personLimiter.consume(personId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError(
          'too_many_pending_for_person',
          `more than ${personRequestsPerMinute} approvals for this person in a minute; retry after ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
      }
      this.logger.error(`per-person quota check failed, refusing the request: ${(rejection as Error).message}`);
      throw quotaUnavailable();
    }
  }

  /**
   * True for the first refusal of this kind for this subject in a minute (shared by every instance through Redis):
   * that one is audited, the rest are not, so a flood does not flood the log. False when Redis cannot say.
   */
  async firstRefusalThisMinute(kind: ThrottledRefusal, subject: string): Promise<boolean> {
    try {
      return (await this.redis.client.set(this.redis.key(`${kind}-audited`, subject), '1', 'PX', AUDIT_EVERY_MS, 'NX')) === 'OK';
    } catch {
      return false;
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

function quotaUnavailable(): DomainError {
  return new DomainError('quota_unavailable', 'the quota store is unavailable; no request is accepted without its quota check', {
    retryAfterSeconds: 5,
  });
}
