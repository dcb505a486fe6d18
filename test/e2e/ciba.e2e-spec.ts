import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as openid from 'openid-client';
import {
  newAgent,
  newResourceServer,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  testConfig,
  withClient,
  onlineVerifier,
} from '@countersign/testing';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/**
 * OpenID CIBA in poll mode through a client no one here wrote: openid-client v6 (discovery,
 * initiateBackchannelAuthentication, pollBackchannelAuthenticationGrant) against a running Countersign.
 */
describe('OpenID CIBA, poll mode, with openid-client', () => {
  let api: RunningApi;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let client: openid.Configuration;

  beforeAll(async () => {
    api = await startApi(testConfig({ CIBA_POLL_INTERVAL_SECONDS: '2' }));
    agent = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.refund'] },
    });
    server = await newResourceServer(api.app);
    client = await openid.discovery(new URL(api.url), agent.clientId, agent.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
  });
  afterAll(() => api.close());

  const refund = (amount: number) => ({
    type: 'payments.refund',
    identifier: 'order:1001',
    locations: [server.audience],
    amount,
    currency: 'EUR',
  });
  const ask = (email: string, detail: Record<string, unknown>, extra: Record<string, string> = {}) =>
    openid.initiateBackchannelAuthentication(client, {
      login_hint: email,
      authorization_details: JSON.stringify([detail]),
      ...extra,
    });
  /** The person's newest pending approval, as the web app shows it. */
  const pendingFor = async (browser: PersonBrowser) => {
    const inbox = await browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals');
    expect(inbox.body.approvals).toHaveLength(1);
    const view = await browser.request<{ id: string; binding_message: string | null; classification: { tier: string } }>(
      'GET',
      `/v1/me/approvals/${inbox.body.approvals[0].id}`,
    );
    return view.body;
  };
  const tokenRequest = (authReqId: string) =>
    fetch(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: authReqId }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

  it('publishes discovery at both well-known addresses, with the CIBA and RAR metadata', async () => {
    const metadata = client.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: api.config.publicUrl,
      token_endpoint: `${api.url}/oauth/token`,
      jwks_uri: `${api.url}/.well-known/jwks.json`,
      backchannel_authentication_endpoint: `${api.url}/oauth/bc-authorize`,
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
      backchannel_user_code_parameter_supported: false,
      grant_types_supported: expect.arrayContaining([CIBA_GRANT, 'client_credentials']),
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect(metadata.authorization_details_types_supported).toContain('payments.refund');
    const rfc8414 = await fetch(`${api.url}/.well-known/oauth-authorization-server`).then((response) => response.json());
    expect(rfc8414).toEqual(await fetch(`${api.url}/.well-known/openid-configuration`).then((response) => response.json()));
  });

  it('approved: the person sees the binding message, the client gets the approval token, the details and an ID token', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const started = await ask(person.email, refund(500), { binding_message: 'Code 4711', scope: 'openid' });
    expect(started.auth_req_id).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(started.interval).toBe(2);
    expect(started.expires_in).toBeGreaterThan(60);

    const polling = openid.pollBackchannelAuthenticationGrant(client, started);
    const view = await pendingFor(browser);
    expect(view.binding_message).toBe('Code 4711');
    expect(view.classification.tier).toBe('high');
    expect((await browser.decide(view.id, 'approve', { stepUp: true })).status).toBe(200);
    const tokens = await polling;

    expect(tokens.token_type).toBe('bearer');
    expect(tokens.authorization_details).toEqual([refund(500)]);
    const verifier = onlineVerifier(api, server);
    const verified = await verifier.verify(tokens.access_token, {
      type: 'payments.refund',
      resource: 'order:1001',
      args: { amount: 500, currency: 'EUR' },
      agent: agent.clientId,
    });
    expect(verified.subject).toBe(person.id);
    expect(verified.approvers[0]).toMatchObject({ sub: person.id, amr: expect.arrayContaining(['passkey']) });

    // The ID token is the service's, for this client, about the person who approved.
    const { payload, protectedHeader } = await jwtVerify(
      tokens.id_token!,
      createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)),
      {
        issuer: api.config.publicUrl,
        audience: agent.clientId,
      },
    );
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(person.id);
    expect(payload['urn:openid:params:jwt:claim:auth_req_id']).toBe(started.auth_req_id);

    // The ID token names the person in a later request (id_token_hint); tampered, it names no one.
    const hinted = await openid.initiateBackchannelAuthentication(client, {
      id_token_hint: tokens.id_token!,
      authorization_details: JSON.stringify([refund(501)]),
    });
    expect(typeof hinted.auth_req_id).toBe('string');
    expect(await browser.request<{ approvals: unknown[] }>('GET', '/v1/me/approvals').then((inbox) => inbox.body.approvals)).toHaveLength(
      1,
    );
    const [header, claims, signature] = tokens.id_token!.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(claims, 'base64url').toString()) as object), sub: 'someone' })).toString('base64url')}.${signature}`;
    await expect(
      openid.initiateBackchannelAuthentication(client, { id_token_hint: forged, authorization_details: JSON.stringify([refund(502)]) }),
    ).rejects.toMatchObject({ error: 'invalid_request' });

    // Redeemed once: a second redemption never returns a token.
    const again = await tokenRequest(started.auth_req_id);
    expect(again).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'auth_req_id was already redeemed' } });
  });

  it('without openid in scope there is no ID token', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    // Low tier: approved at once by the taxonomy; the request is still redeemed through the grant.
    const started = await ask(person.email, refund(20));
    const tokens = await openid.pollBackchannelAuthenticationGrant(client, started);
    expect(tokens.id_token).toBeUndefined();
    expect(typeof tokens.access_token).toBe('string');
  });

  it('denied: access_denied', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const started = await ask(person.email, refund(600));
    const polling = openid.pollBackchannelAuthenticationGrant(client, started).catch((error: unknown) => error);
    const view = await pendingFor(browser);
    expect((await browser.decide(view.id, 'deny', { reason: 'not this one' })).status).toBe(200);
    expect(await polling).toMatchObject({ error: 'access_denied' });
  });

  it('expired: expired_token, with requested_expiry sent as a string', async () => {
    const { person } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const started = await ask(person.email, refund(700), { requested_expiry: '2' });
    expect(started.expires_in).toBe(2);
    expect(await tokenRequest(started.auth_req_id)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await tokenRequest(started.auth_req_id)).toMatchObject({ status: 400, body: { error: 'expired_token' } });
  });

  it('slow_down: a poll too soon grows the interval by 5 s, and openid-client waits the longer interval', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
    const started = await ask(person.email, refund(800));
    const answers: Array<{ at: number; error: string | null }> = [];
    const watched = await openid.discovery(new URL(api.url), agent.clientId, agent.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
    watched[openid.customFetch] = async (url, options) => {
      const response = await fetch(url, options);
      const body = (await response.clone().json()) as { error?: string };
      answers.push({ at: Date.now(), error: body.error ?? null });
      return response;
    };
    const polling = openid.pollBackchannelAuthenticationGrant(watched, started);
    // Another poll of the same request, halfway through the client's first wait: its first poll then comes too soon.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await tokenRequest(started.auth_req_id)).toMatchObject({ body: { error: 'authorization_pending' } });
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    expect(answers.map((answer) => answer.error)).toEqual(['slow_down']);
    const view = await pendingFor(browser);
    expect((await browser.decide(view.id, 'approve', { stepUp: true })).status).toBe(200);
    const tokens = await polling;
    expect(typeof tokens.access_token).toBe('string');
    expect(answers.map((answer) => answer.error)).toEqual(['slow_down', null]);
    expect(answers[1].at - answers[0].at).toBeGreaterThanOrEqual(7_000);
    const [row] = await withClient(api.config.databaseUrl, async (db) => {
      const result = await db.query<{ interval_seconds: number }>(`SELECT interval_seconds FROM ciba_requests WHERE approval_id = $1`, [
        view.id,
      ]);
      return result.rows;
    });
    expect(row.interval_seconds).toBe(7);
  }, 40_000);
});
