import { type ErrorCode } from '@countersign/domain';

/** HTTP status for every domain error code; a `Record` so a new code cannot ship without one. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unknown_person: 400,
  unknown_agent: 400,
  audience_required: 400,
  invalid_callback_url: 400,
  invalid_taxonomy: 400,
  invalid_duration: 400,
  invalid_enrollment_link: 400,
  capability_missing: 403,
  permission_missing: 403,
  forbidden_by_policy: 403,
  forbidden: 403,
  step_up_required: 403,
  step_up_invalid: 403,
  unauthenticated: 401,
  not_found: 404,
  idempotency_key_reused: 409,
  already_final: 409,
  conflict: 409,
  invalid_transition: 409,
  expired: 409,
  already_decided: 409,
  rate_limited: 429,
  too_many_pending: 429,
  too_many_pending_for_person: 429,
  notifications_backlogged: 429,
  quota_unavailable: 503,
  invalid_signature: 401,
  channel_unavailable: 409,
  last_admin: 409,
  invalid_dpop_proof: 400,
  sso_required: 403,
  sso_unavailable: 503,
};

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Refused',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

/** RFC 9457 problem details, plus a stable `code` and the request's correlation id. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  correlation_id: string | undefined;
  field?: string;
  [extension: string]: unknown;
}

export function problem(
  status: number,
  code: string,
  detail: string,
  correlationId: string | undefined,
  extensions: Record<string, unknown> = {},
): Problem {
  // Extensions first: a detail named like a standard member (status, type) can never override it.
  return {
    ...extensions,
    type: `urn:countersign:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    correlation_id: correlationId,
  };
}
