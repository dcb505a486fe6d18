import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type ResourceServerView } from '@countersign/agents';
import { ApprovalTokenService, type ConsumeResult, consumeRequestToken } from '@countersign/tokens';
import { CurrentResourceServer, ResourceServerAuthGuard } from '../http/auth.guards';

/** Single use: the first consume of a valid token answers `active: true`, every other call `active: false`. */
@ApiTags('approval tokens')
@ApiBasicAuth()
@Controller('v1/approval-tokens')
@UseGuards(ResourceServerAuthGuard)
export class ApprovalTokensController {
  constructor(private readonly tokens: ApprovalTokenService) {}

  @Post('consume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Consume an approval token (resource servers, HTTP Basic)' })
  consume(@CurrentResourceServer() server: ResourceServerView, @Body() body: unknown): Promise<ConsumeResult> {
    return this.tokens.consume(server, consumeRequestToken(body));
  }
}
