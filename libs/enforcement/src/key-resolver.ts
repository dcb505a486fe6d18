import { KeyObject, type webcrypto } from 'node:crypto';
import { createRemoteJWKSet, type ExportedJWKSCache, jwksCache } from 'jose';
import { ApprovalTokenError } from './errors.js';

/** Asymmetric algorithms this SDK can verify. Symmetric (HS*) and `none` are deliberately not representable. */
export type ApprovalAlgorithm = 'ES256' | 'EdDSA' | 'Ed25519';
export const SUPPORTED_ALGORITHMS: readonly ApprovalAlgorithm[] = ['ES256', 'EdDSA', 'Ed25519'];

export interface KeyResolverOptions {
  jwksUri: string;
  cooldownMs: number;
  timeoutMs: number;
  cacheMaxAgeMs: number;
}

export interface KeyResolver {
  /** Synchronous fast path: the key for (alg, kid) if it was resolved from the JWKS jose currently holds. */
  cached(alg: ApprovalAlgorithm, kid: string): KeyObject | undefined;
  /** Slow path through jose: fetches the JWKS if stale, refetches at most once per cooldown on an unknown kid. */
  resolve(alg: ApprovalAlgorithm, kid: string): Promise<KeyObject>;
}

interface CachedKey {
  key: KeyObject;
  /** jose's "updated at" of the JWKS this key came from; a refetch changes it and invalidates the entry. */
  uat: number | undefined;
}

// CryptoKey -> KeyObject once per jose-imported key (jose caches its CryptoKeys per JWK and alg).
const keyObjects = new WeakMap<object, KeyObject>();

function toKeyObject(key: webcrypto.CryptoKey | KeyObject): KeyObject {
  if (key instanceof KeyObject) return key;
  let converted = keyObjects.get(key);
  if (!converted) {
    converted = KeyObject.from(key);
    keyObjects.set(key, converted);
  }
  return converted;
}

/** RFC 8725 §3.1: the key's type must match the algorithm, whatever the JWKS entry claims. */
export function assertKeyMatchesAlgorithm(alg: ApprovalAlgorithm, key: KeyObject): void {
  const ok =
    key.type === 'public' &&
    (alg === 'ES256'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      : key.asymmetricKeyType === 'ed25519');
  if (!ok) throw new ApprovalTokenError('unknown_key', `key type does not match alg ${alg}`);
}

function joseCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function createKeyResolver(options: KeyResolverOptions): KeyResolver {
  // jose writes { uat, jwks } here exactly when it applies a freshly fetched set: our invalidation signal.
  const joseState: Partial<ExportedJWKSCache> = {};
  const remote = createRemoteJWKSet(new URL(options.jwksUri), {
    cooldownDuration: options.cooldownMs,
    timeoutDuration: options.timeoutMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [jwksCache]: joseState as ExportedJWKSCache,
  });
  const byAlgAndKid = new Map<string, CachedKey>();

  const cached = (alg: ApprovalAlgorithm, kid: string): KeyObject | undefined => {
    const entry = byAlgAndKid.get(alg + ' ' + kid);
    if (entry === undefined) return undefined;
    if (entry.uat !== joseState.uat || !remote.fresh) {
      byAlgAndKid.delete(alg + ' ' + kid);
      return undefined;
    }
    return entry.key;
  };

  const lookup = async (alg: ApprovalAlgorithm, kid: string): Promise<KeyObject> => {
    try {
      return toKeyObject(await remote({ alg, kid }));
    } catch (err) {
      const code = joseCode(err);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
        throw new ApprovalTokenError('unknown_key', `no single key in the JWKS for kid ${JSON.stringify(kid)} and alg ${alg}`, {
          cause: err,
        });
      }
      // Timeout, connection refused, non-200, invalid JSON or an unusable JWK: fail closed.
      throw new ApprovalTokenError('jwks_unavailable', 'approval JWKS unavailable', { cause: err });
    }
  };

  const resolve = async (alg: ApprovalAlgorithm, kid: string): Promise<KeyObject> => {
    // If the set changed while we looked (our own fetch or a concurrent one), look once more so the
    // cached entry provably comes from the set tagged by `uat`.
    for (let attempt = 0; ; attempt++) {
      const before = joseState.uat;
      const key = await lookup(alg, kid);
      assertKeyMatchesAlgorithm(alg, key);
      if (joseState.uat === before) {
        byAlgAndKid.set(alg + ' ' + kid, { key, uat: before });
        return key;
      }
      if (attempt >= 1) return key; // still churning: use it, don't cache it
    }
  };

  return { cached, resolve };
}
