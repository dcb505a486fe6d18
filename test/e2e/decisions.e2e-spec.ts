import { EnrollmentService } from '@countersign/people';
import { CLI } from '@countersign/audit';
import {
  agentAccessToken,
  call,
  newAgent,
  newResourceServer,
  PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  withClient,
  onlineVerifier,
} from '@countersign/testing';

const PAYMENTS = 'https://payments.internal';

type View = {
  id: string;
  status: string;
  approval_token?: string;
  decisions: Array<{ verdict: string; person: string; reason: string | null }>;
  status_reason: string | null;
};

describe('people decide: invite, enroll, sign in, inbox, step-up, token', () => {
  let api: RunningApi;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let agentToken: string;
  let server: Awaited<ReturnType<typeof newResourceServer>>;

  beforeAll(async () => {
    api = await startApi();
    agent = await newAgent(api.app, { capabilities: ['payments.*', 'chat.*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    server = await newResourceServer(api.app, `${PAYMENTS}/${Date.now()}`);
  });
  afterAll(() => api.close());

  /** High tier in the default taxonomy: a refund between 50 and 10,000 needs the person and a passkey step-up. */
  const refund = (onBehalfOf: string, amount = 500) => ({
    action: { type: 'payments.refund', resource: 'order:42', args: { amount, currency: 'EUR' } },
    on_behalf_of: onBehalfOf,
    audience: server.audience,
    reason: 'The customer was charged twice.',
  });
  const request = async (body: unknown) => {
    const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body });
    expect(created.status).toBe(201);
    return created.body;
  };

  it('the whole journey: the agent waiting on a long-poll gets a token the verifier SDK accepts', async () => {
    const { person: invited, enrollment } = await api.app
      .get(EnrollmentService)
      .invite(CLI, { email: `alice-${Date.now()}@example.com`, role: 'approver', permissions: ['payments.*'] });
    expect(enrollment!.url).toMatch(new RegExp(`^${api.config.publicUrl}/enroll#token=[A-Za-z0-9_-]{43}$`));
    const browser = new PersonBrowser(api.url);
    expect((await browser.enroll(enrollment!.url)).status).toBe(200);
    // The link was single use.
    expect((await new PersonBrowser(api.url).enroll(enrollment!.url)).body).toMatchObject({ code: 'invalid_enrollment_link' });

    // A fresh browser signs in with the discoverable passkey.
    const later = new PersonBrowser(api.url, browser.authenticator);
    const signedIn = await later.signIn();
    expect(signedIn.status).toBe(200);
    expect((await later.request('GET', '/v1/me')).body).toMatchObject({ person: { id: invited.id, email: invited.email } });

    const approval = await request(refund(invited.email));
    expect(approval.status).toBe('pending');
    const inbox = await later.request<{ approvals: Array<{ id: string; tier: string; step_up: string }> }>('GET', '/v1/me/approvals');
    expect(inbox.body.approvals.map((item) => item.id)).toContain(approval.id);
    expect(inbox.body.approvals.find((item) => item.id === approval.id)).toMatchObject({ tier: 'high', step_up: 'passkey' });

    const view = await later.request<{
      agent_reason: { text: string; label: string };
      you: { can_decide: boolean; step_up_required: boolean };
    }>('GET', `/v1/me/approvals/${approval.id}`);
    expect(view.body.agent_reason.text).toBe('The customer was charged twice.');
    expect(view.body.agent_reason.label).toMatch(/agent/i);
    expect(view.body.you).toMatchObject({ can_decide: true, step_up_required: true });

    const waiting = call<View>(`${api.url}/v1/approvals/${approval.id}?wait=30`, { token: agentToken });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const decided = await later.decide(approval.id, 'approve', { stepUp: true });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'approved' });

    const answered = await waiting;
    expect(answered.body.status).toBe('approved');
    expect(answered.body.decisions).toEqual([expect.objectContaining({ person: invited.id, verdict: 'approve' })]);
    const verifier = onlineVerifier(api, server);
    const verified = await verifier.verify(answered.body.approval_token!, {
      type: 'payments.refund',
      resource: 'order:42',
      args: { amount: 500, currency: 'EUR' },
      agent: agent.clientId,
    });
    expect(verified.subject).toBe(invited.id);
    expect(verified.claims.approvers).toEqual([{ sub: invited.id, channel: 'web', amr: expect.arrayContaining(['passkey']) }]);
  });

  it('the inbox pages newest first by keyset, without overlap, and refuses a forged cursor', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const created: string[] = [];
    for (let index = 0; index < 5; index++) created.push((await request(refund(person.email, 100 + index))).id);
    type Page = { approvals: Array<{ id: string }>; next_cursor: string | null };
    const first = await browser.request<Page>('GET', '/v1/me/approvals?limit=2');
    const second = await browser.request<Page>('GET', `/v1/me/approvals?limit=2&cursor=${first.body.next_cursor}`);
    const third = await browser.request<Page>('GET', `/v1/me/approvals?limit=2&cursor=${second.body.next_cursor}`);
    const seen = [...first.body.approvals, ...second.body.approvals, ...third.body.approvals].map((item) => item.id);
    expect(seen).toEqual([...created].reverse());
    expect(third.body.next_cursor).toBeNull();
    expect((await browser.request('GET', '/v1/me/approvals?cursor=bm90LWEtY3Vyc29y')).body).toMatchObject({ status: 400, field: 'cursor' });
    expect((await browser.request('GET', '/v1/me/approvals?status=maybe')).body).toMatchObject({ status: 400, field: 'status' });
  });

  it('deny: the agent sees denied with the reason, distinct from expired', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const approval = await request(refund(person.email));
    const denied = await browser.decide(approval.id, 'deny', { reason: 'Not a duplicate charge' });
    expect(denied.status).toBe(200);
    const seen = await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken });
    expect(seen.body.status).toBe('denied');
    expect(seen.body.status_reason).toContain('Not a duplicate charge');
    expect(seen.body.approval_token).toBeUndefined();
    expect(seen.body.decisions).toEqual([expect.objectContaining({ verdict: 'deny', reason: 'Not a duplicate charge' })]);
  });

  it('a two-person quorum needs two distinct people; the same person twice does not count', async () => {
    const { person: owner, browser: ownerBrowser } = await signedInPerson(api.app, api.url);
    const { browser: admin } = await signedInPerson(api.app, api.url, { role: 'admin' });
    // Critical in the default taxonomy: a transfer of 100 or more needs the person and an admin, each with a passkey.
    const approval = await request({
      action: { type: 'payments.transfer', resource: 'acct:ops', args: { amount: 2500, currency: 'EUR', to: 'ACME GmbH' } },
      on_behalf_of: owner.email,
      audience: PAYMENTS,
    });
    expect(approval.status).toBe('pending');
    expect((await ownerBrowser.decide(approval.id, 'approve', { stepUp: true })).body).toMatchObject({ status: 'pending' });
    const twice = await ownerBrowser.decide(approval.id, 'approve', { stepUp: true });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_decided');
    const second = await admin.decide(approval.id, 'approve', { stepUp: true });
    expect(second.body).toMatchObject({ status: 'approved' });
    const seen = await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken });
    expect(seen.body.decisions).toHaveLength(2);
    const claims = JSON.parse(Buffer.from(seen.body.approval_token!.split('.')[1], 'base64url').toString()) as {
      approvers: Array<{ sub: string }>;
    };
    expect(new Set(claims.approvers.map((approver) => approver.sub)).size).toBe(2);
  });

  it('a person who may not decide an approval cannot read it: 404, like one that does not exist', async () => {
    const { person: owner } = await signedInPerson(api.app, api.url);
    const { browser: stranger } = await signedInPerson(api.app, api.url);
    const approval = await request(refund(owner.email));
    expect((await stranger.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);
    expect((await stranger.decide(approval.id, 'deny')).status).toBe(404);
    expect((await stranger.request('GET', `/v1/me/approvals/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const inbox = await stranger.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals');
    expect(inbox.body.approvals.map((item) => item.id)).not.toContain(approval.id);
  });

  it('agent credentials cannot reach the people or admin APIs, and nothing an agent sends decides', async () => {
    const { person } = await signedInPerson(api.app, api.url);
    const approval = await request(refund(person.email));
    for (const [method, path] of [
      ['GET', '/v1/me'],
      ['GET', '/v1/me/approvals'],
      ['POST', `/v1/me/approvals/${approval.id}/decision`],
      ['GET', '/v1/admin/people'],
      ['POST', '/v1/admin/agents'],
    ]) {
      const response = await call(`${api.url}${path}`, {
        method,
        token: agentToken,
        body: method === 'POST' ? { verdict: 'approve' } : undefined,
        headers: { origin: api.url },
      });
      expect([path, response.status]).toEqual([path, 401]);
    }
    expect((await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken })).body.status).toBe('pending');
  });

  it('refuses a cross-origin or token-less state change (CSRF)', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const approval = await request({
      action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'deploy done' } },
      on_behalf_of: person.email,
      audience: 'https://chat.internal',
    });
    const crossOrigin = await browser.request(
      'POST',
      `/v1/me/approvals/${approval.id}/decision`,
      { verdict: 'approve' },
      { origin: 'https://evil.example' },
    );
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.body.code).toBe('forbidden');
    const noToken = await browser.request(
      'POST',
      `/v1/me/approvals/${approval.id}/decision`,
      { verdict: 'approve' },
      { 'x-csrf-token': 'wrong' },
    );
    expect(noToken.status).toBe(403);
    expect((await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken })).body.status).toBe('pending');
    // Medium tier: no step-up, so the same request with the right origin and token decides.
    expect((await browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'approved' });
  });

  it('refuses every bad step-up and records nothing', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const { browser: other } = await signedInPerson(api.app, api.url, { role: 'admin' });
    const approval = await request(refund(person.email));
    const otherApproval = await request(refund(person.email, 600));
    const decide = (stepUp: unknown) =>
      browser.request('POST', `/v1/me/approvals/${approval.id}/decision`, { verdict: 'approve', step_up: stepUp });

    expect((await browser.request('POST', `/v1/me/approvals/${approval.id}/decision`, { verdict: 'approve' })).body).toMatchObject({
      status: 403,
      code: 'step_up_required',
    });
    // Issued for another approval.
    expect((await decide(await browser.stepUp(otherApproval.id))).body).toMatchObject({
      code: 'step_up_invalid',
      detail: expect.stringContaining('another approval'),
    });
    // Without user verification.
    expect((await decide(await browser.stepUp(approval.id, { userVerified: false }))).body).toMatchObject({
      code: 'step_up_invalid',
      detail: expect.stringMatching(/verif/i),
    });
    // Signed by someone else's passkey (for a challenge issued to this person).
    const options = await browser.request<{ challenge: string; rpId: string }>('POST', `/v1/me/approvals/${approval.id}/step-up`);
    const foreign = other.authenticator.getAssertion({ ...options.body, allowCredentials: [] }, api.url);
    expect((await decide(foreign)).body).toMatchObject({ code: 'step_up_invalid', detail: expect.stringContaining('your passkeys') });
    // Reused: a valid assertion works once; replaying it is refused.
    const valid = await browser.stepUp(approval.id);
    // The approval changed behind the application's back since the step-up was issued.
    const changed = await browser.stepUp(otherApproval.id);
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`UPDATE approvals SET action_digest = 'sha256:tampered' WHERE id = $1`, [otherApproval.id]),
    );
    expect(
      (await browser.request('POST', `/v1/me/approvals/${otherApproval.id}/decision`, { verdict: 'approve', step_up: changed })).body,
    ).toMatchObject({ code: 'step_up_invalid', detail: expect.stringContaining('changed') });
    expect((await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken })).body.status).toBe('pending');
    expect((await decide(valid)).body).toMatchObject({ status: 'approved' });
    const replay = await browser.request('POST', `/v1/me/approvals/${otherApproval.id}/decision`, { verdict: 'approve', step_up: valid });
    expect(replay.body).toMatchObject({ code: 'step_up_invalid' });
  });

  it('deciding an expired approval is 409 expired; a decided one 409 already_decided', async () => {
    const { person, browser } = await signedInPerson(api.app, api.url);
    const { browser: second } = await signedInPerson(api.app, api.url, { role: 'admin' });
    const approval = await request({ ...refund(person.email), expires_in: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const late = await browser.decide(approval.id, 'deny');
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('expired');
    expect((await call<View>(`${api.url}/v1/approvals/${approval.id}`, { token: agentToken })).body.status).toBe('expired');

    const transfer = await request({
      action: { type: 'payments.transfer', resource: 'acct:ops', args: { amount: 2500, currency: 'EUR', to: 'ACME GmbH' } },
      on_behalf_of: person.email,
      audience: PAYMENTS,
    });
    expect((await browser.decide(transfer.id, 'deny')).body).toMatchObject({ status: 'denied' });
    const after = await second.decide(transfer.id, 'approve', { stepUp: false });
    expect(after.status).toBe(409);
    expect(after.body.code).toBe('already_decided');
  });
});
