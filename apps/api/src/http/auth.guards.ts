import { timingSafeEqual, createHash } from 'node:crypto';
import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { ResourceServersService, type ResourceServerView } from '@countersign/agents';
import { type Actor, ADMIN_TOKEN } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { type PersonSession, SessionService } from '@countersign/people';
import { AccessTokenService, type AgentPrincipal } from '@countersign/tokens';
import { readSessionCookie } from './session-cookie';

type AuthenticatedRequest = FastifyRequest & {
  agent?: AgentPrincipal;
  resourceServer?: ResourceServerView;
  personSession?: PersonSession;
  adminActor?: Actor;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request defence for cookie-authenticated state changes (and sign-in, against login CSRF): the
 * request must come from Countersign's own origin. Browsers always send Origin on POST; a request with neither
 * Origin nor Referer is refused (fail closed).
 */
export function assertSameOrigin(request: FastifyRequest, config: CountersignConfig): void {
  const expected = new URL(config.publicUrl).origin;
  const origin = request.headers.origin ?? refererOrigin(request.headers.referer);
  if (origin !== expected) {
    throw new DomainError(
      'forbidden',
      origin
        ? `cross-origin request refused (Origin ${origin}, expected ${expected})`
        : 'request refused: no Origin header (cross-site request defence)',
    );
  }
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * People: a live session cookie. Any Authorization header is refused outright, so agent credentials can never
 * reach the people's API. State-changing requests also need our Origin and the session's CSRF token
 * (X-CSRF-Token), which the browser app reads from the sign-in answer or GET /v1/me.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.personSession = await this.authenticate(request);
    return true;
  }

  async authenticate(request: FastifyRequest): Promise<PersonSession> {
    refuseAuthorizationHeader(request);
    const cookie = readSessionCookie(request, this.config);
    const session = cookie ? await this.sessions.authenticate(cookie) : null;
    if (!session) throw new DomainError('unauthenticated', 'sign in with your passkey (no live session)');
    if (!SAFE_METHODS.has(request.method)) {
      assertSameOrigin(request, this.config);
      const header = request.headers['x-csrf-token'];
      if (!sameSecret(typeof header === 'string' ? header : undefined, session.csrfToken))
        throw new DomainError('forbidden', 'missing or wrong X-CSRF-Token for this session');
    }
    return session;
  }
}

/** Agent and resource-server credentials never reach the people's API (/v1/me, /v1/auth), not even sign-in. */
function refuseAuthorizationHeader(request: FastifyRequest): void {
  if (request.headers.authorization !== undefined) {
    throw new DomainError(
      'unauthenticated',
      'this API is for people signed in with a passkey; bearer and basic credentials are not accepted here',
    );
  }
}

/** For the people's routes that need no session (enrollment, sign-in): refuses any Authorization header. */
@Injectable()
export class PeopleOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    refuseAuthorizationHeader(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}

/**
 * Admins: a person signed in with the admin role (with the session rules above), or, for automation, the
 * configured COUNTERSIGN_ADMIN_TOKEN as a bearer token (off when unset).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expectedToken: Buffer | null;

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly sessionGuard: SessionGuard,
  ) {
    this.expectedToken = config.adminToken ? createHash('sha256').update(config.adminToken).digest() : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.headers.authorization !== undefined) {
      const token = bearer(request);
      const presented = token ? createHash('sha256').update(token).digest() : null;
      if (!this.expectedToken || !presented || !timingSafeEqual(presented, this.expectedToken))
        throw new DomainError('unauthenticated', 'admin credentials required');
      request.adminActor = ADMIN_TOKEN;
      return true;
    }
    const session = await this.sessionGuard.authenticate(request);
    if (session.person.role !== 'admin') throw new DomainError('forbidden', 'the admin role is required');
    request.personSession = session;
    request.adminActor = { type: 'person', id: session.person.id };
    return true;
  }
}

function bearer(request: FastifyRequest): string | null {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(request.headers.authorization ?? '');
  return match ? match[1] : null;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const unescape = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    const credentials = { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
    // No client id or secret holds NUL, and Postgres could not look one up: malformed, like a missing colon.
    return `${credentials.id}${credentials.secret}`.includes('\u0000') ? null : credentials;
  } catch {
    return null;
  }
}

/**
 * Agents: a valid `at+jwt` access token from our token endpoint. Whether the agent is still active is checked by
 * the service in the same query that loads what the request needs (one round trip, and no stale cache).
 */
@Injectable()
export class AgentAuthGuard implements CanActivate {
  constructor(private readonly accessTokens: AccessTokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearer(request);
    if (!token) throw new DomainError('unauthenticated', 'an agent access token is required (Authorization: Bearer ...)');
    try {
      request.agent = await this.accessTokens.verify(token);
    } catch {
      throw new DomainError('unauthenticated', 'the access token is invalid or expired');
    }
    return true;
  }
}

/** Resource servers (downstream services): HTTP Basic with their client credentials. */
@Injectable()
export class ResourceServerAuthGuard implements CanActivate {
  constructor(private readonly servers: ResourceServersService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const credentials = basicCredentials(request.headers.authorization);
    const server = credentials ? await this.servers.authenticate(credentials.id, credentials.secret) : null;
    if (!server)
      throw new DomainError('unauthenticated', 'resource server authentication failed (HTTP Basic with its client id and secret)', {
        challenge: 'Basic realm="countersign"',
      });
    request.resourceServer = server;
    return true;
  }
}

export const CurrentAgent = createParamDecorator((_data: unknown, context: ExecutionContext): AgentPrincipal => {
  const agent = context.switchToHttp().getRequest<AuthenticatedRequest>().agent;
  if (!agent) throw new Error('CurrentAgent used without AgentAuthGuard');
  return agent;
});

export const CurrentResourceServer = createParamDecorator((_data: unknown, context: ExecutionContext): ResourceServerView => {
  const server = context.switchToHttp().getRequest<AuthenticatedRequest>().resourceServer;
  if (!server) throw new Error('CurrentResourceServer used without ResourceServerAuthGuard');
  return server;
});

export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): PersonSession => {
  const session = context.switchToHttp().getRequest<AuthenticatedRequest>().personSession;
  if (!session) throw new Error('CurrentSession used without SessionGuard');
  return session;
});

/** The admin acting: a person, or automation with the admin token. */
export const CurrentAdmin = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().adminActor;
  if (!actor) throw new Error('CurrentAdmin used without AdminGuard');
  return actor;
});
