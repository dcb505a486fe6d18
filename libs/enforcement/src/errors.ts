/** Every way an approval token can be refused. Stable strings: downstream services branch and log on them. */
export const APPROVAL_TOKEN_ERROR_CODES = [
  'missing',
  'malformed',
  'algorithm_not_allowed',
  'wrong_type',
  'unknown_key',
  'jwks_unavailable',
  'bad_signature',
  'wrong_issuer',
  'wrong_audience',
  'expired',
  'not_yet_valid',
  'token_too_long_lived',
  'action_mismatch',
  'actor_mismatch',
  'already_consumed',
  'consume_failed',
  'dpop_proof_required',
  'dpop_proof_invalid',
  'dpop_proof_replayed',
  'dpop_key_mismatch',
  'dpop_replay_store_failed',
] as const;

export type ApprovalTokenErrorCode = (typeof APPROVAL_TOKEN_ERROR_CODES)[number];

/**
 * The only error `verify` throws. Callers should answer 403 (or 503 for `jwks_unavailable`, `consume_failed` and
 * `dpop_replay_store_failed`, which are outages rather than a bad token) and never act. A `dpop_*` refusal of a
 * DPoP-bound token may be answered 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` (RFC 9449 §7.1).
 */
export class ApprovalTokenError extends Error {
  override readonly name = 'ApprovalTokenError';

  constructor(
    readonly code: ApprovalTokenErrorCode,
    message: string = code,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when the failure is on our side of the wire (retrying later may succeed), not the token's fault. */
  get isOutage(): boolean {
    return this.code === 'jwks_unavailable' || this.code === 'consume_failed' || this.code === 'dpop_replay_store_failed';
  }
}

/** Type guard, optionally narrowed to one code: `isApprovalTokenError(err, 'expired')`. */
export function isApprovalTokenError(err: unknown, code?: ApprovalTokenErrorCode): err is ApprovalTokenError {
  return err instanceof ApprovalTokenError && (code === undefined || err.code === code);
}
