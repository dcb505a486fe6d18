import { Controller, HttpCode, type OnApplicationBootstrap, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';
import { type SlackAnswer, SlackBoltService } from '@countersign/channels';
import { DomainError } from '@countersign/domain';
import { rawBodyOf } from '../http/body-parsers';

/**
 * Slack's way in (ADR 0022): this route hands Bolt's HTTP receiver the raw body and headers, and Slack gets its answer
 * as soon as the listener acknowledges. The API is the process that opens Slack's way in, Socket Mode included.
 */
@ApiExcludeController()
@Controller('slack')
export class SlackController implements OnApplicationBootstrap {
  constructor(private readonly slack: SlackBoltService) {}

  onApplicationBootstrap(): void {
    this.slack.start();
  }

  @Post('events')
  @HttpCode(200)
  events(@Req() request: FastifyRequest): Promise<SlackAnswer> {
    const rawBody = rawBodyOf(request);
    if (rawBody === undefined) throw new DomainError('invalid_request', 'Slack requests are form-encoded or JSON');
    return this.slack.receive({ rawBody, headers: request.headers });
  }
}
