import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type INestApplicationContext } from '@nestjs/common';
import * as openid from 'openid-client';
import { newAgent, type RunningApi, signedInPerson, startApi, startWorker, testConfig } from '@countersign/testing';

interface Notification {
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/** A CIBA client's notification endpoint on 127.0.0.1: records each ping, failing the first `failFirst` with 503. */
async function notificationReceiver(failFirst: number): Promise<{ url: string; received: Notification[]; server: Server }> {
  const received: Notification[] = [];
  let refused = 0;
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer((request, response) => {
    void read(request).then((text) => {
      if (refused < failFirst) {
        refused++;
        response.writeHead(503).end();
        return;
      }
      received.push({ authorization: request.headers.authorization, contentType: request.headers['content-type'], body: JSON.parse(text) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ciba/notify`, received, server };
}

async function eventually<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('OpenID CIBA, ping mode: Countersign notifies the client, which then redeems', () => {
  let api: RunningApi;
  let worker: INestApplicationContext;
  let receiver: Awaited<ReturnType<typeof notificationReceiver>>;

  beforeAll(async () => {
    api = await startApi(testConfig({ ALLOW_PRIVATE_CALLBACK_URLS: 'true', CIBA_POLL_INTERVAL_SECONDS: '1' }));
    worker = await startWorker(api.config);
    // The first attempt fails: the ping is retried with backoff, like a callback.
    receiver = await notificationReceiver(1);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
    receiver.server.close();
  });

  it('approved: one ping with the bearer token and only the auth_req_id, then the token at the token endpoint', async () => {
    const agent = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'ping', notificationEndpoint: receiver.url, authorizationDetailsTypes: ['payments.refund'] },
    });
    const client = await openid.discovery(new URL(api.url), agent.clientId, agent.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const started = await openid.initiateBackchannelAuthentication(client, {
      login_hint: person.email,
      client_notification_token: 'notify-me.0123456789',
      binding_message: 'Ping 12',
      authorization_details: JSON.stringify([
        { type: 'payments.refund', identifier: 'order:9', locations: ['https://payments.example'], amount: 900 },
      ]),
    });
    const inbox = await browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals');
    expect(receiver.received).toEqual([]);
    expect((await browser.decide(inbox.body.approvals[0].id, 'approve', { stepUp: true })).status).toBe(200);

    const ping = await eventually(() => receiver.received[0]);
    expect(ping).toEqual({
      authorization: 'Bearer notify-me.0123456789',
      contentType: 'application/json',
      body: { auth_req_id: started.auth_req_id },
    });
    const tokens = await openid.pollBackchannelAuthenticationGrant(client, started);
    expect(tokens.authorization_details).toEqual([
      { type: 'payments.refund', identifier: 'order:9', locations: ['https://payments.example'], amount: 900 },
    ]);
    expect(typeof tokens.access_token).toBe('string');
    // Delivered once: no second ping for the same decision.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(1);
  }, 40_000);

  it('denied: the ping comes too, and the grant answers access_denied', async () => {
    const agent = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'ping', notificationEndpoint: receiver.url, authorizationDetailsTypes: ['payments.refund'] },
    });
    const client = await openid.discovery(new URL(api.url), agent.clientId, agent.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const before = receiver.received.length;
    const started = await openid.initiateBackchannelAuthentication(client, {
      login_hint: person.email,
      client_notification_token: 'deny-token',
      authorization_details: JSON.stringify([
        { type: 'payments.refund', identifier: 'order:10', amount: 901, locations: ['https://p.example'] },
      ]),
    });
    const inbox = await browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals');
    expect((await browser.decide(inbox.body.approvals[0].id, 'deny')).status).toBe(200);
    const ping = await eventually(() => receiver.received[before]);
    expect(ping).toMatchObject({ authorization: 'Bearer deny-token', body: { auth_req_id: started.auth_req_id } });
    await expect(openid.pollBackchannelAuthenticationGrant(client, started)).rejects.toMatchObject({ error: 'access_denied' });
  }, 40_000);
});
