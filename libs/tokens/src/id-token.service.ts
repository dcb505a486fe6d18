import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { InvalidTokenError } from './own-token-verifier';
import { SIGNING_ALGORITHM, SigningKeysService } from './signing-keys.service';

const ID_TOKEN_TTL_SECONDS = 300;
/** CIBA Core 1.0 §10.1.1: the ID token of a CIBA grant names the request it answers. */
const AUTH_REQ_ID_CLAIM = 'urn:openid:params:jwt:claim:auth_req_id';

/** OpenID Connect ID tokens for the person who approved a CIBA request, signed with the service's keys. */
@Injectable()
export class IdTokenService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly keys: SigningKeysService,
  ) {}

  /** `aud` is the client, `sub` the person; `at_hash` binds it to the access token issued with it. */
  async sign(input: { personId: string; clientId: string; authReqId: string; accessToken: string; authTime: Date }): Promise<string> {
    const key = await this.keys.activeKey();
    const digest = createHash('sha256').update(input.accessToken).digest();
    return new SignJWT({
      [AUTH_REQ_ID_CLAIM]: input.authReqId,
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
      auth_time: Math.floor(input.authTime.getTime() / 1000),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.config.publicUrl)
      .setSubject(input.personId)
      .setAudience(input.clientId)
      .setIssuedAt()
      .setExpirationTime(`${ID_TOKEN_TTL_SECONDS}s`)
      .sign(key.privateKey);
  }

  /**
   * The person an `id_token_hint` names: an ID token this service issued to this client. It may have expired
   * (CIBA Core 1.0 §7.1); its signature, issuer and audience must hold.
   */
  async subjectOfHint(hint: string, clientId: string): Promise<string> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(hint);
    } catch {
      throw new InvalidTokenError('id_token_hint is not a JWS');
    }
    const key = typeof header.kid === 'string' ? await this.keys.publicKey(header.kid) : null;
    if (!key) throw new InvalidTokenError('id_token_hint was not signed by this service');
    try {
      const { payload } = await jwtVerify(hint, key, {
        algorithms: [SIGNING_ALGORITHM],
        typ: 'JWT',
        issuer: this.config.publicUrl,
        audience: clientId,
      });
      return subjectOf(payload.sub);
    } catch (error) {
      if (error instanceof errors.JWTExpired) return subjectOf(error.payload.sub);
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`id_token_hint is invalid: ${error.code}`);
      throw error;
    }
  }
}

function subjectOf(sub: unknown): string {
  if (typeof sub !== 'string') throw new InvalidTokenError('id_token_hint has no subject');
  return sub;
}
