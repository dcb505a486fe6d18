import { Controller, Get, Header, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { CIBA_GRANT_TYPE, OAuthService } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { BackchannelRefusal, type BackchannelRequest, CibaService, parseBackchannelRequest } from '@countersign/approvals';
import { answerOAuth, readOAuthForm } from '../http/oauth-form';

/**
 * RFC 6749 token endpoint (client_credentials, and OpenID CIBA's grant) and CIBA's backchannel authentication
 * endpoint; their errors are RFC 6749 §5.2 bodies, not problem+json.
 */
@ApiTags('oauth')
@Controller('oauth')
export class OAuthController {
  /** DPoP proofs name the endpoint by its public URL (PUBLIC_URL), never by the Host header. */
  private readonly tokenEndpoint: string;

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly oauth: OAuthService,
    private readonly ciba: CibaService,
  ) {
    this.tokenEndpoint = `${config.publicUrl}/oauth/token`;
  }

  @Post('token')
  @ApiOperation({ summary: `Agent access token (client_credentials) or a CIBA approval token (${CIBA_GRANT_TYPE})` })
  @ApiConsumes('application/x-www-form-urlencoded')
  token(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerOAuth(reply, async () => {
      const { form, client } = readOAuthForm(request);
      if (form.grant_type !== CIBA_GRANT_TYPE) return this.oauth.token({ ...client, grantType: form.grant_type, scope: form.scope });
      const dpop =
        request.headers.dpop === undefined ? null : { proof: request.headers.dpop, method: request.method, url: this.tokenEndpoint };
      return this.ciba.redeem(await this.oauth.authenticate(client), form.auth_req_id, dpop);
    });
  }

  @Post('bc-authorize')
  @ApiOperation({ summary: 'OpenID CIBA backchannel authentication request: ask a person to approve an action (RFC 9396 details)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  backchannelAuthorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerOAuth(reply, async () => {
      const { form, client } = readOAuthForm(request);
      const agent = await this.oauth.authenticate(client);
      let parsed: BackchannelRequest;
      try {
        parsed = parseBackchannelRequest(form);
      } catch (error) {
        if (error instanceof BackchannelRefusal) return this.ciba.refuseInput({ agentId: agent.id, clientId: agent.clientId }, error);
        throw error;
      }
      return this.ciba.authorize(agent, parsed);
    });
  }
}

/** OpenID Connect Discovery 1.0 and RFC 8414 (OAuth authorization server metadata): one document, two addresses. */
@ApiTags('oauth')
@Controller('.well-known')
export class DiscoveryController {
  constructor(private readonly ciba: CibaService) {}

  @Get('openid-configuration')
  @Header('cache-control', 'public, max-age=60')
  @ApiOperation({ summary: 'OpenID Provider metadata (CIBA, RAR)' })
  openidConfiguration(): Promise<Record<string, unknown>> {
    return this.ciba.discovery();
  }

  @Get('oauth-authorization-server')
  @Header('cache-control', 'public, max-age=60')
  @ApiOperation({ summary: 'OAuth 2.0 authorization server metadata (RFC 8414)' })
  authorizationServer(): Promise<Record<string, unknown>> {
    return this.ciba.discovery();
  }
}
