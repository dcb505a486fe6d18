import { Injectable } from '@nestjs/common';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { DomainError } from '@countersign/domain';
import { RedisService } from '@countersign/queue';
import { AccessTokenService } from '@countersign/tokens';
import { AgentRepository } from './agent.repository';
import { SecretChecker } from './secret-checker';

/** Failed client authentications per client id and address per minute before that pair is refused unchecked. */
export const MAX_FAILED_ATTEMPTS = 10;

/** RFC 6749 §5.2 error codes the token endpoint can answer with. */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** invalid_client answers 401 with WWW-Authenticate; 429 when a client is locked out after failed attempts. */
    readonly status: 400 | 401 | 429 = error === 'invalid_client' ? 401 : 400,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

export interface TokenRequest {
  grantType: string | undefined;
  /** The caller's address: failed attempts are counted per client id and address. */
  remoteAddress: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scope: string | undefined;
}

/** The OAuth 2.0 token endpoint's logic: client_credentials for agents (DESIGN.md, "Agent authentication"). */
@Injectable()
export class OAuthService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly secrets: SecretChecker,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
  ) {}

  private failedAttempts?: RateLimiterRedis;

  async token(request: TokenRequest): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    if (!request.grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    if (!request.clientId || !request.clientSecret)
      throw new OAuthError('invalid_client', 'client authentication is required (client_secret_basic or client_secret_post)');
    const attemptKey = `${request.clientId.slice(0, 100)}|${request.remoteAddress}`;
    await this.refuseIfLockedOut(attemptKey);
    const agent = await this.agents.findByClientId(request.clientId);
    if (!agent || !(await this.secrets.matches(request.clientId, request.clientSecret, agent.secretHash))) {
      await this.failures()
        .penalty(attemptKey)
        .catch(() => undefined);
      await this.refuse(SYSTEM, null, 'unknown client or wrong secret', request.clientId);
      throw new OAuthError('invalid_client', 'client authentication failed');
    }
    const actor: Actor = { type: 'agent', id: agent.id, clientId: agent.clientId };
    if (agent.status !== 'active') {
      await this.refuse(actor, agent.id, 'agent suspended', agent.clientId);
      throw new OAuthError('invalid_client', 'client authentication failed');
    }
    if (request.grantType !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${JSON.stringify(request.grantType)} is not supported; use client_credentials`,
      );
    }
    if (request.scope !== undefined && request.scope.trim() !== '') {
      throw new OAuthError('invalid_scope', 'agent tokens carry no scopes; capabilities are configured per agent');
    }
    const issued = await this.accessTokens.issue({ agentId: agent.id, clientId: agent.clientId });
    await this.audit.record(actor, [
      { type: AuditEventType.AgentTokenIssued, subject: { type: 'agent', id: agent.id }, data: { expires_in: issued.expires_in } },
    ]);
    return issued;
  }

  /**
   * Secrets are checked with scrypt (32 MiB, tens of ms) on purpose, so guessing must be throttled too: after
   * MAX_FAILED_ATTEMPTS failures per client id and address within a minute, that pair is refused without a check.
   * Fails closed: without Redis the endpoint answers 503 rather than checking secrets unthrottled.
   */
  private async refuseIfLockedOut(key: string): Promise<void> {
    let failures: RateLimiterRes | null;
    try {
      failures = await this.failures().get(key);
    } catch {
      throw new DomainError('quota_unavailable', 'the attempt counter is unavailable; try again shortly', { retryAfterSeconds: 5 });
    }
    if (failures && failures.consumedPoints >= MAX_FAILED_ATTEMPTS) {
      throw new OAuthError(
        'invalid_client',
        'too many failed attempts; retry later',
        429,
        Math.max(1, Math.ceil(failures.msBeforeNext / 1000)),
      );
    }
  }

  private failures(): RateLimiterRedis {
    this.failedAttempts ??= new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix: this.redis.key('oauth', 'failed'),
      points: Number.MAX_SAFE_INTEGER,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    return this.failedAttempts;
  }

  private async refuse(actor: Actor, agentId: string | null, reason: string, clientId: string): Promise<void> {
    await this.audit.record(actor, [
      {
        type: AuditEventType.AgentTokenRefused,
        ...(agentId ? { subject: { type: 'agent', id: agentId } } : {}),
        data: { reason, client_id: clientId.slice(0, 100) },
      },
    ]);
  }
}
