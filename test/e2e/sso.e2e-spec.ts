import { createHash } from 'node:crypto';
import { type RegistrationResponseJSON, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { AuditService, CLI } from '@countersign/audit';
import { PeopleService } from '@countersign/people';
import {
  agentAccessToken,
  call,
  CookieJar,
  FakeOidcIssuer,
  freePort,
  type IdTokenTampering,
  newAgent,
  newPerson,
  newResourceServer,
  PersonBrowser,
  providerConfig,
  type RunningApi,
  type RunningOidcProvider,
  signInAtProvider,
  startApi,
  startOidcProvider,
  testConfig,
  withClient,
} from '@countersign/testing';

const CLIENT = { client_id: 'countersign', client_secret: 'countersign-test-client-secret' };
const FAKE_CLIENT = { client_id: 'countersign-at-fake', client_secret: 'fake-client-secret' };
const SESSION = 'countersign_session';
const stamp = Date.now().toString(36);
const email = (name: string) => `${name}-${stamp}@example.com`;

/**
 * Single sign-on through a real OpenID provider (oidc-provider, its own login and consent pages driven over HTTP)
 * and, for the ID token checks a real provider will not get wrong, a jose-built issuer the test controls.
 */
describe('single sign-on (OpenID Connect)', () => {
  let idp: RunningOidcProvider;
  let fake: FakeOidcIssuer;
  let api: RunningApi;
  /** The same deployment with REQUIRE_SSO=true. */
  let ssoOnly: RunningApi;
  let providers: string;

  beforeAll(async () => {
    const [port, ssoOnlyPort] = [await freePort(), await freePort()];
    const urls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${ssoOnlyPort}`];
    idp = await startOidcProvider({
      clients: [
        { ...CLIENT, redirect_uris: urls.flatMap((url) => [`${url}/v1/auth/sso/corp/callback`, `${url}/v1/auth/sso/corp-link/callback`]) },
      ],
      accounts: {
        'alice-sub': { email: email('alice'), email_verified: true, name: 'Alice' },
        'bob-sub': { email: email('bob'), email_verified: false, name: 'Bob' },
        'nobody-sub': { email: email('nobody'), email_verified: true },
        'carol-sub': { email: email('carol'), email_verified: true },
        'dave-sub': { email: email('dave'), email_verified: true },
        'erin-sub': { email: email('erin'), email_verified: true },
        'heidi-sub': { email: email('heidi'), email_verified: true },
        'alice-again-sub': { email: email('alice'), email_verified: true },
        'ivan-sub': { email: email('ivan'), email_verified: true },
      },
    });
    fake = await new FakeOidcIssuer(FAKE_CLIENT).start();
    providers = JSON.stringify([
      providerConfig(idp.issuer, CLIENT, { id: 'corp', name: 'Corp ID' }),
      providerConfig(idp.issuer, CLIENT, { id: 'corp-link', name: 'Corp ID (linking)', link_by_verified_email: true }),
      providerConfig(fake.url, FAKE_CLIENT, { id: 'fake', name: 'Fake', link_by_verified_email: true }),
      providerConfig(fake.url, FAKE_CLIENT, { id: 'fake-post', name: 'Fake (post)', token_endpoint_auth_method: 'client_secret_post' }),
    ]);
    api = await startApi(testConfig({ PORT: String(port), PUBLIC_URL: urls[0], OIDC_PROVIDERS: providers }));
    ssoOnly = await startApi(
      testConfig({ PORT: String(ssoOnlyPort), PUBLIC_URL: urls[1], OIDC_PROVIDERS: providers, REQUIRE_SSO: 'true' }),
    );
  });
  afterAll(async () => {
    await api?.close();
    await ssoOnly?.close();
    await fake?.stop();
    await idp?.stop();
  });

  /** Start at Countersign, sign in at the provider as `login`, come back: the callback's answer. */
  async function ssoSignIn(at: RunningApi, provider: string, login: string, jar = new CookieJar(), next?: string) {
    const start = await jar.fetch(`${at.url}/v1/auth/sso/${provider}/start${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    expect(start.status).toBe(303);
    const authorization = start.headers.get('location')!;
    const callbackUrl = provider.startsWith('fake') ? await followOnce(authorization) : await signInAtProvider(jar, authorization, login);
    expect(callbackUrl.startsWith(`${at.url}/v1/auth/sso/${provider}/callback?`)).toBe(true);
    const callback = await jar.fetch(callbackUrl);
    expect(callback.status).toBe(303);
    return { jar, callbackUrl, callback, location: callback.headers.get('location')!, session: jar.get(at.url, SESSION) };
  }

  async function followOnce(url: string): Promise<string> {
    const response = await fetch(url, { redirect: 'manual' });
    return response.headers.get('location')!;
  }

  const refusal = (at: RunningApi, reason: string, provider: string) => `${at.url}/sign-in?sso_error=${reason}&provider=${provider}`;

  async function me(at: RunningApi, jar: CookieJar) {
    const response = await jar.fetch(`${at.url}/v1/me`);
    return { status: response.status, body: (await response.json()) as { person?: { id: string; email: string }; csrf_token?: string } };
  }

  async function auditOf(type: string, filter: string) {
    await api.app.get(AuditService).flush();
    const rows = await withClient(api.config.databaseUrl, (client) =>
      client.query<{ actor_type: string; subject_id: string | null; data: Record<string, unknown> }>(
        `SELECT actor_type, subject_id, data FROM audit_events WHERE type = $1 AND data::text LIKE $2 ORDER BY seq`,
        [type, `%${filter}%`],
      ),
    );
    return rows.rows;
  }

  it('lists the providers for the sign-in page', async () => {
    const list = await call(`${api.url}/v1/auth/sso`);
    expect(list.body).toEqual({
      providers: [
        { id: 'corp', name: 'Corp ID' },
        { id: 'corp-link', name: 'Corp ID (linking)' },
        { id: 'fake', name: 'Fake' },
        { id: 'fake-post', name: 'Fake (post)' },
      ],
      required: false,
    });
    expect((await call(`${ssoOnly.url}/v1/auth/sso`)).body).toMatchObject({ required: true });
  });

  it('the authorization request carries PKCE (S256), state and nonce, and the browser gets a Lax, HttpOnly binding cookie', async () => {
    const jar = new CookieJar();
    const start = await jar.fetch(`${api.url}/v1/auth/sso/corp/start`);
    const url = new URL(start.headers.get('location')!);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(`${api.url}/v1/auth/sso/corp/callback`);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(start.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^countersign_sso=[A-Za-z0-9_-]{43}; Path=\/v1\/auth\/sso; Max-Age=600; HttpOnly; SameSite=Lax$/),
    ]);
    // The state is not the cookie: the URL the IdP sees cannot be turned into the browser's binding.
    expect(jar.get(api.url, 'countersign_sso')).not.toBe(url.searchParams.get('state'));
  });

  it('first sign-in: refused without linking, linked by a verified email when the provider allows it, then found by (issuer, sub)', async () => {
    const alice = await newPerson(api.app, { email: email('alice') });

    // Linking off: an email match alone never signs anyone in.
    const unlinked = await ssoSignIn(api, 'corp', 'alice-sub');
    expect(unlinked.location).toBe(refusal(api, 'no_account', 'corp'));
    expect(unlinked.session).toBeUndefined();
    expect((await me(api, unlinked.jar)).status).toBe(401);
    expect(await auditOf('person.sign_in_refused', 'alice-sub')).toEqual([
      expect.objectContaining({
        actor_type: 'system',
        data: expect.objectContaining({ reason: 'no_account', provider: 'corp', sub: 'alice-sub' }),
      }),
    ]);

    // Linking on and email_verified true: linked, signed in, and sent to the page asked for.
    const linked = await ssoSignIn(api, 'corp-link', 'alice-sub', new CookieJar(), '/approvals/abc?x=1');
    expect(linked.location).toBe(`${api.url}/approvals/abc?x=1`);
    expect(linked.callback.headers.getSetCookie()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^countersign_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/),
        expect.stringMatching(/^countersign_sso=; Path=\/v1\/auth\/sso; Max-Age=0/),
      ]),
    );
    const signedIn = await me(api, linked.jar);
    expect(signedIn).toMatchObject({ status: 200, body: { person: { id: alice.id, email: alice.email } } });
    expect(await auditOf('person.sso_identity_linked', 'alice-sub')).toEqual([
      expect.objectContaining({
        subject_id: alice.id,
        data: expect.objectContaining({ provider: 'corp-link', issuer: idp.issuer, via: 'verified_email' }),
      }),
    ]);
    const identities = await withClient(api.config.databaseUrl, (client) =>
      client.query(`SELECT issuer, subject, person_id FROM sso_identities WHERE person_id = $1`, [alice.id]),
    );
    expect(identities.rows).toEqual([{ issuer: idp.issuer, subject: 'alice-sub', person_id: alice.id }]);

    // Now linked: the provider without linking finds her by (issuer, sub).
    const again = await ssoSignIn(api, 'corp', 'alice-sub');
    expect(again.location).toBe(`${api.url}/inbox`);
    expect((await me(api, again.jar)).body.person?.id).toBe(alice.id);
    expect((await auditOf('person.signed_in', 'alice-sub')).map((row) => row.data.provider)).toEqual(['corp-link', 'corp']);

    // Another identity at the same issuer with her verified email: she is linked already, never relinked.
    const second = await ssoSignIn(api, 'corp-link', 'alice-again-sub');
    expect(second.location).toBe(refusal(api, 'no_account', 'corp-link'));
    expect(second.session).toBeUndefined();
    expect(await auditOf('person.sign_in_refused', 'alice-again-sub')).toEqual([
      expect.objectContaining({ subject_id: alice.id, data: expect.objectContaining({ reason: 'no_account' }) }),
    ]);
  });

  it('the person cancels at the provider: the sign-in page says the provider did not complete it', async () => {
    await newPerson(api.app, { email: email('ivan') });
    const jar = new CookieJar();
    const start = await jar.fetch(`${api.url}/v1/auth/sso/corp-link/start`);
    const atProvider = await jar.fetch(start.headers.get('location')!);
    const interaction = new URL(atProvider.headers.get('location')!, idp.issuer).href;
    // oidc-provider's own "abort" of its interaction: back to Countersign with error=access_denied.
    let response = await jar.fetch(`${interaction}/abort`);
    while (new URL(response.headers.get('location')!, idp.issuer).origin === idp.issuer)
      response = await jar.fetch(new URL(response.headers.get('location')!, idp.issuer).href);
    const callbackUrl = response.headers.get('location')!;
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const callback = await jar.fetch(callbackUrl);
    expect(callback.headers.get('location')).toBe(refusal(api, 'idp_error', 'corp-link'));
    expect(jar.get(api.url, SESSION)).toBeUndefined();
  });

  it('an unverified email is never linked, and an email nobody has creates no account', async () => {
    await newPerson(api.app, { email: email('bob') });
    const bob = await ssoSignIn(api, 'corp-link', 'bob-sub');
    expect(bob.location).toBe(refusal(api, 'email_not_verified', 'corp-link'));
    expect(bob.session).toBeUndefined();

    const nobody = await ssoSignIn(api, 'corp-link', 'nobody-sub');
    expect(nobody.location).toBe(refusal(api, 'no_account', 'corp-link'));
    expect(nobody.session).toBeUndefined();
    const created = await withClient(api.config.databaseUrl, (client) =>
      client.query(`SELECT 1 FROM people WHERE email = $1`, [email('nobody')]),
    );
    expect(created.rowCount).toBe(0);
    expect(await auditOf('person.sign_in_refused', 'bob-sub')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ reason: 'email_not_verified' }) }),
    ]);
  });

  it('a disabled person is refused, linked or not', async () => {
    const carol = await newPerson(api.app, { email: email('carol') });
    expect((await ssoSignIn(api, 'corp-link', 'carol-sub')).session).toBeDefined();
    await api.app.get(PeopleService).update(CLI, carol.id, { status: 'disabled' });
    const refused = await ssoSignIn(api, 'corp', 'carol-sub');
    expect(refused.location).toBe(refusal(api, 'account_disabled', 'corp'));
    expect(refused.session).toBeUndefined();
    expect(await auditOf('person.sign_in_refused', 'carol-sub')).toEqual([
      expect.objectContaining({ subject_id: carol.id, data: expect.objectContaining({ reason: 'account_disabled' }) }),
    ]);

    const dave = await newPerson(api.app, { email: email('dave') });
    await api.app.get(PeopleService).update(CLI, dave.id, { status: 'disabled' });
    expect((await ssoSignIn(api, 'corp-link', 'dave-sub')).location).toBe(refusal(api, 'account_disabled', 'corp-link'));
  });

  it('a state is answered once, only in the browser that started it, only for its provider', async () => {
    const erin = await newPerson(api.app, { email: email('erin') });
    // The code reaches another browser (a leaked callback URL): no binding cookie, refused, and the state is spent.
    const jar = new CookieJar();
    const start = await jar.fetch(`${api.url}/v1/auth/sso/corp-link/start`);
    const callbackUrl = await signInAtProvider(jar, start.headers.get('location')!, 'erin-sub');
    const elsewhere = await new CookieJar().fetch(callbackUrl);
    expect(elsewhere.headers.get('location')).toBe(refusal(api, 'invalid_state', 'corp-link'));
    const spent = await jar.fetch(callbackUrl);
    expect(spent.headers.get('location')).toBe(refusal(api, 'invalid_state', 'corp-link'));
    expect(jar.get(api.url, SESSION)).toBeUndefined();

    // A completed sign-in replayed, binding cookie and all: the state is gone.
    const done = await ssoSignIn(api, 'corp-link', 'erin-sub');
    expect((await me(api, done.jar)).body.person?.id).toBe(erin.id);
    const binding = done.callbackUrl; // the same code, state and iss
    const replay = new CookieJar();
    const replayStart = await replay.fetch(`${api.url}/v1/auth/sso/corp-link/start`); // a live binding cookie of its own
    expect(replayStart.status).toBe(303);
    const replayed = await replay.fetch(binding);
    expect(replayed.headers.get('location')).toBe(refusal(api, 'invalid_state', 'corp-link'));
    expect(replay.get(api.url, SESSION)).toBeUndefined();

    // A state issued for one provider, presented at another's callback.
    const crossed = new CookieJar();
    const crossedStart = await crossed.fetch(`${api.url}/v1/auth/sso/corp-link/start`);
    const crossedCallback = await signInAtProvider(crossed, crossedStart.headers.get('location')!, 'erin-sub');
    const atOther = await crossed.fetch(crossedCallback.replace('/sso/corp-link/callback', '/sso/corp/callback'));
    expect(atOther.headers.get('location')).toBe(refusal(api, 'invalid_state', 'corp'));
    expect(crossed.get(api.url, SESSION)).toBeUndefined();

    // Past its ten minutes (the row's expiry moved back): refused like an unknown one.
    const late = new CookieJar();
    const lateStart = await late.fetch(`${api.url}/v1/auth/sso/corp-link/start`);
    const lateCallback = await signInAtProvider(late, lateStart.headers.get('location')!, 'erin-sub');
    const stateHash = createHash('sha256').update(new URL(lateCallback).searchParams.get('state')!).digest('base64url');
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`UPDATE sso_logins SET expires_at = now() - interval '1 second' WHERE state_hash = $1`, [stateHash]),
    );
    expect((await late.fetch(lateCallback)).headers.get('location')).toBe(refusal(api, 'invalid_state', 'corp-link'));
    expect(late.get(api.url, SESSION)).toBeUndefined();

    // No state at all, and an unknown provider.
    expect((await new CookieJar().fetch(`${api.url}/v1/auth/sso/corp/callback?code=x`)).headers.get('location')).toBe(
      refusal(api, 'invalid_state', 'corp'),
    );
    expect((await new CookieJar().fetch(`${api.url}/v1/auth/sso/nope/start`)).headers.get('location')).toBe(
      refusal(api, 'unknown_provider', 'nope'),
    );
  });

  describe('ID token checks (an issuer the test controls)', () => {
    let frank: Awaited<ReturnType<typeof newPerson>>;
    beforeAll(async () => {
      frank = await newPerson(api.app, { email: email('frank') });
      fake.sub = `frank-${stamp}`;
      fake.claims = { email: frank.email, email_verified: true };
    });
    afterEach(() => {
      fake.tampering = 'none';
    });

    it.each<IdTokenTampering>(['wrong_nonce', 'wrong_issuer', 'wrong_audience', 'expired', 'foreign_key'])(
      '%s: refused, no session, no identity linked',
      async (tampering) => {
        fake.tampering = tampering;
        const refused = await ssoSignIn(api, 'fake', '');
        expect(refused.location).toBe(refusal(api, 'invalid_response', 'fake'));
        expect(refused.session).toBeUndefined();
        expect(fake.tokenRequests.at(-1)).toEqual({ pkce: true });
        const identities = await withClient(api.config.databaseUrl, (client) =>
          client.query(`SELECT 1 FROM sso_identities WHERE person_id = $1`, [frank.id]),
        );
        expect(identities.rowCount).toBe(0);
      },
    );

    it('the same issuer with an untampered ID token signs in (the checks above are what refused)', async () => {
      const accepted = await ssoSignIn(api, 'fake', '');
      expect(accepted.location).toBe(`${api.url}/inbox`);
      expect((await me(api, accepted.jar)).body.person?.id).toBe(frank.id);
      expect((await auditOf('person.sign_in_refused', `frank-${stamp}`)).length).toBe(0); // refusals before any ID token was believed
      expect((await auditOf('person.sign_in_refused', '"provider": "fake"')).map((row) => row.data.reason)).toEqual(
        expect.arrayContaining(['invalid_response']),
      );
    });
  });

  it('client_secret_post when the provider is configured so (client_secret_basic otherwise)', async () => {
    const olga = await newPerson(api.app, { email: email('olga') });
    fake.sub = `olga-${stamp}`;
    fake.claims = { email: olga.email, email_verified: true };
    expect((await ssoSignIn(api, 'fake', '')).location).toBe(`${api.url}/inbox`); // linked (basic)
    expect(fake.clientAuthentications.at(-1)).toBe('client_secret_basic');
    const post = await ssoSignIn(api, 'fake-post', '');
    expect(post.location).toBe(`${api.url}/inbox`);
    expect(fake.clientAuthentications.at(-1)).toBe('client_secret_post');
    expect((await me(api, post.jar)).body.person?.id).toBe(olga.id);
  });

  describe('claims only in userinfo (an IdP that keeps the ID token small)', () => {
    afterEach(() => {
      fake.claimsIn = 'id_token';
      fake.userinfoSub = null;
    });

    it("links by the verified email from userinfo, whose sub must be the ID token's", async () => {
      const lena = await newPerson(api.app, { email: email('lena') });
      fake.sub = `lena-${stamp}`;
      fake.claims = { email: lena.email, email_verified: true };
      fake.claimsIn = 'userinfo';

      // Userinfo answering for someone else is refused: its claims are not believed.
      fake.userinfoSub = 'someone-else';
      const mismatched = await ssoSignIn(api, 'fake', '');
      expect(mismatched.location).toBe(refusal(api, 'invalid_response', 'fake'));
      expect(mismatched.session).toBeUndefined();

      fake.userinfoSub = null;
      const linked = await ssoSignIn(api, 'fake', '');
      expect(linked.location).toBe(`${api.url}/inbox`);
      expect((await me(api, linked.jar)).body.person?.id).toBe(lena.id);

      // Unverified in userinfo: not linked.
      const mona = await newPerson(api.app, { email: email('mona') });
      fake.sub = `mona-${stamp}`;
      fake.claims = { email: mona.email, email_verified: false };
      expect((await ssoSignIn(api, 'fake', '')).location).toBe(refusal(api, 'email_not_verified', 'fake'));
    });
  });

  describe('REQUIRE_SSO=true', () => {
    it('refuses passkey-only sign-in and enrollment links with a clear error', async () => {
      const browser = new PersonBrowser(ssoOnly.url);
      for (const path of ['/v1/auth/login/options', '/v1/auth/login/verify', '/v1/auth/enrollment/options', '/v1/auth/enrollment/verify']) {
        const refused = await browser.request('POST', path, { token: 'x'.repeat(43) });
        expect(refused).toMatchObject({
          status: 403,
          body: { code: 'sso_required', detail: expect.stringContaining('requires single sign-on') },
        });
      }
      // The same deployment without the flag still lets passkeys sign in.
      expect((await new PersonBrowser(api.url).request('POST', '/v1/auth/login/options', {})).status).toBe(200);
    });

    it('the bootstrap admin gets no enrollment link (it could not be used); they sign in through SSO', async () => {
      const bootstrap = email('root');
      const started = await startApi(
        testConfig({ OIDC_PROVIDERS: providers, REQUIRE_SSO: 'true', COUNTERSIGN_BOOTSTRAP_EMAIL: bootstrap }),
      );
      await started.close();
      const links = await withClient(api.config.databaseUrl, (client) =>
        client.query(`SELECT 1 FROM enrollment_links l JOIN people p ON p.id = l.person_id WHERE p.email = $1`, [bootstrap]),
      );
      expect(links.rowCount).toBe(0);
    });

    it('an admin invites without a link (it could not be used) and cannot issue one: 403 sso_required, no link stored', async () => {
      const admin = await newPerson(ssoOnly.app, { email: email('quinn'), role: 'admin' });
      fake.sub = `quinn-${stamp}`;
      fake.claims = { email: admin.email, email_verified: true };
      const signedIn = await ssoSignIn(ssoOnly, 'fake', '');
      const browser = new PersonBrowser(ssoOnly.url);
      browser.cookie = `${SESSION}=${signedIn.session}`;
      browser.csrfToken = (await me(ssoOnly, signedIn.jar)).body.csrf_token!;

      const invited = await browser.request<{ person: { id: string; email: string }; enrollment: unknown }>('POST', '/v1/admin/people', {
        email: email('pat'),
        role: 'approver',
      });
      expect(invited).toMatchObject({ status: 201, body: { person: { email: email('pat') }, enrollment: null } });
      const reissued = await browser.request('POST', `/v1/admin/people/${invited.body.person.id}/enrollment`, {});
      expect(reissued).toMatchObject({
        status: 403,
        body: { code: 'sso_required', detail: expect.stringContaining('requires single sign-on') },
      });
      const links = await withClient(api.config.databaseUrl, (client) =>
        client.query(`SELECT 1 FROM enrollment_links WHERE person_id = $1`, [invited.body.person.id]),
      );
      expect(links.rowCount).toBe(0);
    });

    it('a person signed in by SSO must still pass the passkey step-up; with no passkey they add one in settings, no link needed', async () => {
      const grace = await newPerson(ssoOnly.app, { email: email('grace'), role: 'approver' });
      fake.sub = `grace-${stamp}`;
      fake.claims = { email: grace.email, email_verified: true };
      // Through the fake issuer: its callback is registered for any redirect URI.
      const signedIn = await ssoSignIn(ssoOnly, 'fake', '');
      const session = await me(ssoOnly, signedIn.jar);
      expect(session.body.person?.id).toBe(grace.id);

      const browser = new PersonBrowser(ssoOnly.url);
      browser.cookie = `${SESSION}=${signedIn.session}`;
      browser.csrfToken = session.body.csrf_token!;

      const agent = await newAgent(ssoOnly.app, { capabilities: ['payments.*'] });
      const server = await newResourceServer(ssoOnly.app);
      const created = await call<{ id: string }>(`${ssoOnly.url}/v1/approvals`, {
        token: await agentAccessToken(ssoOnly.url, agent.clientId, agent.clientSecret),
        body: {
          action: { type: 'payments.refund', resource: 'order:42', args: { amount: 500, currency: 'EUR' } },
          on_behalf_of: grace.email,
          audience: server.audience,
          reason: 'The customer was charged twice.',
        },
      });
      expect(created.status).toBe(201);

      // The SSO session alone does not decide a step-up tier.
      expect((await browser.decide(created.body.id, 'approve')).body).toMatchObject({ status: 403, code: 'step_up_required' });
      const noPasskey = await browser.request('POST', `/v1/me/approvals/${created.body.id}/step-up`);
      expect(noPasskey.body).toMatchObject({ code: 'step_up_required', detail: expect.stringContaining('add one in your settings') });

      // Settings' "add a passkey" works for a signed-in person with none, without any enrollment link.
      const options = await browser.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/options');
      expect(options.status).toBe(200);
      const registration: RegistrationResponseJSON = browser.authenticator.createCredential(options.body, browser.origin);
      expect((await browser.request('POST', '/v1/me/passkeys', { response: registration, name: 'Laptop' })).status).toBe(201);

      // Step-up with the passkey still works in SSO-required mode, and decides.
      expect((await browser.decide(created.body.id, 'approve', { stepUp: true })).body).toMatchObject({ status: 'approved' });
    });
  });

  it('an IdP that is down: a clear refusal page, and existing sessions are unaffected', async () => {
    const heidi = await newPerson(api.app, { email: email('heidi') });
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`INSERT INTO sso_identities (issuer, subject, person_id, provider) VALUES ($1, 'heidi-sub', $2, 'corp')`, [
        idp.issuer,
        heidi.id,
      ]),
    );
    const existing = await ssoSignIn(api, 'corp', 'heidi-sub');
    expect((await me(api, existing.jar)).status).toBe(200);

    // The IdP dies between its login page and the code's redemption.
    const jar = new CookieJar();
    const start = await jar.fetch(`${api.url}/v1/auth/sso/corp/start`);
    const callbackUrl = await signInAtProvider(jar, start.headers.get('location')!, 'heidi-sub');
    await idp.kill();
    try {
      const callback = await jar.fetch(callbackUrl);
      expect(callback.headers.get('location')).toBe(refusal(api, 'idp_unavailable', 'corp'));
      expect(jar.get(api.url, SESSION)).toBeUndefined();

      // An instance that never reached the IdP cannot even discover it: the sign-in page says so.
      const fresh = await startApi(testConfig({ OIDC_PROVIDERS: providers }));
      try {
        const refused = await new CookieJar().fetch(`${fresh.url}/v1/auth/sso/corp/start`);
        expect(refused.status).toBe(303);
        expect(refused.headers.get('location')).toBe(refusal(fresh, 'idp_unavailable', 'corp'));
      } finally {
        await fresh.close();
      }

      // Signed-in people carry on.
      expect((await me(api, existing.jar)).status).toBe(200);
    } finally {
      await idp.restart();
    }
    // Back up: sign-in works again.
    const back = await ssoSignIn(api, 'corp', 'heidi-sub');
    expect((await me(api, back.jar)).body.person?.id).toBe(heidi.id);
  });
});
