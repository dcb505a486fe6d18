import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { InvalidTokenError, OwnTokenVerifier } from './own-token-verifier';
import { SigningKeysService } from './signing-keys.service';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const VERIFIED_CACHE_LIMIT = 10_000;

export interface AgentPrincipal {
  agentId: string;
  clientId: string;
}

/** RFC 9068 JWT access tokens for agents; audience is Countersign's own API. */
@Injectable()
export class AccessTokenService {
  // Verified tokens, keyed by their hash: an agent's calls verify a signature once per token, not once per call.
  private readonly verified = new Map<string, { principal: AgentPrincipal; expiresAt: number }>();

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly keys: SigningKeysService,
    private readonly verifier: OwnTokenVerifier,
  ) {}

  get audience(): string {
    return `${this.config.publicUrl}/v1`;
  }

  async issue(principal: AgentPrincipal): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const key = await this.keys.activeKey();
    const accessToken = await new SignJWT({ client_id: principal.clientId, agent_id: principal.agentId })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setSubject(principal.clientId)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.config.accessTokenTtlSeconds}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.config.accessTokenTtlSeconds };
  }

  async verify(token: string): Promise<AgentPrincipal> {
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const hit = this.verified.get(cacheKey);
    if (hit && hit.expiresAt > Date.now()) return hit.principal;
    const payload = await this.verifier.verify(token, { typ: ACCESS_TOKEN_TYPE, issuer: this.config.publicUrl, audience: this.audience });
    if (typeof payload.agent_id !== 'string' || typeof payload.client_id !== 'string' || typeof payload.exp !== 'number') {
      throw new InvalidTokenError('access token lacks agent claims');
    }
    const principal = { agentId: payload.agent_id, clientId: payload.client_id };
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(cacheKey, { principal, expiresAt: payload.exp * 1000 });
    return principal;
  }
}
