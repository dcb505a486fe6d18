import { createHash } from 'node:crypto';
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

/**
 * `sha256:` + base64url (no padding) of SHA-256 over the RFC 8785 canonical JSON of the six fields. This is the
 * single implementation: Countersign and every downstream verifier must compute it byte for byte alike.
 */
export function computeActionDigest(input: ActionDigestInput): string {
  // Pick the fields explicitly so extra properties on the caller's object never leak into the digest.
  const canonical = canonicalize({
    type: input.type,
    resource: input.resource,
    args: input.args,
    audience: input.audience,
    agent: input.agent,
    on_behalf_of: input.on_behalf_of,
  });
  if (canonical === undefined) {
    throw new TypeError('action digest input has no JSON representation');
  }
  return 'sha256:' + createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
