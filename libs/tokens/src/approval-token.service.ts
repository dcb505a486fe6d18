import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, type JWTPayload, SignJWT } from 'jose';
import { type Actor, type AuditEntry, AuditEventType, AuditService } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Database, type Tx } from '@countersign/database';
import { IssuedTokenRepository } from './issued-token.repository';
import { KeyEncryption } from './key-encryption';
import { InvalidTokenError, OwnTokenVerifier } from './own-token-verifier';
import { SigningKeysService } from './signing-keys.service';

export const APPROVAL_TOKEN_TYPE = 'approval+jwt';

export interface MintApprovalToken {
  approvalId: string;
  action: { type: string; resource: string };
  actionDigest: string;
  audience: string;
  agentClientId: string;
  personId: string;
  risk: { tier: string; reversibility: string | null; blast_radius: string | null };
  approvers: Array<{ sub: string; channel: string; amr: string[] }>;
  ttlSeconds: number;
  /** RFC 9449 §6: binds the token to the DPoP key with this RFC 7638 thumbprint (claim `cnf.jkt`). */
  dpopJkt?: string;
}

/** The claims prepare() writes beyond the registered ones. */
interface MintedClaims {
  act: { sub: string };
  action: MintApprovalToken['action'];
  action_digest: string;
  risk: MintApprovalToken['risk'];
  approvers: MintApprovalToken['approvers'];
}

export interface IssuedTokenRow {
  jti: string;
  approvalId: string;
  audience: string;
  tokenEnc: string;
  expiresAt: Date;
}

export interface PreparedApprovalToken {
  token: string;
  issued: IssuedTokenRow;
  audit: AuditEntry;
}

export type ConsumeResult = { active: false } | ({ active: true } & Record<string, unknown>);

