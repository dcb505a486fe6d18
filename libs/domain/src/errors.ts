/**
 * Every coded failure a service can report. Each transport maps every code exhaustively (the API's problem
 * filter is a `Record<ErrorCode, ...>`), so adding a code without deciding its HTTP status fails to compile.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_json',
  'unknown_person',
  'unknown_agent',
  'audience_required',
  'invalid_callback_url',
  'capability_missing',
  'permission_missing',
  'forbidden_by_policy',
  'not_found',
  'idempotency_key_reused',
  'rate_limited',
  'too_many_pending',
  'too_many_pending_for_person',
  'notifications_backlogged',
  'quota_unavailable',
  'already_final',
  'conflict',
  'invalid_taxonomy',
  'invalid_transition',
  'invalid_duration',
  'unauthenticated',
  'forbidden',
  'invalid_enrollment_link',
  'step_up_required',
  'step_up_invalid',
  'expired',
  'already_decided',
  'invalid_signature',
  'channel_unavailable',
  'last_admin',
  'invalid_dpop_proof',
  'sso_required',
  'sso_unavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

// Coded so that every transport can map a domain failure exhaustively (see STYLE.md, "Config, logs, errors").
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
