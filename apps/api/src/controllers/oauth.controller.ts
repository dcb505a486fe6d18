import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { OAuthError, OAuthService } from '@countersign/agents';
import { basicCredentials } from '../http/auth.guards';

/** RFC 6749 token endpoint (client_credentials); its errors are RFC 6749 §5.2 bodies, not problem+json. */
@ApiTags('oauth')
@Controller('oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('token')
  @ApiOperation({ summary: 'Agent access token (client_credentials; client_secret_basic or client_secret_post)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  async token(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const usedBasic = /^Basic /i.test(request.headers.authorization ?? '');
    try {
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new OAuthError('invalid_request', 'the token request must be application/x-www-form-urlencoded');
      }
      const raw = (request.body ?? {}) as Record<string, string | string[]>;
      const repeated = Object.keys(raw).find((key) => Array.isArray(raw[key]));
      if (repeated) throw new OAuthError('invalid_request', `parameter ${repeated} is repeated`);
      const withNul = Object.keys(raw).find((key) => key.includes('\u0000') || (raw[key] as string).includes('\u0000'));
      if (withNul !== undefined) throw new OAuthError('invalid_request', `parameter ${JSON.stringify(withNul)} contains NUL`);
      const form = raw as Record<string, string>;
      const basic = basicCredentials(request.headers.authorization);
      if (usedBasic && !basic) throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials');
      if (basic && ((form.client_id !== undefined && form.client_id !== basic.id) || form.client_secret !== undefined)) {
        throw new OAuthError('invalid_request', 'use exactly one client authentication method');
      }
      const issued = await this.oauth.token({
        grantType: form.grant_type,
        clientId: basic?.id ?? form.client_id,
        clientSecret: basic?.secret ?? form.client_secret,
        scope: form.scope,
        remoteAddress: request.ip,
      });
      void reply.status(200).send(issued);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="countersign"');
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      void reply.status(error.status).send({ error: error.error, error_description: error.description });
    }
  }
}
