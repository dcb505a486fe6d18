import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { EnrollmentService, type PersonSession, type SignedIn } from '@countersign/people';
import { assertSameOrigin, CurrentSession, PeopleOnlyGuard, SessionGuard } from '../http/auth.guards';
import { clearSessionCookie, setSessionCookie } from '../http/session-cookie';
import { SignInThrottleGuard } from '../http/sign-in-throttle.guard';
import { personView, type PersonView } from './person-view';

type Body = Record<string, unknown> | undefined;

/**
 * Passkey enrollment and sign-in (SimpleWebAuthn's JSON shapes). Sign-in answers set the session cookie. The
 * unauthenticated calls are throttled per address and must come from Countersign's own origin.
 */
@ApiTags('people')
@Controller('v1/auth')
// Before the throttle and the session: a request carrying agent or server credentials is refused outright.
@UseGuards(PeopleOnlyGuard)
export class AuthController {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly enrollment: EnrollmentService,
  ) {}

  @Post('enrollment/options')
  @UseGuards(SignInThrottleGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Passkey creation options for the person an enrollment link names' })
  enrollmentOptions(@Body() body: Body, @Req() request: FastifyRequest) {
    assertSameOrigin(request, this.config);
    return this.enrollment.enrollmentOptions(body?.token);
  }

  @Post('enrollment/verify')
  @UseGuards(SignInThrottleGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Register the first passkey through the link (used up) and sign in' })
  async enroll(
    @Body() body: Body,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ person: PersonView; csrf_token: string }> {
    assertSameOrigin(request, this.config);
    return this.signedIn(reply, await this.enrollment.enroll(body?.token, body?.response, userAgent(request)));
  }

  @Post('login/options')
  @UseGuards(SignInThrottleGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Passkey request options; with an email its passkeys are listed, else discoverable' })
  loginOptions(@Body() body: Body, @Req() request: FastifyRequest) {
    assertSameOrigin(request, this.config);
    return this.enrollment.loginOptions(body?.email);
  }

  @Post('login/verify')
  @UseGuards(SignInThrottleGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a passkey assertion' })
  async login(
    @Body() body: Body,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ person: PersonView; csrf_token: string }> {
    assertSameOrigin(request, this.config);
    return this.signedIn(reply, await this.enrollment.login(body?.response, userAgent(request)));
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(SessionGuard)
  @ApiOperation({ summary: 'End this session' })
  async logout(@CurrentSession() session: PersonSession, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.enrollment.logout(session);
    clearSessionCookie(reply, this.config);
  }

  private signedIn(reply: FastifyReply, signedIn: SignedIn): { person: PersonView; csrf_token: string } {
    setSessionCookie(reply, this.config, signedIn.session);
    void reply.header('cache-control', 'no-store');
    return { person: personView(signedIn.person), csrf_token: signedIn.session.csrfToken };
  }
}

function userAgent(request: FastifyRequest): string | null {
  return request.headers['user-agent'] ?? null;
}
