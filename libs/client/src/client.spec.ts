import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCountersignClient } from './client';
import {
  CountersignAuthenticationError,
  CountersignError,
  CountersignInvalidRequestError,
  CountersignQuotaError,
  CountersignRefusedError,
  CountersignTimeoutError,
  CountersignUnavailableError,
} from './errors';
import type { Approval, ApprovalRequest, CountersignClientOptions } from './types';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Route = (request: Recorded, response: ServerResponse) => void;

/** A fake Countersign on 127.0.0.1 that records every request and answers from per-test routes. */
class FakeCountersign {
  readonly requests: Recorded[] = [];
  tokensIssued = 0;
  tokenLifetimeSeconds = 600;
  /** Access tokens the API side accepts; the token endpoint adds each one it issues. */
  readonly validTokens = new Set<string>();
  routes: Array<{ method: string; path: RegExp; handle: Route }> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.requests.push(recorded);
        this.handle(recorded, response);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  on(method: string, path: RegExp, handle: Route): void {
    this.routes.push({ method, path, handle });
  }

  apiRequests(): Recorded[] {
    return this.requests.filter((request) => request.path.startsWith('/v1/'));
  }

  private handle(request: Recorded, response: ServerResponse): void {
    if (request.method === 'POST' && request.path === '/oauth/token') {
      const expected = 'Basic ' + Buffer.from('agent%3A1:s3cret+%2F').toString('base64');
      if (request.headers.authorization !== expected || request.body !== 'grant_type=client_credentials') {
        return json(response, 401, { error: 'invalid_client', error_description: 'bad client credentials' });
      }
      const token = `at-${++this.tokensIssued}`;
      this.validTokens.add(token);
      return json(response, 200, { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds });
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer || !this.validTokens.has(bearer)) return problem(response, 401, 'unauthenticated', 'invalid access token');
    const route = this.routes.find((candidate) => candidate.method === request.method && candidate.path.test(request.path));
    if (!route) return problem(response, 404, 'not_found', 'no such route');
    route.handle(request, response);
  }
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function problem(
  response: ServerResponse,
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
  extra: object = {},
): void {
  response.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  response.end(
    JSON.stringify({ type: `urn:countersign:problem:${code}`, title: 'Error', status, detail, code, correlation_id: 'corr-1', ...extra }),
  );
}

/** A delayed answer that does not keep the test process alive once the server is gone. */
function later(ms: number, answer: () => void): void {
  setTimeout(answer, ms).unref();
}

function newApproval(overrides: Partial<Approval> = {}): Approval {
  return {
    id: 'apr_1',
    status: 'pending',
    status_reason: null,
    action: { type: 'payments.transfer', resource: 'account:ops-eur', args: { amount: 25 } },
    on_behalf_of: 'per_1',
    audience: 'https://payments.internal',
    classification: {
      tier: 'high',
      reversibility: 'irreversible',
      blast_radius: 'external',
      rule: 'payments',
      taxonomy_version: 3,
      reasons: [],
    },
    requirement: { approvals_required: 1, step_up: 'passkey', channels: ['web'] },
    action_digest: 'sha256:abc',
    created_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    decided_at: null,
    decisions: [],
    escalation: { step: 0, steps: 0, next_step_at: null },
    notifications: [],
    ...overrides,
  };
}

const REQUEST: ApprovalRequest = {
  action: { type: 'payments.transfer', resource: 'account:ops-eur', args: { amount: 25, currency: 'EUR', to: 'acct_123' } },
  on_behalf_of: 'alice@example.com',
  audience: 'https://payments.internal',
  reason: 'monthly coffee order',
};

describe('createCountersignClient', () => {
  const fake = new FakeCountersign();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.routes = [];
    fake.tokensIssued = 0;
    fake.tokenLifetimeSeconds = 600;
    fake.validTokens.clear();
  });

  const client = (overrides: Partial<CountersignClientOptions> = {}) =>
    createCountersignClient({ baseUrl: fake.url, clientId: 'agent:1', clientSecret: 's3cret /', retryDelayMs: 10, ...overrides });

  it('requests approval, long-polls until approved and returns the token', async () => {
    let polls = 0;
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval()));
    fake.on('GET', /^\/v1\/approvals\/apr_1\?wait=\d+$/, (_request, response) => {
      polls++;
      if (polls < 3) return later(1_000, () => json(response, 200, newApproval()));
      json(response, 200, newApproval({ status: 'approved', approval_token: 'the.approval.token' }));
    });

    const outcome = await client().requestApproval(REQUEST, { waitSeconds: 20 });

