import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type JWK } from 'jose';
import { SigningKeysService } from '@countersign/tokens';

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=60')
  @ApiOperation({ summary: 'Public keys of every token Countersign signs (retiring keys stay until their tokens expire)' })
  jwks(): Promise<{ keys: JWK[] }> {
    return this.keys.jwks();
  }
}
