import { Controller, Get, HttpException, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Database } from '@countersign/database';
import { RedisService } from '@countersign/queue';

const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: Database,
    private readonly redis: RedisService,
  ) {}

  /** The process is up; says nothing about its dependencies (for restarts, not for routing). */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Postgres and Redis both answer: the instance can take traffic. */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult | object> {
    try {
      return await this.health.check([
        () =>
          this.indicator
            .check('postgres')
            .attempt(() => this.database.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicator
            .check('redis')
            .attempt(() => this.redis.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
    } catch (error) {
      // Terminus reports "down" as a 503 exception carrying the per-dependency result: answer with that result.
      if (!(error instanceof HttpException)) throw error;
      void reply.status(error.getStatus());
      return error.getResponse() as object;
    }
  }
}
