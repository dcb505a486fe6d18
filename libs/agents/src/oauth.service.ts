import { Injectable } from '@nestjs/common';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { DomainError } from '@countersign/domain';
import { RedisService } from '@countersign/queue';
import { AccessTokenService } from '@countersign/tokens';
import { AgentRepository, type AgentRecord } from './agent.repository';
import { SecretChecker } from './secret-checker';

/** OpenID CIBA's grant type (CIBA Core 1.0 §10.1), redeemed by the approvals library's CibaService. */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

/** Failed client authentications per client id and address per minute before that pair is refused unchecked. */
export const MAX_FAILED_ATTEMPTS = 10;

/**
 * The error codes the token and backchannel authentication endpoints can answer with: RFC 6749 §5.2's, CIBA Core
 * 1.0's (§13, §11), RFC 9396's invalid_authorization_details and RFC 9449's invalid_dpop_proof.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unknown_user_id'
  | 'invalid_binding_message'
  | 'invalid_authorization_details'
  | 'access_denied'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_dpop_proof';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /**
     * invalid_client answers 401 with WWW-Authenticate; 429 when a client is locked out after failed attempts;
     * 403 for a backchannel request the person or policy refused (CIBA Core 1.0 §13).
     */
    readonly status: 400 | 401 | 403 | 429 = error === 'invalid_client' ? 401 : 400,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

/** client_secret_basic or client_secret_post, as the transport read it. */
export interface ClientCredentials {
  /** The caller's address: failed attempts are counted per client id and address. */
  remoteAddress: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
}

export interface TokenRequest extends ClientCredentials {
  grantType: string | undefined;
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
    const agent = await this.authenticate(request);
    const actor: Actor = { type: 'agent', id: agent.id, clientId: agent.clientId };
    if (request.grantType !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${JSON.stringify(request.grantType)} is not supported; use client_credentials or ${CIBA_GRANT_TYPE}`,
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
   * Client authentication at the token and backchannel authentication endpoints: the active agent whose secret
   * this is, or invalid_client (audited, and counted against the client id and address).
   */
  async authenticate(credentials: ClientCredentials): Promise<AgentRecord> {
    if (!credentials.clientId || !credentials.clientSecret)
      throw new OAuthError('invalid_client', 'client authentication is required (client_secret_basic or client_secret_post)');
    const attemptKey = `${credentials.clientId.slice(0, 100)}|${credentials.remoteAddress}`;
    await this.refuseIfLockedOut(attemptKey);
    const agent = await this.agents.findByClientId(credentials.clientId);
    if (!agent || !(await this.secrets.matches(credentials.clientId, credentials.clientSecret, agent.secretHash))) {
      await this.failures()
        .penalty(attemptKey)
        .catch(() => undefined);
      await this.refuse(SYSTEM, null, 'unknown client or wrong secret', credentials.clientId);
      throw new OAuthError('invalid_client', 'client authentication failed');
    }
    if (agent.status !== 'active') {
      await this.refuse({ type: 'agent', id: agent.id, clientId: agent.clientId }, agent.id, 'agent suspended', agent.clientId);
      throw new OAuthError('invalid_client', 'client authentication failed');
    }
    return agent;
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
