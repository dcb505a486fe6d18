import { randomUUID } from 'node:crypto';
import { CountersignError, CountersignTimeoutError, errorForStatus } from './errors.js';
import type {
  Approval,
  ApprovalOutcome,
  ApprovalRequest,
  CountersignClient,
  CreateApprovalOptions,
  CountersignClientOptions,
  RequestApprovalOptions,
  WaitOptions,
} from './types.js';

const MAX_WAIT_SECONDS = 60;
const DEFAULT_WAIT_SECONDS = 55;
/** Refresh the access token this long before it expires, so a request never leaves with a dying token. */
const TOKEN_REFRESH_MARGIN_MS = 30_000;
/** A long-poll is held up to `wait` seconds; allow this much more for the answer to arrive. */
const LONG_POLL_GRACE_MS = 15_000;
/** Polls of a pending approval never come closer than this, whatever the server does with `wait`. */
const MIN_POLL_INTERVAL_MS = 1_000;
const DEADLINE_SLACK_MS = 20;
const MAX_RETRY_DELAY_MS = 30_000;
const STATUSES = new Set(['pending', 'approved', 'denied', 'expired', 'cancelled']);

interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: unknown, name: string): string | undefined {
  const value = isObject(body) ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function retryAfterSeconds(result: HttpResult): number | undefined {
  const header = result.headers.get('retry-after')?.trim();
  if (header) {
    if (/^\d+$/.test(header)) return Number(header);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  const fromBody = isObject(result.body) ? result.body.retry_after_seconds : undefined;
  return typeof fromBody === 'number' ? fromBody : undefined;
}

/** Problem+json (`code`, `detail`) and RFC 6749 (`error`, `error_description`) bodies alike. */
function errorFromResult(result: HttpResult): CountersignError {
  const { status, body } = result;
  return errorForStatus({
    status,
    code: stringField(body, 'code') ?? stringField(body, 'error') ?? `http_${status}`,
    detail: stringField(body, 'detail') ?? stringField(body, 'error_description') ?? stringField(body, 'title') ?? `HTTP ${status}`,
    retryAfterSeconds: retryAfterSeconds(result),
    correlationId: stringField(body, 'correlation_id'),
    field: stringField(body, 'field'),
    body,
  });
}

function invalidResponse(detail: string, status: number, body?: unknown): CountersignError {
  return new CountersignError({ status, code: 'invalid_response', detail, body });
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);
  return 'Basic ' + Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function asApproval(result: HttpResult): Approval {
  const body = result.body;
  if (!isObject(body) || typeof body.id !== 'string' || typeof body.status !== 'string' || !STATUSES.has(body.status)) {
    throw invalidResponse('the answer is not an approval', result.status, body);
  }
  return body as unknown as Approval;
}

function toOutcome(approval: Approval): ApprovalOutcome | undefined {
  switch (approval.status) {
    case 'pending':
      return undefined;
    case 'approved':
      if (typeof approval.approval_token !== 'string')
        throw invalidResponse(`approval ${approval.id} is approved but carries no token`, 200, approval);
      return { status: 'approved', approvalToken: approval.approval_token, approval };
    case 'denied':
    case 'expired':
    case 'cancelled':
      return { status: approval.status, approval };
  }
}

function clampWait(seconds: number): number {
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.floor(seconds)));
}

