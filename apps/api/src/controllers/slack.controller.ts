import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';
import { type SlackAnswer, SlackInteractionsService } from '@countersign/channels';
import { DomainError } from '@countersign/domain';
import { rawBodyOf } from '../http/body-parsers';

/** Slack's interactivity and events requests: verified over the raw body, answered at once (Slack wants ≤ 3 s). */
@ApiExcludeController()
@Controller('slack')
export class SlackController {
  constructor(private readonly interactions: SlackInteractionsService) {}

  @Post('events')
  @HttpCode(200)
  events(@Req() request: FastifyRequest): Promise<SlackAnswer> {
    const rawBody = rawBodyOf(request);
    if (rawBody === undefined) throw new DomainError('invalid_request', 'Slack requests are form-encoded or JSON');
    return this.interactions.handle({
      rawBody,
      timestamp: header(request, 'x-slack-request-timestamp'),
      signature: header(request, 'x-slack-signature'),
    });
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
