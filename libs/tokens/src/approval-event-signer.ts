import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type JWTPayload, SignJWT } from 'jose';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { SigningKeysService } from './signing-keys.service';

export const APPROVAL_EVENT_TYPE = 'approval-event+jwt';
const EVENT_TOKEN_TTL_SECONDS = 300;

/** Signs the JWS that callbacks carry; verifiable with the JWKS, and never mistakable for an approval token. */
@Injectable()
export class ApprovalEventSigner {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly keys: SigningKeysService,
  ) {}

  async sign(audience: string, claims: JWTPayload): Promise<string> {
    const key = await this.keys.activeKey();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: APPROVAL_EVENT_TYPE })
      .setIssuer(this.config.publicUrl)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${EVENT_TOKEN_TTL_SECONDS}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }
}
