import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, errors, importJWK, type JWK } from 'jose';
import type { RedisConsumeClient } from './consume.js';

/** RFC 9449 §4.2: the JOSE `typ` of a DPoP proof. */
export const DPOP_PROOF_TYPE = 'dpop+jwt';

/** Asymmetric algorithms accepted for a proof (RFC 9449 §4.3: never `none`, never a MAC). */
export const DPOP_ALGORITHMS: readonly string[] = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
];

export const DEFAULT_DPOP_IAT_WINDOW_SECONDS = 60;

/** Why a proof was refused. Stable strings: callers log and branch on them. */
export type DpopFailure =
  | 'missing'
  | 'multiple'
  | 'malformed'
  | 'wrong_type'
  | 'algorithm_not_allowed'
  | 'private_key'
  | 'bad_signature'
  | 'method_mismatch'
  | 'url_mismatch'
  | 'stale'
  | 'replayed'
  | 'ath_mismatch'
  | 'key_mismatch'
  | 'replay_store_failed';

export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';

  constructor(
    readonly reason: DpopFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Remembers proof ids. Resolve `true` the first time a key is seen, `false` while it is still remembered. */
export interface DpopReplayStore {
  remember(key: string, expiresAt: Date): Promise<boolean>;
}

export interface DpopProofRequest {
  /** The request's `DPoP` header value(s) as the framework gives them (Node: `string | string[] | undefined`). */
  proof: string | readonly string[] | undefined;
  /** The request's HTTP method (`htm`). */
  method: string;
  /** The absolute URL the client called (`htu`); query and fragment are ignored on both sides. */
  url: string | URL;
  /** When presented with an access token, the proof's `ath` must be its hash. */
  accessToken?: string;
  /** When the token is bound (`cnf.jkt`), the proof's key must have this thumbprint. */
  expectedJkt?: string;
}

export interface DpopProofOptions {
  replayStore: DpopReplayStore;
  /** How far `iat` may be from now, either way; defaults to 60 s. */
  iatWindowSeconds?: number;
  /** A subset of `DPOP_ALGORITHMS`; defaults to all of them. */
  algorithms?: readonly string[];
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the value a bound token carries as `cnf.jkt`. */
  jkt: string;
  jti: string;
  iat: number;
}

// A proof is a few hundred bytes (a few kB with an RSA key); anything longer is not worth decoding.
const MAX_PROOF_LENGTH = 8_192;
const MAX_JTI_LENGTH = 256;
// RFC 7517/7518 private (or secret) members: a proof that carries any of them leaked its key.
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function refuse(reason: DpopFailure, message: string, cause?: unknown): never {
  throw new DpopProofError(reason, message, cause === undefined ? undefined : { cause });
}

/** RFC 9449 §4.2 `ath`: base64url (no padding) of SHA-256 over the ASCII access token. */
export function dpopAccessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The URL as `htu` is compared (RFC 9449 §4.3): normalised by the URL parser, without query and fragment. */
export function dpopHtu(url: string | URL): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** Exactly one header (RFC 9449 §4.3 check 1). Node joins repeated headers with ", "; a JWS never holds a comma. */
function singleProof(proof: DpopProofRequest['proof']): string {
  const values = typeof proof === 'string' ? [proof] : Array.isArray(proof) ? (proof as readonly unknown[]) : [];
  if (values.length === 0 || values[0] === '') refuse('missing', 'the request has no DPoP header');
  if (values.length > 1 || (values[0] as string).includes(',')) refuse('multiple', 'the request has more than one DPoP header');
  const value = values[0];
  if (typeof value !== 'string' || value.length > MAX_PROOF_LENGTH) refuse('malformed', 'the DPoP header is not a compact JWS');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkHeader(proof: string, algorithms: readonly string[]): { alg: string; jwk: JWK } {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (cause) {
    refuse('malformed', 'the DPoP proof is not a compact JWS', cause);
  }
  if (header.typ !== DPOP_PROOF_TYPE) refuse('wrong_type', `DPoP proof typ ${JSON.stringify(header.typ)} is not ${DPOP_PROOF_TYPE}`);
  const alg = header.alg;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    refuse('algorithm_not_allowed', `DPoP proof alg ${JSON.stringify(alg)} is not an allowed asymmetric algorithm`);
  }
  const jwk = header.jwk;
  if (!isObject(jwk)) refuse('malformed', 'the DPoP proof header has no jwk');
  const secret = PRIVATE_JWK_MEMBERS.find((member) => member in jwk);
  if (secret !== undefined) refuse('private_key', `the DPoP proof jwk holds private key material (${secret})`);
  return { alg, jwk };
}

async function checkSignature(proof: string, alg: string, jwk: JWK): Promise<Record<string, unknown>> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, alg);
  } catch (cause) {
    refuse('malformed', `the DPoP proof jwk is not a usable ${alg} public key`, cause);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(proof, key, { algorithms: [alg] }));
  } catch (cause) {
    if (cause instanceof errors.JWSSignatureVerificationFailed) refuse('bad_signature', 'the DPoP proof signature does not verify', cause);
    refuse('malformed', 'the DPoP proof is not a valid JWS', cause);
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (cause) {
    refuse('malformed', 'the DPoP proof payload is not JSON', cause);
  }
  if (!isObject(claims)) refuse('malformed', 'the DPoP proof payload is not a JSON object');
  return claims;
}

