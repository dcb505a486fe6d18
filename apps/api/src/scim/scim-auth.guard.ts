import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { type Actor } from '@countersign/audit';
import { ScimTokensService } from '@countersign/directory';
import { DomainError } from '@countersign/domain';
import { Metrics } from '@countersign/observability';
import { RedisService } from '@countersign/queue';
import { SCIM_REFUSALS_PER_MINUTE, scimRefusalSource } from './scim-refusals';

type DirectoryRequest = FastifyRequest & { directoryActor?: Actor };

/**
 * The organization's directory: a SCIM bearer token (`countersign scim-tokens create`); refusals are audited, up to
 * SCIM_REFUSALS_PER_MINUTE per source address, after which the source is answered 429 unchecked (and unaudited)
 * until its minute is over. The count is shared across instances through Redis; without Redis it fails closed (503).
 */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  private refusals?: RateLimiterRedis;

  constructor(
    private readonly tokens: ScimTokensService,
    private readonly redis: RedisService,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DirectoryRequest>();
    const source = scimRefusalSource(request.ip);
    await this.refuseIfThrottled(source);
    try {
      request.directoryActor = await this.tokens.authenticate(request.headers.authorization, request.ip);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'unauthenticated')
        await this.counter()
          .penalty(source)
          .catch(() => undefined);
      throw error;
    }
    return true;
  }

  private async refuseIfThrottled(source: string): Promise<void> {
    let refused: RateLimiterRes | null;
    try {
      refused = await this.counter().get(source);
    } catch {
      throw new DomainError('quota_unavailable', 'the SCIM refusal counter is unavailable; try again shortly', { retryAfterSeconds: 5 });
    }
    if (refused && refused.consumedPoints >= SCIM_REFUSALS_PER_MINUTE) {
      this.metrics.scimRefusalsThrottled.inc();
      const retryAfterSeconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw new DomainError('rate_limited', `too many refused SCIM requests from this address; retry after ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
  }

  private counter(): RateLimiterRedis {
    this.refusals ??= new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix: this.redis.key('scim', 'refused'),
      points: Number.MAX_SAFE_INTEGER,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    return this.refusals;
  }
}

export const CurrentDirectory = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<DirectoryRequest>().directoryActor;
  if (!actor) throw new Error('CurrentDirectory used without ScimAuthGuard');
  return actor;
});
