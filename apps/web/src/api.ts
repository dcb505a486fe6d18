// The browser's side of Countersign's people API: same-origin fetches with the session cookie, the session's
// CSRF token on every state-changing call, and problem+json answers turned into readable errors.

// The people's API's shapes are the wire contract (libs/contract): the server's views are the same types.
export type {
  ApprovalStatus,
  ApproverView,
  Inbox,
  InboxItem,
  Me,
  Person,
  PersonDecision as Decision,
  Problem,
  SsoProviders,
} from '@countersign/contract';

/** An answer other than 2xx, with the API's own explanation (RFC 9457 `detail`) as the message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** The whole problem+json body, for callers that read more of it (the taxonomy's line-numbered errors). */
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Called when the API says the session is gone (idle or absolute timeout, signed out elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

/** The CSRF token of this tab's session (from sign-in or GET /v1/me). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return send<T>(method, path, body === undefined ? undefined : { contentType: 'application/json', text: JSON.stringify(body) });
}

/** A body the JSON helpers do not make, sent as it is (the admin console's taxonomy files as `application/yaml`). */
export function requestText<T>(method: string, path: string, contentType: string, text: string): Promise<T> {
  return send<T>(method, path, { contentType, text });
}

async function send<T>(method: string, path: string, body?: { contentType: string; text: string }): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = body.contentType;
  if (!SAFE_METHODS.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body?.text });
  } catch {
    throw new ApiError(0, 'network_error', 'Countersign could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const error = toError(response.status, parsed);
    if (response.status === 401 && path.startsWith('/v1/me')) onUnauthenticated?.();
    throw error;
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object') {
    const problem = body as { code?: unknown; detail?: unknown; title?: unknown; field?: unknown };
    const message =
      typeof problem.detail === 'string'
        ? problem.detail
        : typeof problem.title === 'string'
          ? problem.title
          : `The request failed (${status}).`;
    return new ApiError(
      status,
      typeof problem.code === 'string' ? problem.code : 'http_error',
      message,
      typeof problem.field === 'string' ? problem.field : undefined,
      body as Record<string, unknown>,
    );
  }
  return new ApiError(
    status,
    'http_error',
    status >= 500 ? 'Countersign had a problem answering. Try again in a moment.' : `The request failed (${status}).`,
  );
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** A message fit to show a person, from anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) {
    // The browser's WebAuthn errors: the person cancelled, or the authenticator timed out.
    if (error.name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out. Try again when you are ready.';
    return error.message;
  }
  return String(error);
}