export function createCountersignClient(options: CountersignClientOptions): CountersignClient {
  if (!options.clientId || !options.clientSecret) throw new TypeError('createCountersignClient: clientId and clientSecret are required');
  const baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const clientAuthorization = basicCredentials(options.clientId, options.clientSecret);

  let token: { value: string; refreshAt: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  /** One HTTP exchange. No response (network, timeout) becomes status 0; the caller's abort propagates as is. */
  const send = async (url: string, init: RequestInit, timeoutMs: number, signal: AbortSignal | undefined): Promise<HttpResult> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await doFetch(url, { ...init, redirect: 'error', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): keep the text for the error.
      }
      return { status: response.status, headers: response.headers, body };
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      const detail = timeout.aborted ? `no answer from ${url} within ${timeoutMs} ms` : `cannot reach ${url}`;
      throw new CountersignError({ status: 0, code: 'network_error', detail }, { cause });
    }
  };

  /** Retries what may succeed later: no response, 502, 503, 504. Safe because every POST carries an idempotency key. */
  const withRetries = async (attempt: () => Promise<HttpResult>, signal: AbortSignal | undefined): Promise<HttpResult> => {
    for (let retry = 0; ; retry++) {
      let result: HttpResult | undefined;
      let failure: CountersignError | undefined;
      try {
        result = await attempt();
      } catch (error) {
        if (!(error instanceof CountersignError) || error.status !== 0) throw error;
        failure = error;
      }
      const transient = result === undefined || result.status === 502 || result.status === 503 || result.status === 504;
      if (!transient) return result!;
      if (retry >= maxRetries) {
        if (result) throw errorFromResult(result);
        throw errorForStatus({ status: 0, code: 'network_error', detail: failure?.detail ?? 'no response' });
      }
      const serverDelay = result ? retryAfterSeconds(result) : undefined;
      const delay = serverDelay !== undefined ? serverDelay * 1000 : retryDelayMs * 2 ** retry * (0.75 + Math.random() / 2);
      await sleep(Math.min(delay, MAX_RETRY_DELAY_MS), signal);
    }
  };

  const fetchToken = async (signal: AbortSignal | undefined): Promise<string> => {
    const url = `${baseUrl}/oauth/token`;
    const issuedAt = Date.now();
    const result = await withRetries(
      () =>
        send(
          url,
          {
            method: 'POST',
            headers: {
              authorization: clientAuthorization,
              'content-type': 'application/x-www-form-urlencoded',
              accept: 'application/json',
            },
            body: 'grant_type=client_credentials',
          },
          requestTimeoutMs,
          signal,
        ),
      signal,
    );
    if (result.status !== 200) throw errorFromResult(result);
    const body = result.body;
    const value = stringField(body, 'access_token');
    if (!value || stringField(body, 'token_type')?.toLowerCase() !== 'bearer') {
      throw invalidResponse('the token endpoint did not return a bearer access token', result.status);
    }
    const expiresIn = isObject(body) && typeof body.expires_in === 'number' ? body.expires_in * 1000 : 60_000;
    // Short-lived tokens are refreshed at half-life rather than never being cached at all.
    token = { value, refreshAt: issuedAt + Math.max(expiresIn - TOKEN_REFRESH_MARGIN_MS, expiresIn / 2) };
    return value;
  };

  const accessToken = (signal: AbortSignal | undefined): Promise<string> => {
    if (token && Date.now() < token.refreshAt) return Promise.resolve(token.value);
    // Concurrent callers share one token request.
    pendingToken ??= fetchToken(signal).finally(() => {
      pendingToken = undefined;
    });
    return pendingToken;
  };

  const api = async (call: Call): Promise<Approval> => {
    const url = baseUrl + call.path;
    const timeoutMs = call.timeoutMs ?? requestTimeoutMs;
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    for (let attempt = 0; ; attempt++) {
      const bearer = await accessToken(call.signal);
      const result = await withRetries(
        () => send(url, { method: call.method, headers: { ...headers, authorization: `Bearer ${bearer}` }, body }, timeoutMs, call.signal),
        call.signal,
      );
      // An access token revoked or expired early: refresh once, then believe the server.
      if (result.status === 401 && attempt === 0) {
        if (token?.value === bearer) token = undefined;
        continue;
      }
      if (result.status === 200 || result.status === 201) return asApproval(result);
      throw errorFromResult(result);
    }
  };

  const getApproval = (id: string, getOptions: { wait?: number; signal?: AbortSignal } = {}): Promise<Approval> => {
    const wait = getOptions.wait === undefined || getOptions.wait <= 0 ? 0 : clampWait(getOptions.wait);
    return api({
      method: 'GET',
      path: `/v1/approvals/${encodeURIComponent(id)}${wait > 0 ? `?wait=${wait}` : ''}`,
      timeoutMs: wait > 0 ? wait * 1000 + LONG_POLL_GRACE_MS : undefined,
      signal: getOptions.signal,
    });
  };

  const waitFrom = async (first: Approval, waitOptions: WaitOptions): Promise<ApprovalOutcome> => {
    const waitSeconds = clampWait(waitOptions.waitSeconds ?? DEFAULT_WAIT_SECONDS);
    const { timeoutMs, signal } = waitOptions;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    let approval = first;
    for (;;) {
      const outcome = toOutcome(approval);
      if (outcome) return outcome;
      const remainingMs = deadline - Date.now();
      // Timers may wake a few ms before the deadline; a poll that late could only overshoot it.
      if (remainingMs <= DEADLINE_SLACK_MS) throw new CountersignTimeoutError(approval.id, timeoutMs ?? 0);
      const startedAt = Date.now();
      // Round down: a long-poll must never hold the caller past its own deadline.
      approval = await getApproval(approval.id, { wait: Math.min(waitSeconds, Math.floor(remainingMs / 1000)), signal });
      // A server or proxy that answers at once must not turn the long-poll into a busy loop.
      const elapsed = Date.now() - startedAt;
      if (approval.status === 'pending' && elapsed < MIN_POLL_INTERVAL_MS) {
        await sleep(Math.min(MIN_POLL_INTERVAL_MS - elapsed, Math.max(0, deadline - Date.now())), signal);
      }
    }
  };

  const createApproval = (request: ApprovalRequest, createOptions: CreateApprovalOptions = {}): Promise<Approval> =>
    api({
      method: 'POST',
      path: '/v1/approvals',
      body: request,
      headers: { 'idempotency-key': createOptions.idempotencyKey ?? randomUUID() },
      signal: createOptions.signal,
    });

  return {
    async requestApproval(request: ApprovalRequest, requestOptions: RequestApprovalOptions = {}): Promise<ApprovalOutcome> {
      return waitFrom(await createApproval(request, requestOptions), requestOptions);
    },

    createApproval,

    outcomeOf: toOutcome,

    async waitForOutcome(id: string, waitOptions: WaitOptions = {}): Promise<ApprovalOutcome> {
      return waitFrom(await getApproval(id, { signal: waitOptions.signal }), waitOptions);
    },

    getApproval,

    cancel(id: string, cancelOptions: { signal?: AbortSignal } = {}): Promise<Approval> {
      return api({ method: 'POST', path: `/v1/approvals/${encodeURIComponent(id)}/cancel`, signal: cancelOptions.signal });
    },
  };
}