    expect(outcome.status).toBe('approved');
    expect(outcome.status === 'approved' && outcome.approvalToken).toBe('the.approval.token');
    const [create, ...gets] = fake.apiRequests();
    expect(JSON.parse(create.body)).toEqual(REQUEST);
    expect(create.headers['content-type']).toBe('application/json');
    expect(gets.map((get) => get.path)).toEqual([
      '/v1/approvals/apr_1?wait=20',
      '/v1/approvals/apr_1?wait=20',
      '/v1/approvals/apr_1?wait=20',
    ]);
  });

  it('never asks the server to hold a poll longer than 60 s', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval()));
    fake.on('GET', /^\/v1\/approvals\/apr_1/, (_request, response) =>
      json(response, 200, newApproval({ status: 'denied', status_reason: 'not today' })),
    );
    const outcome = await client().requestApproval(REQUEST, { waitSeconds: 600 });
    expect(outcome).toMatchObject({ status: 'denied', approval: { status_reason: 'not today' } });
    expect(fake.apiRequests()[1].path).toBe('/v1/approvals/apr_1?wait=60');
  });

  it('tells expired and cancelled apart from denied', async () => {
    for (const status of ['expired', 'cancelled', 'denied'] as const) {
      fake.routes = [];
      fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval({ status })));
      expect((await client().requestApproval(REQUEST)).status).toBe(status);
    }
  });

  it('returns at once when the tier is auto-approved', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) =>
      json(response, 201, newApproval({ status: 'approved', approval_token: 'auto.token.x' })),
    );
    await expect(client().requestApproval(REQUEST)).resolves.toMatchObject({ status: 'approved', approvalToken: 'auto.token.x' });
    expect(fake.apiRequests()).toHaveLength(1);
  });

  it('creates an approval without waiting, and reads its outcome', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval()));
    const countersign = client();
    const created = await countersign.createApproval(REQUEST, { idempotencyKey: 'session-1/7' });
    expect(created).toMatchObject({ id: 'apr_1', status: 'pending' });
    expect(countersign.outcomeOf(created)).toBeUndefined();
    expect(fake.apiRequests()).toHaveLength(1);
    expect(fake.apiRequests()[0].headers['idempotency-key']).toBe('session-1/7');
    expect(countersign.outcomeOf(newApproval({ status: 'approved', approval_token: 't.o.k' }))).toMatchObject({
      status: 'approved',
      approvalToken: 't.o.k',
    });
    expect(countersign.outcomeOf(newApproval({ status: 'expired' }))).toMatchObject({ status: 'expired' });
  });

  it('caches the access token until shortly before it expires', async () => {
    fake.on('GET', /^\/v1\/approvals\/apr_1$/, (_request, response) => json(response, 200, newApproval()));
    const countersign = client();
    await countersign.getApproval('apr_1');
    await Promise.all([countersign.getApproval('apr_1'), countersign.getApproval('apr_1')]);
    expect(fake.tokensIssued).toBe(1);
    const tokenRequest = fake.requests.find((request) => request.path === '/oauth/token');
    expect(tokenRequest?.headers['content-type']).toBe('application/x-www-form-urlencoded');

    // Tokens shorter-lived than the 30 s margin are refreshed at half-life: cached, but never used dead.
    fake.tokenLifetimeSeconds = 1;
    const shortLived = client();
    await shortLived.getApproval('apr_1');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await shortLived.getApproval('apr_1');
    expect(fake.tokensIssued).toBe(3);
  });

  it('refreshes the access token once on a 401, then gives up', async () => {
    fake.on('GET', /^\/v1\/approvals\/apr_1$/, (_request, response) => json(response, 200, newApproval()));
    const countersign = client();
    await countersign.getApproval('apr_1');
    fake.validTokens.clear(); // revoked server-side
    await expect(countersign.getApproval('apr_1')).resolves.toMatchObject({ id: 'apr_1' });
    expect(fake.tokensIssued).toBe(2);

    fake.routes = [];
    fake.on('GET', /^\/v1\/approvals\/apr_1$/, (_request, response) => problem(response, 401, 'unauthenticated', 'agent suspended'));
    await expect(countersign.getApproval('apr_1')).rejects.toBeInstanceOf(CountersignAuthenticationError);
    expect(fake.tokensIssued).toBe(3);
  });

  it('reports bad client credentials with the OAuth error code', async () => {
    const error = await client({ clientSecret: 'wrong' })
      .getApproval('apr_1')
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CountersignAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_client', detail: 'bad client credentials' });
  });

  it('throws a quota error with retryAfterSeconds on 429', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) =>
      problem(response, 429, 'rate_limited', 'too many approval requests', { 'retry-after': '17' }, { retry_after_seconds: 17 }),
    );
    const error = await client()
      .requestApproval(REQUEST)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CountersignQuotaError);
    expect(error).toMatchObject({
      status: 429,
      code: 'rate_limited',
      retryAfterSeconds: 17,
      detail: 'too many approval requests',
      correlationId: 'corr-1',
    });
    expect(fake.apiRequests()).toHaveLength(1); // a quota is not retried behind the caller's back
  });

  it('throws typed errors for refusals and invalid requests', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (request, response) => {
      const body = JSON.parse(request.body) as ApprovalRequest;
      if (body.on_behalf_of === '')
        return problem(response, 400, 'invalid_request', '/on_behalf_of: is required', {}, { field: '/on_behalf_of' });
      problem(response, 403, 'permission_missing', 'alice@example.com may not authorize payments.transfer');
    });
    const refused = await client()
      .requestApproval(REQUEST)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CountersignRefusedError);
    expect(refused).toMatchObject({ status: 403, code: 'permission_missing' });
    const invalid = await client()
      .requestApproval({ ...REQUEST, on_behalf_of: '' })
      .catch((err: unknown) => err);
    expect(invalid).toBeInstanceOf(CountersignInvalidRequestError);
    expect(invalid).toMatchObject({ status: 400, field: '/on_behalf_of' });
  });

  it('sends an Idempotency-Key and reuses it when it retries', async () => {
    let attempts = 0;
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => {
      if (++attempts === 1) return problem(response, 503, 'quota_unavailable', 'try again');
      if (attempts === 2) return response.socket?.destroy(); // connection dropped mid-request
      json(response, 201, newApproval({ status: 'approved', approval_token: 'a.b.c' }));
    });
    await expect(client().requestApproval(REQUEST)).resolves.toMatchObject({ status: 'approved' });
    const keys = fake.apiRequests().map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);

    fake.requests.length = 0;
    attempts = 2;
    await client().requestApproval(REQUEST, { idempotencyKey: 'order-42' });
    expect(fake.apiRequests()[0].headers['idempotency-key']).toBe('order-42');
  });

  it('gives up on an unavailable server after its retries', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => problem(response, 503, 'quota_unavailable', 'redis is down'));
    const error = await client({ maxRetries: 2 })
      .requestApproval(REQUEST)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CountersignUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'quota_unavailable' });
    expect(fake.apiRequests()).toHaveLength(3);

    const unreachable = await createCountersignClient({ baseUrl: 'http://127.0.0.1:1', clientId: 'a', clientSecret: 'b', maxRetries: 0 })
      .getApproval('apr_1')
      .catch((err: unknown) => err);
    expect(unreachable).toBeInstanceOf(CountersignUnavailableError);
    expect(unreachable).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('times out with the approval id while it is still pending, without busy-looping', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval()));
    fake.on('GET', /^\/v1\/approvals\/apr_1/, (_request, response) => json(response, 200, newApproval())); // ignores wait
    const startedAt = Date.now();
    const error = await client()
      .requestApproval(REQUEST, { timeoutMs: 1_500 })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CountersignTimeoutError);
    expect(error).toMatchObject({ approvalId: 'apr_1', code: 'timeout' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_400);
    expect(fake.apiRequests().length).toBeLessThanOrEqual(3);
  });

  it('stops when the caller aborts, with the abort reason', async () => {
    fake.on('POST', /^\/v1\/approvals$/, (_request, response) => json(response, 201, newApproval()));
    fake.on('GET', /^\/v1\/approvals\/apr_1/, (_request, response) => later(5_000, () => json(response, 200, newApproval())));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('agent shutting down')), 200);
    await expect(client().requestApproval(REQUEST, { signal: controller.signal })).rejects.toThrow('agent shutting down');
  });

  it('cancels and resumes waiting by id', async () => {
    fake.on('POST', /^\/v1\/approvals\/apr_1\/cancel$/, (_request, response) => json(response, 200, newApproval({ status: 'cancelled' })));
    fake.on('GET', /^\/v1\/approvals\/apr_1/, (_request, response) => json(response, 200, newApproval({ status: 'expired' })));
    await expect(client().cancel('apr_1')).resolves.toMatchObject({ status: 'cancelled' });
    await expect(client().waitForOutcome('apr_1')).resolves.toMatchObject({ status: 'expired' });
  });

  it('rejects an answer that is not an approval', async () => {
    fake.on('GET', /^\/v1\/approvals\/apr_1/, (_request, response) => json(response, 200, { hello: 'world' }));
    const error = await client()
      .getApproval('apr_1')
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CountersignError);
    expect(error).toMatchObject({ code: 'invalid_response' });
  });
});
