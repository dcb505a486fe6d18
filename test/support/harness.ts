import { randomBytes } from 'node:crypto';
import { type INestApplicationContext } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../apps/api/src';
import { createWorkerApp } from '../../apps/worker/src';
import { AgentsService, type CibaRegistration, ResourceServersService } from '@countersign/agents';
import { CLI } from '@countersign/audit';
import { type ApprovalVerifier, createApprovalVerifier } from '@countersign/enforcement';
import { type CountersignConfig, loadConfig } from '@countersign/config';
import { createRootLogger, PinoNestLogger } from '@countersign/observability';
import { PeopleService, type PersonRecord, type Role } from '@countersign/people';
import { TEST_REDIS_URL } from './database';

/** The environment of one test "deployment": the run's database, a Redis key prefix of its own. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const databaseUrl = process.env.COUNTERSIGN_TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('COUNTERSIGN_TEST_DATABASE_URL is unset: run through jest (global setup creates the database)');
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `cs-test-${randomBytes(4).toString('hex')}`,
    COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret-0123456789abcdef',
    COUNTERSIGN_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef0123456789',
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '10',
    // Suites sign in many people from one address; the throttle itself is tested with a low limit.
    SIGN_IN_REQUESTS_PER_MINUTE: '100000',
    // Suites ask one person for many approvals; the per-person limits are tested with low ones.
    PERSON_MAX_PENDING: '100000',
    PERSON_REQUESTS_PER_MINUTE: '100000',
    ...overrides,
  };
}

/** Config for one test "deployment" (see `testEnv`). */
export function testConfig(overrides: Record<string, string> = {}): CountersignConfig {
  return loadConfig(testEnv(overrides));
}

export interface RunningApi {
  app: NestFastifyApplication;
  url: string;
  config: CountersignConfig;
  close(): Promise<void>;
}

/** The verifier SDK as a downstream service sets it up against this API: its JWKS, and online consume as `server`. */
export function onlineVerifier(api: RunningApi, server: { audience: string; clientId: string; clientSecret: string }): ApprovalVerifier {
  return createApprovalVerifier({
    issuer: api.config.publicUrl,
    audience: server.audience,
    jwksUri: `${api.url}/.well-known/jwks.json`,
    consume: { kind: 'online', url: `${api.url}/v1/approval-tokens/consume`, clientId: server.clientId, clientSecret: server.clientSecret },
  });
}

/** A real API instance on a free port. PUBLIC_URL must match the port, so it is set after listening. */
export async function startApi(config: CountersignConfig = testConfig()): Promise<RunningApi> {
  const port = config.port === 3000 ? await freePort() : config.port;
  const effective: CountersignConfig = {
    ...config,
    port,
    publicUrl: config.publicUrl === 'http://localhost:3000' ? `http://127.0.0.1:${port}` : config.publicUrl,
  };
  // TEST_LOG=1 shows the API's own logs while debugging a suite.
  const logger = process.env.TEST_LOG ? new PinoNestLogger(createRootLogger('debug', 'test-api')) : false;
  const app = await createApiApp(effective, logger, { shutdownHooks: false });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${port}`, config: effective, close: () => app.close() };
}

export async function startWorker(config: CountersignConfig): Promise<INestApplicationContext> {
  const worker = await createWorkerApp(config, false);
  await worker.init();
  return worker;
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomBytes(2).toString('hex')}`;

/** Factories with overrides, through the real services (so they audit like production). */
export async function newPerson(
  app: INestApplicationContext,
  overrides: Partial<{ email: string; role: Role; permissions: string[] }> = {},
): Promise<PersonRecord> {
  return app.get(PeopleService).add(CLI, {
    email: overrides.email ?? `${unique('person')}@example.com`,
    role: overrides.role ?? 'member',
    permissions: overrides.permissions ?? ['*'],
  });
}

export async function newAgent(
  app: INestApplicationContext,
  overrides: Partial<{
    name: string;
    capabilities: string[];
    requestsPerMinute: number;
    maxPending: number;
    withCallbackSecret: boolean;
    ciba: CibaRegistration;
  }> = {},
): Promise<{ id: string; clientId: string; clientSecret: string; callbackSecret: string | null }> {
  const created = await app.get(AgentsService).create(CLI, {
    name: overrides.name ?? unique('agent'),
    capabilities: overrides.capabilities ?? ['*'],
    requestsPerMinute: overrides.requestsPerMinute,
    maxPending: overrides.maxPending,
    withCallbackSecret: overrides.withCallbackSecret,
    ciba: overrides.ciba,
  });
  return {
    id: created.agent.id,
    clientId: created.agent.clientId,
    clientSecret: created.clientSecret,
    callbackSecret: created.callbackSecret,
  };
}

export async function newResourceServer(
  app: INestApplicationContext,
  audience = `https://${unique('svc')}.example`,
): Promise<{ audience: string; clientId: string; clientSecret: string }> {
  const { server, clientSecret } = await app.get(ResourceServersService).create(CLI, { audience });
  return { audience: server.audience, clientId: server.clientId, clientSecret };
}

/** client_secret_basic at the token endpoint. */
export async function agentAccessToken(apiUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${apiUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64'),
    },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON call as an agent would make it. `body` given as a string is sent verbatim. */
export async function call<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** Reads until `done` holds (polling every 50 ms), or throws with the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
