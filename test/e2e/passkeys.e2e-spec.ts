import { type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { AuditService, CLI } from '@countersign/audit';
import { EnrollmentService } from '@countersign/people';
import {
  agentAccessToken,
  call,
  newAgent,
  PersonBrowser,
  type RunningApi,
  signedInPerson,
  SoftAuthenticator,
  startApi,
  testConfig,
  withClient,
} from '@countersign/testing';

describe('passkeys and sessions', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('the session cookie is httpOnly and SameSite=Strict; logout ends the session', async () => {
    const { enrollment } = await api.app
      .get(EnrollmentService)
      .invite(CLI, { email: `cookie-${Date.now()}@example.com`, role: 'approver', permissions: [] });
    const token = new URL(enrollment!.url).hash.replace('#token=', '');
    const browser = new PersonBrowser(api.url);
    const options = await browser.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/auth/enrollment/options', { token });
    expect(options.body.authenticatorSelection).toMatchObject({ userVerification: 'required', residentKey: 'required' });
    expect(options.body.rp.id).toBe('127.0.0.1');
    const response = await fetch(`${api.url}/v1/auth/enrollment/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api.url },
      body: JSON.stringify({ token, response: browser.authenticator.createCredential(options.body, api.url) }),
    });
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^countersign_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    browser.cookie = cookie.split(';')[0];
    browser.csrfToken = ((await response.json()) as { csrf_token: string }).csrf_token;
    expect((await browser.request('GET', '/v1/me')).status).toBe(200);
    expect((await browser.request('POST', '/v1/auth/logout')).status).toBe(204);
    expect(browser.cookie).toBeNull();
    browser.cookie = cookie.split(';')[0];
    expect((await browser.request('GET', '/v1/me')).status).toBe(401);
  });

  it('signs in by email (allowCredentials) and refuses another origin, a used challenge and a cloned authenticator', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const byEmail = new PersonBrowser(api.url, browser.authenticator);
    expect((await byEmail.signIn(person.email)).status).toBe(200);

    // A page on another origin cannot start a sign-in (login CSRF) ...
    const elsewhere = new PersonBrowser(api.url, browser.authenticator, 'https://evil.example');
    expect((await elsewhere.request('POST', '/v1/auth/login/options', {})).body).toMatchObject({ status: 403, code: 'forbidden' });
    // ... nor can an assertion the authenticator made for another origin sign in here.
    const phished = await byEmail.request<{ challenge: string }>('POST', '/v1/auth/login/options', {});
    const forOtherOrigin = browser.authenticator.getAssertion(phished.body, 'https://evil.example');
    expect((await byEmail.request('POST', '/v1/auth/login/verify', { response: forOtherOrigin })).body).toMatchObject({
      status: 401,
      detail: expect.stringMatching(/origin/i),
    });

    // A valid assertion replayed: its challenge was used up by the first sign-in.
    const options = await byEmail.request<{ challenge: string }>('POST', '/v1/auth/login/options', {});
    const assertion = browser.authenticator.getAssertion(options.body, api.url);
    expect((await byEmail.request('POST', '/v1/auth/login/verify', { response: assertion })).status).toBe(200);
    const replayed = await byEmail.request('POST', '/v1/auth/login/verify', { response: assertion });
    expect(replayed.status).toBe(401);

    // The sign counter going backwards means a cloned authenticator.
    const [credentialId] = browser.authenticator.credentials();
    const cloned = await new PersonBrowser(api.url, browser.authenticator).signIn(undefined, { credentialId, counter: 1 });
    expect(cloned.status).toBe(401);
    expect(cloned.body.detail).toMatch(/counter/i);

    // User verification is required.
    expect((await new PersonBrowser(api.url, browser.authenticator).signIn(undefined, { userVerified: false })).status).toBe(401);
  });

  it('refuses every /v1/auth route when the request carries an Authorization header, and signs nobody in', async () => {
    const agent = await newAgent(api.app);
    const agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const basic = `Basic ${Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64')}`;
    const { person, browser } = await signedInPerson(api.app, api.url);
    const openSessions = () =>
      withClient(
        api.config.databaseUrl,
        async (client) =>
          (
            await client.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE person_id = $1 AND ended_at IS NULL', [
              person.id,
            ])
          ).rows[0].n,
      );
    const before = await openSessions();

    for (const authorization of [`Bearer ${agentToken}`, basic]) {
      const headers = { authorization };
      // A real assertion for a real challenge: only the header is wrong.
      const options = await browser.request<{ challenge: string }>('POST', '/v1/auth/login/options', {});
      const assertion = browser.authenticator.getAssertion(options.body, api.url);
      const signIn = new PersonBrowser(api.url, browser.authenticator);
      const refused = await signIn.request('POST', '/v1/auth/login/verify', { response: assertion }, headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'unauthenticated' });
      expect(refused.headers.get('set-cookie')).toBeNull();
      expect(await openSessions()).toBe(before);

      const { person: invited, enrollment } = await api.app
        .get(EnrollmentService)
        .invite(CLI, { email: `header-${Date.now()}-${authorization.length}@example.com`, role: 'approver', permissions: [] });
      const token = new URL(enrollment!.url).hash.replace('#token=', '');
      const enrollOptions = await new PersonBrowser(api.url).request<PublicKeyCredentialCreationOptionsJSON>(
        'POST',
        '/v1/auth/enrollment/options',
        { token },
      );
      const credential = new SoftAuthenticator().createCredential(enrollOptions.body, api.url);
      const routes: Array<[string, unknown]> = [
        ['/v1/auth/login/options', {}],
        ['/v1/auth/login/options', { email: person.email }],
        ['/v1/auth/enrollment/options', { token }],
        ['/v1/auth/enrollment/verify', { token, response: credential }],
        ['/v1/auth/logout', undefined],
      ];
      for (const [path, body] of routes) {
        const response = await browser.request('POST', path, body, headers);
        expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 401, code: 'unauthenticated' });
        expect(response.headers.get('set-cookie')).toBeNull();
      }
      // The link was not used up and the session was not ended by the refused calls.
      const link = await withClient(
        api.config.databaseUrl,
        async (client) =>
          (await client.query<{ used_at: Date | null }>('SELECT used_at FROM enrollment_links WHERE person_id = $1', [invited.id])).rows[0],
      );
      expect(link.used_at).toBeNull();
      expect((await browser.request('GET', '/v1/me')).status).toBe(200);
    }
    expect(await openSessions()).toBe(before);
  });

  it('throttles sign-in calls per address', async () => {
    const throttled = await startApi(testConfig({ SIGN_IN_REQUESTS_PER_MINUTE: '3' }));
    try {
      const browser = new PersonBrowser(throttled.url);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) statuses.push((await browser.request('POST', '/v1/auth/login/options', {})).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await browser.request('POST', '/v1/auth/login/verify', { response: {} });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await throttled.close();
    }
  });

  it("behind TRUST_PROXY_HOPS=1 (docker-compose.yml's proxy) throttles per client from X-Forwarded-For; without it the header is ignored", async () => {
    const spam = async (url: string, client: string) => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++)
        statuses.push((await new PersonBrowser(url).request('POST', '/v1/auth/login/options', {}, { 'x-forwarded-for': client })).status);
      return statuses;
    };
    const proxied = await startApi(testConfig({ SIGN_IN_REQUESTS_PER_MINUTE: '2', TRUST_PROXY_HOPS: '1' }));
    const direct = await startApi(testConfig({ SIGN_IN_REQUESTS_PER_MINUTE: '2' }));
    try {
      // Two clients behind one proxy: each has its own budget.
      expect(await spam(proxied.url, '203.0.113.7')).toEqual([200, 200, 429]);
      expect(await spam(proxied.url, '203.0.113.8')).toEqual([200, 200, 429]);
      // Not behind a proxy: a client cannot mint fresh budgets by forging the header.
      expect(await spam(direct.url, '203.0.113.7')).toEqual([200, 200, 429]);
      expect(await spam(direct.url, '203.0.113.8')).toEqual([429, 429, 429]);
    } finally {
      await proxied.close();
      await direct.close();
    }
  });

  it('lists, adds and removes my passkeys, never the last one', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const listed = await browser.request<{ passkeys: Array<{ id: string }> }>('GET', '/v1/me/passkeys');
    expect(listed.body.passkeys).toHaveLength(1);
    const onlyOne = await browser.request('DELETE', `/v1/me/passkeys/${encodeURIComponent(listed.body.passkeys[0].id)}`);
    expect(onlyOne.status).toBe(409);

    const laptop = new SoftAuthenticator();
    const options = await browser.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/options');
    // The existing passkey is excluded, so the same authenticator cannot register twice.
    expect(options.body.excludeCredentials?.map((credential) => credential.id)).toEqual([listed.body.passkeys[0].id]);
    const added = await browser.request<{ id: string; name: string }>('POST', '/v1/me/passkeys', {
      response: laptop.createCredential(options.body, api.url),
      name: 'Laptop',
    });
    expect(added.status).toBe(201);
    expect(added.body.name).toBe('Laptop');
    expect((await new PersonBrowser(api.url, laptop).signIn(person.email)).status).toBe(200);

    expect((await browser.request('DELETE', `/v1/me/passkeys/${encodeURIComponent(listed.body.passkeys[0].id)}`)).status).toBe(204);
    expect((await new PersonBrowser(api.url, browser.authenticator).signIn()).status).toBe(401);
    const { browser: stranger } = await signedInPerson(api.app, api.url);
    expect((await stranger.request('DELETE', `/v1/me/passkeys/${encodeURIComponent(added.body.id)}`)).status).toBe(404);
  });

  it('flags a decision made under two seconds after opening the approval, in the audit log and a metric', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const agent = await newAgent(api.app, { capabilities: ['chat.*'] });
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const created = await call<{ id: string }>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
        on_behalf_of: person.email,
        audience: 'https://chat.internal',
      },
    });
    expect((await browser.request('GET', `/v1/me/approvals/${created.body.id}`)).status).toBe(200);
    expect((await browser.decide(created.body.id, 'approve')).body).toMatchObject({ status: 'approved' });
    await api.app.get(AuditService).flush();
    const recorded = await withClient(api.config.databaseUrl, (client) =>
      client.query<{ data: { fast: boolean; latency_ms: number } }>(
        `SELECT data FROM audit_events WHERE subject_id = $1 AND type = 'decision.recorded'`,
        [created.body.id],
      ),
    );
    expect(recorded.rows[0].data.fast).toBe(true);
    expect(recorded.rows[0].data.latency_ms).toBeLessThan(2_000);
    expect(await fetch(`${api.url}/metrics`).then((response) => response.text())).toMatch(
      /^countersign_fast_decisions_total\{verdict="approve"\} [1-9]/m,
    );
  });
});
