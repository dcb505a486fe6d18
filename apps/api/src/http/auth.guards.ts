import { timingSafeEqual, createHash } from 'node:crypto';
import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { ResourceServersService, type ResourceServerView } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { AccessTokenService, type AgentPrincipal } from '@countersign/tokens';

type AuthenticatedRequest = FastifyRequest & { agent?: AgentPrincipal; resourceServer?: ResourceServerView };

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
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
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
    if (!server) throw new DomainError('unauthenticated', 'resource server authentication failed (HTTP Basic with its client id and secret)', { challenge: 'Basic realm="countersign"' });
    request.resourceServer = server;
    return true;
  }
}

/** The admin read API until people sign in: a static bearer token from config; off when unset. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(CONFIG) config: CountersignConfig) {
    this.expected = config.adminToken ? createHash('sha256').update(config.adminToken).digest() : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const token = bearer(context.switchToHttp().getRequest<FastifyRequest>());
    const presented = token ? createHash('sha256').update(token).digest() : null;
    if (!this.expected || !presented || !timingSafeEqual(presented, this.expected)) {
      throw new DomainError('unauthenticated', 'admin credentials required');
    }
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
