import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { dpopAccessTokenHash } from '../src/dpop';

/** A client's DPoP key pair, as a client library would hold it. */
export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: what a token bound to this key carries as `cnf.jkt`. */
  jkt: string;
}

export async function newDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** Seconds since the epoch; defaults to now. */
  iat?: number;
  jti?: string;
  /** Adds `ath` for this access token. */
  accessToken?: string;
  /** Header members to add or replace (`typ`, `jwk`, ...). */
  header?: Record<string, unknown>;
  /** Claims to add or replace. */
  claims?: Record<string, unknown>;
}

/** A DPoP proof (RFC 9449 §4.2) signed with the key, with overridable header and claims for negative tests. */
export function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: dpopAccessTokenHash(options.accessToken) }),
    ...options.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...options.header })
    .sign(key.privateKey);
}

/** A proof with `alg: none` and an empty signature, which no honest client sends. */
export function unsignedDpopProof(key: DpopKey, htu: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = { alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk };
  const claims = { jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) };
  return `${encode(header)}.${encode(claims)}.`;
}

/** A proof MACed with HS256 under a secret, carrying a public jwk so that only its alg is wrong. */
export function hmacDpopProof(key: DpopKey, htu: string): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
}
