import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { type INestApplicationContext } from '@nestjs/common';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  agentAccessToken,
  call,
  newAgent,
  newPerson,
  type RunningApi,
  startApi,
  startWorker,
  testConfig,
  withClient,
} from '@countersign/testing';
import { AuditService } from '@countersign/audit';
import { type CountersignConfig } from '@countersign/config';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

describe('approval lifecycle across processes', () => {
  let config: CountersignConfig;

  beforeAll(() => {
    config = testConfig({
      PUBLIC_URL: 'http://countersign.test',
      ALLOW_PRIVATE_CALLBACK_URLS: 'true',
      EXPIRY_SWEEP_SECONDS: '1',
      CALLBACK_REDELIVERY_AFTER_SECONDS: '1',
    });
  });

  it('expires a pending approval after every process restarted, as expired (not denied)', async () => {
    // No worker runs while the approval is created: the delayed job is in Redis, and Redis may lose it.
    let api = await startApi(config);
    const person = await newPerson(api.app, { permissions: ['*'] });
    const agent = await newAgent(api.app);
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const created = await call<{ id: string; status: string; expires_at: string }>(`${api.url}/v1/approvals`, {
      token,
      body: { action: { type: 'payments.refund', resource: 'order:9', args: { amount: 500 } }, on_behalf_of: person.email, expires_in: 1 },
    });
    expect(created.body.status).toBe('pending');
    await api.close();
    await sleep(1_500);
    // A fresh Redis prefix for the worker: as if Redis had lost the delayed job; only the database survived.
    const worker = await startWorker({ ...config, redisPrefix: `${config.redisPrefix}-fresh` });
    try {
      const status = await until(async () =>
        withClient(config.databaseUrl, async (client) => {
          const row = (await client.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [created.body.id])).rows[0];
          return row.status === 'pending' ? undefined : row.status;
        }),
      );
      expect(status).toBe('expired');
    } finally {
      await worker.close();
    }
    api = await startApi(config);
    try {
      const read = await call<{ status: string; status_reason: string }>(`${api.url}/v1/approvals/${created.body.id}`, { token });
      expect(read.body.status).toBe('expired');
      await api.app.get(AuditService).flush();
      const events = await withClient(
        config.databaseUrl,
        async (client) =>
          (
            await client.query<{ type: string; data: { to?: string } }>(
              'SELECT type, data FROM audit_events WHERE subject_id = $1 ORDER BY seq',
              [created.body.id],
            )
          ).rows,
      );
      expect(events.map((event) => event.type)).toEqual([
        'approval.requested',
        'approval.classified',
        'approval.status_changed',
        'approval.status_changed',
      ]);
      expect(events[3].data.to).toBe('expired');
    } finally {
      await api.close();
    }
  });

  it('expires lazily on read when no worker runs at all', async () => {
    const api = await startApi(config);
    try {
      const person = await newPerson(api.app, { permissions: ['*'] });
      const agent = await newAgent(api.app);
      const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
      const created = await call<{ id: string }>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'payments.refund', resource: 'order:10', args: { amount: 500 } },
          on_behalf_of: person.email,
          expires_in: 1,
        },
      });
      const started = Date.now();
      // A long-poll ends at expiry rather than at the full wait.
      const read = await call<{ status: string }>(`${api.url}/v1/approvals/${created.body.id}?wait=10`, { token });
      expect(read.body.status).toBe('expired');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await api.close();
    }
  });

  it('does not connect to a callback host whose name resolves to a loopback address unless private callbacks are allowed', async () => {
    let connections = 0;
    const receiver = createServer((_request, response) => response.writeHead(204).end());
    receiver.on('connection', () => connections++);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    // The API took the URL where private callbacks were allowed; the worker does not allow them, and `localhost`
    // resolves to a loopback address: the connection is refused at connect time, and the job is not retried.
    const api = await startApi({ ...config, redisPrefix: `${config.redisPrefix}-strict` });
    const worker = await startWorker({ ...config, redisPrefix: `${config.redisPrefix}-strict`, allowPrivateCallbackUrls: false });
    try {
      const person = await newPerson(api.app, { permissions: ['*'] });
      const agent = await newAgent(api.app);
      const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
      const created = await call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'payments.refund', resource: 'order:14', args: { amount: 20 } },
          on_behalf_of: person.email,
          callback_url: `http://localhost:${port}/callback`,
        },
      });
      expect(created.body.status).toBe('approved');
      const state = await until(() =>
        withClient(config.databaseUrl, async (client) => {
          const row = (
            await client.query<{ callback_state: string }>('SELECT callback_state FROM approvals WHERE id = $1', [created.body.id])
          ).rows[0];
          return row.callback_state === 'due' ? undefined : row.callback_state;
        }),
      );
      expect(state).toBe('failed');
      await worker.get(AuditService).flush();
      const failed = await withClient(
        config.databaseUrl,
        async (client) =>
          (
            await client.query<{ data: { reason: string } }>(
              "SELECT data FROM audit_events WHERE subject_id = $1 AND type = 'callback.failed'",
              [created.body.id],
            )
          ).rows,
      );
      expect(failed).toHaveLength(1);
      expect(failed[0].data.reason).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
      expect(connections).toBe(0);
    } finally {
      await worker.close();
      await api.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  describe('with two API instances and a worker', () => {
    let first: RunningApi;
    let second: RunningApi;
    let worker: INestApplicationContext;
    let receiver: Server;
    let received: Array<{ body: string; headers: IncomingMessage['headers'] }>;
    let receiverUrl: string;
    let failNext = 0;

    beforeAll(async () => {
      first = await startApi(config);
      second = await startApi(config);
      worker = await startWorker(config);
      received = [];
      receiver = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          if (failNext > 0) {
            failNext--;
            response.writeHead(503).end();
            return;
          }
          received.push({ body, headers: request.headers });
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/callback`;
    });
    afterAll(async () => {
      await worker.close();
      await first.close();
      await second.close();
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('wakes a long-poll on one instance when the approval is cancelled on the other', async () => {
      const person = await newPerson(first.app, { permissions: ['*'] });
      const agent = await newAgent(first.app);
      const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
      const created = await call<{ id: string }>(`${first.url}/v1/approvals`, {
        token,
        body: { action: { type: 'payments.refund', resource: 'order:11', args: { amount: 500 } }, on_behalf_of: person.email },
      });
      const started = Date.now();
      const waiting = call<{ status: string }>(`${first.url}/v1/approvals/${created.body.id}?wait=30`, { token });
      await sleep(300);
      await call(`${second.url}/v1/approvals/${created.body.id}/cancel`, { token, method: 'POST' });
      const answered = await waiting;
      expect(answered.body.status).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('posts a signed approval-event JWS to the callback URL, retrying after a failure', async () => {
      const person = await newPerson(first.app, { permissions: ['*'] });
      const agent = await newAgent(first.app, { withCallbackSecret: true });
      const token = await agentAccessToken(first.url, agent.clientId, agent.clientSecret);
      failNext = 1;
      const created = await call<{ id: string }>(`${first.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'payments.refund', resource: 'order:12', args: { amount: 500 } },
          on_behalf_of: person.email,
          callback_url: receiverUrl,
        },
      });
      await call(`${second.url}/v1/approvals/${created.body.id}/cancel`, { token, method: 'POST' });
      const delivery = await until(() => Promise.resolve(received.find((entry) => entry.body.includes('.'))), 15_000);
      expect(delivery.headers['content-type']).toBe('application/jwt');
      const jwks = await call<{ keys: [] }>(`${first.url}/.well-known/jwks.json`);
      const { payload, protectedHeader } = await jwtVerify(delivery.body, createLocalJWKSet(jwks.body), {
        issuer: 'http://countersign.test',
        audience: receiverUrl,
        typ: 'approval-event+jwt',
      });
      expect(protectedHeader.typ).toBe('approval-event+jwt');
      expect(payload).toMatchObject({ approval_id: created.body.id, status: 'cancelled', event: 'approval.cancelled' });
      expect(delivery.headers['countersign-signature']).toBe(
        'sha256=' + createHmac('sha256', agent.callbackSecret!).update(delivery.body).digest('hex'),
      );
    }, 30_000);

    it('delivers a callback whose job Redis lost, once, from the database', async () => {
      // This instance enqueues into a Redis namespace no worker reads: as if the job died with Redis after commit.
      const forgetful = await startApi({ ...config, redisPrefix: `${config.redisPrefix}-lost` });
      try {
        const person = await newPerson(forgetful.app, { permissions: ['*'] });
        const agent = await newAgent(forgetful.app);
        const token = await agentAccessToken(forgetful.url, agent.clientId, agent.clientSecret);
        const created = await call<{ id: string; status: string }>(`${forgetful.url}/v1/approvals`, {
          token,
          body: {
            action: { type: 'payments.refund', resource: 'order:13', args: { amount: 20 } },
            on_behalf_of: person.email,
            callback_url: receiverUrl,
          },
        });
        expect(created.body.status).toBe('approved');
        const deliveriesFor = (id: string) =>
          received
            .map(
              (entry) =>
                JSON.parse(Buffer.from(entry.body.split('.')[1] ?? '', 'base64url').toString() || '{}') as {
                  approval_id?: string;
                  status?: string;
                  approval_token?: string;
                },
            )
            .filter((claims) => claims.approval_id === id);
        const claims = await until(() => Promise.resolve(deliveriesFor(created.body.id)[0]), 15_000);
        expect(claims.status).toBe('approved');
        expect(typeof claims.approval_token).toBe('string');
        const state = await withClient(
          config.databaseUrl,
          async (client) =>
            (await client.query<{ callback_state: string }>('SELECT callback_state FROM approvals WHERE id = $1', [created.body.id]))
              .rows[0].callback_state,
        );
        expect(state).toBe('delivered');
        await sleep(2_500);
        expect(deliveriesFor(created.body.id)).toHaveLength(1);
      } finally {
        await forgetful.close();
      }
    }, 30_000);
  });
});
