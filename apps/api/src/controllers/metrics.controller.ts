import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { Metrics } from '@countersign/observability';
import { QueueService } from '@countersign/queue';

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly queue: QueueService,
  ) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    try {
      for (const { queue, state, count } of await this.queue.depth()) this.metrics.queueDepth.set({ queue, state }, count);
    } catch {
      // Redis down: the depth gauge keeps its last value; the scrape itself must still answer.
    }
    void reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
