import { timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import { computeActionDigest } from './action-digest.js';
import { type ConsumeStrategy, createConsumer } from './consume.js';
import { createMemoryDpopReplayStore, type DpopProofOptions, DpopProofError, type DpopReplayStore, verifyDpopProof } from './dpop.js';
import { ApprovalTokenError, type ApprovalTokenErrorCode } from './errors.js';
import { type ApprovalAlgorithm, createKeyResolver, SUPPORTED_ALGORITHMS } from './key-resolver.js';

/** The JOSE `typ` of an approval token. An RFC 9068 access token (`at+jwt`) is never accepted in its place. */
export const APPROVAL_TOKEN_TYPE = 'approval+jwt';

/**
 * The default `maxTokenAge`, in seconds: the longest `token_ttl` a taxonomy tier may set (1 hour, bounded by the
 * taxonomy schema) plus 5 minutes. Countersign never issues a token that lives longer, so one that does was not
 * minted under any taxonomy it accepts.
 */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 3900;

export interface ApprovalVerifierOptions {
  /** Countersign's public URL, compared exactly with `iss`. */
  issuer: string;
  /** This service's audience, as the agent named it when requesting approval. */
  audience: string;
  /** Usually `<issuer>/.well-known/jwks.json`. */
  jwksUri: string;
  consume: ConsumeStrategy;
  /** Header `alg` allow-list; defaults to `['ES256']`, what Countersign signs with. */
  algorithms?: readonly ApprovalAlgorithm[];
  /** Skew allowed on `exp`, `nbf` and `iat`; defaults to 30 s. */
  clockToleranceSeconds?: number;
  /** The longest lifetime (`exp - iat`, seconds) a token may have; defaults to `DEFAULT_MAX_TOKEN_AGE_SECONDS`. */
  maxTokenAge?: number;
  /** An unknown `kid` refetches the JWKS at most once per this period; defaults to 30 s. */
  jwksCooldownMs?: number;
  /** Defaults to 5 s. */
  jwksTimeoutMs?: number;
  /** How long a fetched JWKS is trusted before it is fetched again; defaults to 10 min. */
  jwksCacheMaxAgeMs?: number;
  /** How DPoP proofs of DPoP-bound tokens (`cnf.jkt`) are checked; tokens without `cnf` never need one. */
  dpop?: ApprovalDpopOptions;
}

export interface ApprovalDpopOptions {
  /** Where proof ids are remembered; defaults to one in memory (enough for a single process). */
  replayStore?: DpopReplayStore;
  /** How far a proof's `iat` may be from now, either way; defaults to 60 s. */
  iatWindowSeconds?: number;
  /** A subset of `DPOP_ALGORITHMS`; defaults to all of them (asymmetric only). */
  algorithms?: readonly string[];
}

/** The request that carried a DPoP-bound token: its `DPoP` header(s), method and absolute URL. */
export interface ApprovalDpopRequest {
  /** `req.headers.dpop` as it comes (`string | string[] | undefined`); two headers are refused. */
  proof: string | readonly string[] | undefined;
  method: string;
  /** The absolute URL the client called, as it would write it (scheme and host it used); the query is ignored. */
  url: string | URL;
}

/** The call the service is about to make; the token must have been approved for exactly this. */
export interface ApprovalCall {
  type: string;
  resource: string;
  args: Record<string, unknown>;
  /** The calling agent's client_id, when the service authenticated it; must equal the token's `act.sub`. */
  agent?: string;
  /** Required when the token is DPoP-bound (`cnf.jkt`): the request's proof, checked against the token. */
  dpop?: ApprovalDpopRequest;
}

export interface ApprovalRisk {
  tier: string;
  reversibility: string | null;
  blast_radius: string | null;
}

export interface ApprovalApprover {
  sub: string;
  channel: string;
  amr: string[];
}

/** The claims of an approval token, after verification. */
export interface ApprovalTokenClaims {
  iss: string;
  sub: string;
  /** Countersign issues exactly one audience; an array is refused. */
  aud: string;
  iat: number;
  nbf?: number;
  exp: number;
  jti: string;
  act: { sub: string };
  approval_id: string;
  action: { type: string; resource: string };
  action_digest: string;
  risk: ApprovalRisk;
  approvers: ApprovalApprover[];
  /** RFC 9449 §6: present when the token is DPoP-bound to the key with this thumbprint. */
  cnf?: { jkt: string };
  [claim: string]: unknown;
}

export interface VerifiedApproval {
  approvalId: string;
  jti: string;
  /** The person the agent acted for (`sub`). */
  subject: string;
  /** The agent's client_id (`act.sub`). */
  actor: string;
  audience: string;
  action: { type: string; resource: string };
  risk: ApprovalRisk;
  approvers: ApprovalApprover[];
  issuedAt: Date;
  expiresAt: Date;
  /** The thumbprint of the key whose DPoP proof was checked, when the token is DPoP-bound. */
  dpopJkt?: string;
  claims: Readonly<ApprovalTokenClaims>;
}

export interface ApprovalVerifier {
  /**
   * Verifies the token against the call, then consumes it. Throws only `ApprovalTokenError` (and a `TypeError` when
   * `call.dpop.url` is not absolute: a bug in the caller, not the client's fault).
   */
  verify(token: string, call: ApprovalCall): Promise<VerifiedApproval>;
}

// Approval tokens are a few hundred bytes; anything this long is not one and is not worth decoding.
const MAX_TOKEN_LENGTH = 16_384;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// 64 bytes, ES256 (IEEE P1363 r||s) and Ed25519 alike. The payload needs no such check: the signing input is its
// UTF-8 encoding (injective), so any character that is not in the signed ASCII text fails the signature.
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
const MAX_TRUSTED_HEADERS = 64;

interface TrustedHeader {
  algorithm: ApprovalAlgorithm;
  kid: string;
}

function malformed(message: string, cause?: unknown): ApprovalTokenError {
  return new ApprovalTokenError('malformed', message, cause === undefined ? undefined : { cause });
}

type Json = Record<string, unknown>;

function decodeSegment(segment: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw malformed(`${what} is not base64url-encoded JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not a JSON object`);
  return value as Json;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isApprover(value: unknown): value is ApprovalApprover {
  return (
    isObject(value) &&
    nonEmptyString(value.sub) &&
    typeof value.channel === 'string' &&
    Array.isArray(value.amr) &&
    value.amr.every((method) => typeof method === 'string')
  );
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Every claim the contract requires, with its type; afterwards the payload is an `ApprovalTokenClaims`. */
function assertClaimShapes(claims: Json): asserts claims is ApprovalTokenClaims {
  const missing = (name: string): never => {
    throw malformed(`claim ${name} is missing or has the wrong type`);
  };
  if (!nonEmptyString(claims.jti)) missing('jti');
  if (!nonEmptyString(claims.sub)) missing('sub');
  if (!isObject(claims.act) || !nonEmptyString(claims.act.sub)) missing('act.sub');
  if (!nonEmptyString(claims.approval_id)) missing('approval_id');
  const action = claims.action;
  if (!isObject(action) || typeof action.type !== 'string' || typeof action.resource !== 'string') missing('action');
  if (typeof claims.action_digest !== 'string') missing('action_digest');
  const risk = claims.risk;
  if (!isObject(risk) || typeof risk.tier !== 'string' || !isNullableString(risk.reversibility) || !isNullableString(risk.blast_radius)) {
    missing('risk');
  }
  if (!Array.isArray(claims.approvers) || !claims.approvers.every(isApprover)) missing('approvers');
  if (typeof claims.iat !== 'number') missing('iat');
  if (claims.cnf !== undefined && (!isObject(claims.cnf) || !nonEmptyString(claims.cnf.jkt))) missing('cnf.jkt');
}

const DPOP_ERROR_CODES: Partial<Record<DpopProofError['reason'], ApprovalTokenErrorCode>> = {
  missing: 'dpop_proof_required',
  replayed: 'dpop_proof_replayed',
  key_mismatch: 'dpop_key_mismatch',
  replay_store_failed: 'dpop_replay_store_failed',
};

/** RFC 9449 §7.1: a bound token is refused without a proof by its key over this request and this token. */
function createDpopCheck(options: ApprovalDpopOptions = {}): (token: string, jkt: string, request?: ApprovalDpopRequest) => Promise<void> {
  const proofOptions: DpopProofOptions = {
    replayStore: options.replayStore ?? createMemoryDpopReplayStore(),
    iatWindowSeconds: options.iatWindowSeconds,
    algorithms: options.algorithms,
  };
  return async (token, jkt, request) => {
    if (request === undefined) throw new ApprovalTokenError('dpop_proof_required', 'the approval token is DPoP-bound: pass call.dpop');
    try {
      await verifyDpopProof({ ...request, accessToken: token, expectedJkt: jkt }, proofOptions);
    } catch (cause) {
      if (!(cause instanceof DpopProofError)) throw cause;
      throw new ApprovalTokenError(DPOP_ERROR_CODES[cause.reason] ?? 'dpop_proof_invalid', cause.message, { cause });
    }
  };
}

function sameDigest(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkOptions(options: ApprovalVerifierOptions): void {
  for (const name of ['issuer', 'audience', 'jwksUri'] as const) {
    if (!nonEmptyString(options[name])) throw new TypeError(`createApprovalVerifier: ${name} is required`);
  }
  new URL(options.jwksUri); // throws on a typo at start-up, not on the first request
  const maxTokenAge = options.maxTokenAge;
  if (maxTokenAge !== undefined && !(Number.isFinite(maxTokenAge) && maxTokenAge > 0)) {
    throw new TypeError('createApprovalVerifier: maxTokenAge must be a positive number of seconds');
  }
  const algorithms = options.algorithms;
  if (algorithms !== undefined && (algorithms.length === 0 || !algorithms.every((alg) => SUPPORTED_ALGORITHMS.includes(alg)))) {
    throw new TypeError(`createApprovalVerifier: algorithms must be a non-empty subset of ${SUPPORTED_ALGORITHMS.join(', ')}`);
  }
}

export function createApprovalVerifier(options: ApprovalVerifierOptions): ApprovalVerifier {
  checkOptions(options);
  const { issuer, audience } = options;
  const algorithms: ReadonlySet<string> = new Set(options.algorithms ?? ['ES256']);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const maxTokenAge = options.maxTokenAge ?? DEFAULT_MAX_TOKEN_AGE_SECONDS;
  const consume = createConsumer(options.consume, tolerance);
  const checkDpop = createDpopCheck(options.dpop);
  const keys = createKeyResolver({
    jwksUri: options.jwksUri,
    cooldownMs: options.jwksCooldownMs ?? 30_000,
    timeoutMs: options.jwksTimeoutMs ?? 5_000,
    cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
  });

  const checkSignature = (alg: ApprovalAlgorithm, key: KeyObject, token: string, signatureStart: number): void => {
    const encoded = token.slice(signatureStart);
    let valid = false;
    if (SIGNATURE.test(encoded)) {
      const signature = Buffer.from(encoded, 'base64url');
      const signingInput = Buffer.from(token.slice(0, signatureStart - 1), 'utf8');
      try {
        valid =
          alg === 'ES256'
            ? verifySignature('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)
            : verifySignature(null, signingInput, key, signature);
      } catch {
        valid = false;
      }
    }
    if (!valid) throw new ApprovalTokenError('bad_signature', 'approval token signature does not verify');
  };

  // Every token from one signing key carries the same encoded header: remember the ones that passed the checks.
  const trustedHeaders = new Map<string, TrustedHeader>();
  const checkHeader = (encoded: string): TrustedHeader => {
    const known = trustedHeaders.get(encoded);
    if (known !== undefined) return known;
    // RFC 8725: the header is attacker-controlled; use nothing in it beyond alg/typ/kid, checked against our lists.
    if (!BASE64URL.test(encoded)) throw malformed('header is not base64url');
    const header = decodeSegment(encoded, 'header');
    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.has(alg)) {
      throw new ApprovalTokenError('algorithm_not_allowed', `alg ${JSON.stringify(alg)} is not allowed`);
    }
    if (header.typ !== APPROVAL_TOKEN_TYPE) {
      throw new ApprovalTokenError('wrong_type', `typ ${JSON.stringify(header.typ)} is not ${APPROVAL_TOKEN_TYPE}`);
    }
    if (header.crit !== undefined) throw malformed('crit header parameters are not supported');
    const kid = header.kid;
    if (!nonEmptyString(kid)) throw new ApprovalTokenError('unknown_key', 'approval token header has no kid');
    const trusted: TrustedHeader = { algorithm: alg as ApprovalAlgorithm, kid };
    if (trustedHeaders.size >= MAX_TRUSTED_HEADERS) trustedHeaders.clear();
    trustedHeaders.set(encoded, trusted);
    return trusted;
  };

  const verify = async (token: string, call: ApprovalCall): Promise<VerifiedApproval> => {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw malformed('not a compact JWS');
    const headerEnd = token.indexOf('.');
    const signatureStart = token.indexOf('.', headerEnd + 1) + 1;
    // Three non-empty-headed segments; an empty signature is let through to be refused by its alg (none).
    if (headerEnd <= 0 || signatureStart <= headerEnd + 2 || token.indexOf('.', signatureStart) !== -1) {
      throw malformed('not a compact JWS');
    }

    const { algorithm, kid } = checkHeader(token.slice(0, headerEnd));
    const key = keys.cached(algorithm, kid) ?? (await keys.resolve(algorithm, kid));
    checkSignature(algorithm, key, token, signatureStart);

    const claims = decodeSegment(token.slice(headerEnd + 1, signatureStart - 1), 'payload');
    if (claims.iss !== issuer) throw new ApprovalTokenError('wrong_issuer', `iss ${JSON.stringify(claims.iss)} is not ${issuer}`);
    // Exactly our audience: Countersign issues one, so an array (even one naming us) was not minted for this call.
    if (claims.aud !== audience) throw new ApprovalTokenError('wrong_audience', `token is not for audience ${audience}`);
    const now = Date.now() / 1000;
    const exp = claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw malformed('claim exp is missing or has the wrong type');
    if (exp <= now - tolerance) throw new ApprovalTokenError('expired', 'approval token has expired');
    const nbf = claims.nbf;
    if (nbf !== undefined && typeof nbf !== 'number') throw malformed('claim nbf has the wrong type');
    if ((nbf !== undefined && nbf > now + tolerance) || (typeof claims.iat === 'number' && claims.iat > now + tolerance)) {
      throw new ApprovalTokenError('not_yet_valid', 'approval token is not valid yet');
    }
    assertClaimShapes(claims);
    // A token that lives longer than any tier allows was not minted under Countersign's rules (or its key leaked).
    if (exp - claims.iat > maxTokenAge) {
      throw new ApprovalTokenError(
        'token_too_long_lived',
        `approval token lives ${exp - claims.iat} s, more than the ${maxTokenAge} s allowed`,
      );
    }

    // Approve exactly this: the call about to run must be the one the person saw.
    if (call.type !== claims.action.type || call.resource !== claims.action.resource) {
      throw new ApprovalTokenError('action_mismatch', 'action type or resource differs from the approved action');
    }
    if (!isObject(call.args)) throw new ApprovalTokenError('action_mismatch', 'args must be a JSON object');
    let digest: string;
    try {
      digest = computeActionDigest({
        type: call.type,
        resource: call.resource,
        args: call.args,
        audience,
        agent: claims.act.sub,
        on_behalf_of: claims.sub,
      });
    } catch (cause) {
      throw new ApprovalTokenError('action_mismatch', 'args have no canonical JSON form', { cause });
    }
    if (!sameDigest(digest, claims.action_digest)) {
      throw new ApprovalTokenError('action_mismatch', 'arguments differ from the approved action');
    }
    if (call.agent !== undefined && call.agent !== claims.act.sub) {
      throw new ApprovalTokenError('actor_mismatch', 'approval token was issued to another agent');
    }

    // Before consuming: a request without the key's proof must not burn the token for its rightful holder.
    const dpopJkt = claims.cnf?.jkt;
    if (dpopJkt !== undefined) await checkDpop(token, dpopJkt, call.dpop);
    await consume(token, claims.jti, exp);
    return {
      approvalId: claims.approval_id,
      jti: claims.jti,
      subject: claims.sub,
      actor: claims.act.sub,
      audience,
      action: { type: claims.action.type, resource: claims.action.resource },
      risk: claims.risk,
      approvers: claims.approvers,
      issuedAt: new Date(claims.iat * 1000),
      expiresAt: new Date(exp * 1000),
      ...(dpopJkt === undefined ? {} : { dpopJkt }),
      claims,
    };
  };

  return { verify };
}
