export interface CountersignErrorDetails {
  /** HTTP status; 0 when no response arrived (network failure, timeout). */
  status: number;
  /** The problem body's `code`, the OAuth `error`, or one of this SDK's own (`network_error`, `invalid_response`, `timeout`). */
  code: string;
  detail: string;
  /** Seconds to wait before trying again, from `Retry-After` or the problem body (429, 503). */
  retryAfterSeconds?: number;
  correlationId?: string;
  /** JSON pointer of the offending request field (400). */
  field?: string;
  /** The parsed error body, for anything not lifted into a property. */
  body?: unknown;
}

/** Every error the client throws, apart from an abort of the caller's own signal (which rejects with its reason). */
export class CountersignError extends Error {
  override readonly name: string = 'CountersignError';
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  readonly correlationId?: string;
  readonly field?: string;
  readonly body?: unknown;

  constructor(details: CountersignErrorDetails, options?: { cause?: unknown }) {
    super(`${details.code}: ${details.detail}`, options);
    this.status = details.status;
    this.code = details.code;
    this.detail = details.detail;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.correlationId = details.correlationId;
    this.field = details.field;
    this.body = details.body;
  }
}

/** 400: the request is wrong (see `field`); resending it unchanged will fail again. */
export class CountersignInvalidRequestError extends CountersignError {
  override readonly name = 'CountersignInvalidRequestError';
}

/** 401: the client id or secret is wrong, or the agent is suspended. */
export class CountersignAuthenticationError extends CountersignError {
  override readonly name = 'CountersignAuthenticationError';
}

/**
 * 403: refused at intake — the agent lacks the capability, the person lacks the permission (confused deputy), or
 * policy forbids the action. Countersign records the request as denied; `code` and `detail` say why.
 */
export class CountersignRefusedError extends CountersignError {
  override readonly name = 'CountersignRefusedError';
}

/** 404: no such approval for this agent. */
export class CountersignNotFoundError extends CountersignError {
  override readonly name = 'CountersignNotFoundError';
}

/** 409: the idempotency key was used with another body, or the approval is already final. */
export class CountersignConflictError extends CountersignError {
  override readonly name = 'CountersignConflictError';
}

/** 429: past the agent's quota; `retryAfterSeconds` says when to try again. */
export class CountersignQuotaError extends CountersignError {
  override readonly name = 'CountersignQuotaError';
}

/** 502/503/504 or no response at all, after the client's own retries. */
export class CountersignUnavailableError extends CountersignError {
  override readonly name = 'CountersignUnavailableError';
}

/**
 * `timeoutMs` passed while the approval was still pending. The approval lives on: resume with `waitForOutcome`
 * or withdraw it with `cancel`.
 */
export class CountersignTimeoutError extends CountersignError {
  override readonly name = 'CountersignTimeoutError';

  constructor(
    readonly approvalId: string,
    timeoutMs: number,
  ) {
    super({ status: 0, code: 'timeout', detail: `approval ${approvalId} still pending after ${timeoutMs} ms` });
  }
}

export function errorForStatus(details: CountersignErrorDetails): CountersignError {
  switch (details.status) {
    case 400:
      return new CountersignInvalidRequestError(details);
    case 401:
      return new CountersignAuthenticationError(details);
    case 403:
      return new CountersignRefusedError(details);
    case 404:
      return new CountersignNotFoundError(details);
    case 409:
      return new CountersignConflictError(details);
    case 429:
      return new CountersignQuotaError(details);
    case 0:
    case 502:
    case 503:
    case 504:
      return new CountersignUnavailableError(details);
    default:
      return new CountersignError(details);
  }
}
