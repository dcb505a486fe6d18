import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The fields that bind an approval token to one concrete call; see DESIGN.md, "The approval token". */
export interface ActionDigestInput {
  type: string;
  resource: string;
  args: Record<string, unknown>;
  audience: string;
  /** The agent's OAuth client_id (the token's `act.sub`). */
  agent: string;
  /** The on-behalf-of person's id (the token's `sub`). */
  on_behalf_of: string;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** A string `canonicalize` would serialize exactly as `JSON.stringify` does (it throws on lone surrogates). */
function isPlainString(value: unknown): value is string {
  return typeof value === 'string' && !LONE_SURROGATE.test(value);
}

/**
 * RFC 8785 canonical JSON of the six fields. The verifier runs this per request, so the common case writes the
 * outer object by hand — its keys are fixed and already in UTF-16 order — and leaves only `args` to the library;
 * the output is byte-identical to `canonicalize` of the whole object, which handles every other case.
 */
function canonicalDigestInput(input: ActionDigestInput): string | undefined {
  const { type, resource, args, audience, agent, on_behalf_of } = input;
  if (isPlainString(agent) && isPlainString(audience) && isPlainString(on_behalf_of) && isPlainString(resource) && isPlainString(type)) {
    const canonicalArgs = canonicalize(args);
    if (canonicalArgs !== undefined) {
      return (
        `{"agent":${JSON.stringify(agent)},"args":${canonicalArgs},"audience":${JSON.stringify(audience)},` +
        `"on_behalf_of":${JSON.stringify(on_behalf_of)},"resource":${JSON.stringify(resource)},"type":${JSON.stringify(type)}}`
      );
    }
  }
  // Pick the fields explicitly so extra properties on the caller's object never leak into the digest.
  return canonicalize({ type, resource, args, audience, agent, on_behalf_of });
}

/**
 * `sha256:` + base64url (no padding) of SHA-256 over the RFC 8785 canonical JSON of the six fields. This is the
 * single implementation: Countersign and every downstream verifier must compute it byte for byte alike.
 */
export function computeActionDigest(input: ActionDigestInput): string {
  const canonical = canonicalDigestInput(input);
  if (canonical === undefined) {
    throw new TypeError('action digest input has no JSON representation');
  }
  return 'sha256:' + hash('sha256', canonical, 'base64url');
}