interface ProofClaims {
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath?: unknown;
}

function checkClaimShapes(claims: Record<string, unknown>): ProofClaims {
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) refuse('malformed', 'the DPoP proof jti is missing');
  if (typeof htm !== 'string') refuse('malformed', 'the DPoP proof htm is missing');
  if (typeof htu !== 'string') refuse('malformed', 'the DPoP proof htu is missing');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) refuse('malformed', 'the DPoP proof iat is missing');
  return { jti, htm, htu, iat, ath: claims.ath };
}

function checkRequestMatch(claims: ProofClaims, request: DpopProofRequest, windowSeconds: number): void {
  if (claims.htm !== request.method) refuse('method_mismatch', `the DPoP proof is for ${claims.htm}, not ${request.method}`);
  const expected = dpopHtu(request.url);
  if (expected === undefined) throw new TypeError('verifyDpopProof: url must be an absolute URL');
  if (dpopHtu(claims.htu) !== expected) refuse('url_mismatch', `the DPoP proof is for ${claims.htu}, not ${expected}`);
  const now = Date.now() / 1000;
  if (Math.abs(now - claims.iat) > windowSeconds) refuse('stale', `the DPoP proof iat is more than ${windowSeconds} s from now`);
  if (request.accessToken !== undefined && claims.ath !== dpopAccessTokenHash(request.accessToken)) {
    refuse('ath_mismatch', 'the DPoP proof ath is not the hash of the presented token');
  }
}

async function rememberOnce(store: DpopReplayStore, jkt: string, claims: ProofClaims, windowSeconds: number): Promise<void> {
  // Past iat + window the proof is refused as stale anyway: it needs remembering only until then.
  const expiresAt = new Date((claims.iat + windowSeconds) * 1000);
  let first: boolean;
  try {
    first = await store.remember(`${jkt}:${claims.jti}`, expiresAt);
  } catch (cause) {
    refuse('replay_store_failed', 'the DPoP replay store is unavailable', cause);
  }
  if (first !== true) refuse('replayed', 'the DPoP proof was already used');
}

/**
 * RFC 9449 §4.3 and §7.1: checks a request's DPoP proof and returns its key's thumbprint. Throws `DpopProofError`
 * only (and `TypeError` for a caller's bad `url`). The jti is remembered last, so a refused proof burns nothing.
 */
export async function verifyDpopProof(request: DpopProofRequest, options: DpopProofOptions): Promise<VerifiedDpopProof> {
  const windowSeconds = options.iatWindowSeconds ?? DEFAULT_DPOP_IAT_WINDOW_SECONDS;
  const proof = singleProof(request.proof);
  const { alg, jwk } = checkHeader(proof, options.algorithms ?? DPOP_ALGORITHMS);
  const claims = checkClaimShapes(await checkSignature(proof, alg, jwk));
  checkRequestMatch(claims, request, windowSeconds);
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (request.expectedJkt !== undefined && jkt !== request.expectedJkt) {
    refuse('key_mismatch', 'the DPoP proof is signed with another key than the one the token is bound to');
  }
  await rememberOnce(options.replayStore, jkt, claims, windowSeconds);
  return { jkt, jti: claims.jti, iat: claims.iat };
}

/** Single process only: several instances of a service need a shared store (`createRedisDpopReplayStore`). */
export function createMemoryDpopReplayStore(): DpopReplayStore {
  const seen = new Map<string, number>();
  let sweepAt = 1_024;
  return {
    remember(key, expiresAt) {
      const now = Date.now();
      if (seen.size >= sweepAt) {
        for (const [known, until] of seen) if (until <= now) seen.delete(known);
        sweepAt = Math.max(1_024, seen.size * 2);
      }
      const until = seen.get(key);
      if (until !== undefined && until > now) return Promise.resolve(false);
      seen.set(key, expiresAt.getTime());
      return Promise.resolve(true);
    },
  };
}

/** `SET <prefix><key> 1 PX <ttl> NX` on an ioredis client (the same one call the Redis consume strategy uses). */
export function createRedisDpopReplayStore(client: RedisConsumeClient, keyPrefix = 'countersign:dpop:'): DpopReplayStore {
  return {
    async remember(key, expiresAt) {
      const ttlMs = Math.max(1_000, expiresAt.getTime() - Date.now());
      return (await client.set(keyPrefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}