/** Mints the approval token (the contract with downstream, DESIGN.md) and consumes it exactly once. */
@Injectable()
export class ApprovalTokenService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly database: Database,
    private readonly keys: SigningKeysService,
    private readonly verifier: OwnTokenVerifier,
    private readonly issued: IssuedTokenRepository,
    private readonly audit: AuditService,
    private readonly encryption: KeyEncryption,
  ) {}

  /** Inside the caller's transaction: the token exists only if the approval commits. */
  async mint(tx: Tx, actor: Actor, input: MintApprovalToken): Promise<{ token: string; jti: string; expiresAt: Date }> {
    const prepared = await this.prepare(input, tx);
    await this.issued.insert(tx, prepared.issued);
    await this.audit.append(tx, actor, [prepared.audit]);
    return { token: prepared.token, jti: prepared.issued.jti, expiresAt: prepared.issued.expiresAt };
  }

  /**
   * The kill switch's token part, in its transaction: the approvals' tokens that are still usable are revoked, so
   * resuming the agent later does not bring them back. Returns how many.
   */
  revokeUnconsumed(tx: Tx, approvalIds: string[]): Promise<number> {
    return approvalIds.length === 0 ? Promise.resolve(0) : this.issued.revokeUnconsumed(tx, approvalIds);
  }

  /**
   * Signs the token and returns the issued-token row and audit entry that must be written with it, in the same
   * transaction (or statement) as the approval: the token exists only if the approval commits.
   */
  async prepare(input: MintApprovalToken, tx?: Tx): Promise<PreparedApprovalToken> {
    const key = await this.keys.activeKey(tx);
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + input.ttlSeconds;
    const token = await new SignJWT({
      act: { sub: input.agentClientId },
      approval_id: input.approvalId,
      action: input.action,
      action_digest: input.actionDigest,
      risk: input.risk,
      approvers: input.approvers,
      ...(input.dpopJkt === undefined ? {} : { cnf: { jkt: input.dpopJkt } }),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: APPROVAL_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setSubject(input.personId)
      .setAudience(input.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    const expiresAt = new Date(exp * 1000);
    return {
      token,
      issued: { jti, approvalId: input.approvalId, audience: input.audience, tokenEnc: this.encryption.seal(token), expiresAt },
      audit: {
        type: AuditEventType.ApprovalTokenMinted,
        subject: { type: 'approval', id: input.approvalId },
        data: {
          jti,
          audience: input.audience,
          expires_at: expiresAt.toISOString(),
          kid: key.kid,
          ...(input.dpopJkt === undefined ? {} : { dpop_jkt: input.dpopJkt }),
        },
      },
    };
  }

  /**
   * RFC 9449 at redemption (the CIBA token grant): the client proves its DPoP key only when it redeems, after the
   * approval's token was minted. In the redemption's transaction, the approval's usable token is revoked and a copy
   * of its claims bound to the key (`cnf.jkt`) is minted, expiring no later than it. Null when the approval has no
   * usable token left (consumed, revoked or expired): there is nothing to bind.
   */
  async bindToKey(tx: Tx, actor: Actor, approvalId: string, jkt: string): Promise<{ token: string; jti: string; expiresAt: Date } | null> {
    const latest = await this.issued.latestForApproval(approvalId, tx);
    if (!latest || (await this.issued.revokeUnconsumed(tx, [approvalId])) === 0) return null;
    // Our own token, read back from our own encrypted store: its claims are the ones prepare() wrote.
    const claims = decodeJwt<MintedClaims>(this.encryption.open(latest.tokenEnc).toString('utf8'));
    const ttlSeconds = Number(claims.exp) - Math.floor(Date.now() / 1000);
    if (ttlSeconds <= 0) return null;
    return this.mint(tx, actor, {
      approvalId,
      action: claims.action,
      actionDigest: claims.action_digest,
      audience: String(claims.aud),
      agentClientId: claims.act.sub,
      personId: String(claims.sub),
      risk: claims.risk,
      approvers: claims.approvers,
      ttlSeconds,
      dpopJkt: jkt,
    });
  }

  /** The approval token minted for an approval, for its agent's later reads; null if none was minted. */
  async tokenFor(approvalId: string): Promise<string | null> {
    const row = await this.issued.latestForApproval(approvalId);
    return row ? this.encryption.open(row.tokenEnc).toString('utf8') : null;
  }

  /** RFC 7662 in spirit: `{active: true, ...claims}` once, then `{active: false}` and nothing else. */
  /** `token` as the transport parsed it (`consumeRequestToken`): null when the body held none. */
  async consume(resourceServer: { id: string; audience: string }, token: string | null): Promise<ConsumeResult> {
    const actor: Actor = { type: 'resource_server', id: resourceServer.id };
    let claims: JWTPayload;
    try {
      if (token === null) throw new InvalidTokenError('token missing or too long');
      claims = await this.verifier.verify(token, {
        typ: APPROVAL_TOKEN_TYPE,
        issuer: this.config.publicUrl,
        audience: resourceServer.audience,
      });
      if (typeof claims.jti !== 'string') throw new InvalidTokenError('token has no jti');
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      await this.audit.record(actor, [{ type: AuditEventType.ApprovalTokenConsumeRefused, data: { reason: error.reason } }]);
      return { active: false };
    }
    const jti = claims.jti;
    const consumed = await this.database.transaction(async (tx) => {
      const row = await this.issued.consume(tx, jti, resourceServer.audience, resourceServer.id);
      await this.audit.append(tx, actor, [
        row
          ? { type: AuditEventType.ApprovalTokenConsumed, subject: { type: 'approval', id: row.approvalId }, data: { jti } }
          : {
              type: AuditEventType.ApprovalTokenConsumeRefused,
              subject: { type: 'approval', id: String(claims.approval_id) },
              data: { jti, reason: 'already consumed, revoked, expired or agent suspended' },
            },
      ]);
      return row;
    });
    if (!consumed) return { active: false };
    const { iss, sub, aud, iat, nbf, exp, act, approval_id, action, action_digest, risk, approvers, cnf } = claims;
    const bound = cnf === undefined ? {} : { cnf };
    return { active: true, iss, sub, aud, iat, nbf, exp, jti, act, approval_id, action, action_digest, risk, approvers, ...bound };
  }
}
