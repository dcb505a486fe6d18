import { Injectable } from '@nestjs/common';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import { SIGNING_ALGORITHM, SigningKeysService } from './signing-keys.service';

export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Verifies tokens Countersign signed itself: allow-listed alg, explicit typ, issuer and audience (RFC 8725). */
@Injectable()
export class OwnTokenVerifier {
  constructor(private readonly keys: SigningKeysService) {}

  async verify(token: string, expected: { typ: string; issuer: string; audience?: string }): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = typeof header.kid === 'string' ? await this.keys.publicKey(header.kid) : null;
          if (!key) throw new InvalidTokenError('unknown signing key');
          return key;
        },
        { algorithms: [SIGNING_ALGORITHM], typ: expected.typ, issuer: expected.issuer, audience: expected.audience, clockTolerance: 5 },
      );
      return payload;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`invalid token: ${error.code}`);
      throw error;
    }
  }
}
