import { Controller, Get, Inject, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { ref, type SsoProviders } from '@countersign/contract';
import { safeReturnPath, SSO_LOGIN_TTL_MS, SsoRefused, SsoService, ssoStartQuery } from '@countersign/people';
import { PeopleOnlyGuard } from '../http/auth.guards';
import { parseBody } from '../http/parse';
import { clearSsoCookie, readSsoCookie, setSessionCookie, setSsoCookie } from '../http/session-cookie';
import { SignInThrottleGuard } from '../http/sign-in-throttle.guard';

/**
 * Single sign-on through the organization's OpenID providers (docs/adr/0016-single-sign-on.md). `start` and
 * `callback` are browser navigations, so they answer with redirects: to the IdP, then into the web app, or to the
 * sign-in page with `?sso_error=<reason>` that it explains. The session is the passkey sign-in's own.
 */
@ApiTags('people')
@Controller('v1/auth/sso')
@UseGuards(PeopleOnlyGuard)
export class SsoController {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly sso: SsoService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The single sign-on providers for the sign-in page, and whether passkey-only sign-in is off' })
  @ApiOkResponse({ schema: ref('SsoProviders') })
  providers(): SsoProviders {
    return this.sso.list();
  }

  @Get(':provider/start')
  @UseGuards(SignInThrottleGuard)
  @ApiOperation({ summary: "Redirects to the provider's sign-in (authorization code flow with PKCE, state and nonce)" })
  async start(
    @Param('provider') provider: string,
    @Query() query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const { next } = parseBody(ssoStartQuery, query);
    try {
      const started = await this.sso.start(provider, safeReturnPath(next));
      setSsoCookie(reply, this.config, started.browserSecret, SSO_LOGIN_TTL_MS / 1000);
      this.redirect(reply, started.url);
    } catch (error) {
      this.refused(reply, provider, error);
    }
  }

  @Get(':provider/callback')
  @UseGuards(SignInThrottleGuard)
  @ApiOperation({ summary: "The provider's redirect back: validates the ID token, signs the person in, redirects into the app" })
  async callback(
    @Param('provider') provider: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    // The whole query, as the IdP sent it, goes to openid-client (code, state, iss, or error).
    const query = new URL(request.url, 'http://callback.invalid').searchParams;
    clearSsoCookie(reply, this.config);
    try {
      const signedIn = await this.sso.finish(provider, readSsoCookie(request, this.config), query, request.headers['user-agent'] ?? null);
      setSessionCookie(reply, this.config, signedIn.session);
      this.redirect(reply, `${this.config.publicUrl}${signedIn.returnTo}`);
    } catch (error) {
      this.refused(reply, provider, error);
    }
  }

  private redirect(reply: FastifyReply, location: string): void {
    void reply.code(303).header('location', location).header('cache-control', 'no-store');
  }

  /** A refusal the sign-in page explains; anything else is a fault for the problem filter. */
  private refused(reply: FastifyReply, provider: string, error: unknown): void {
    if (!(error instanceof SsoRefused)) throw error;
    const query = new URLSearchParams({ sso_error: error.reason, provider });
    this.redirect(reply, `${this.config.publicUrl}/sign-in?${query.toString()}`);
  }
}
