import { createHash } from 'node:crypto';
import { AuditService, CLI } from '@countersign/audit';
import { PeopleService } from '@countersign/people';
import { newAgent, newPerson, type RunningApi, startApi, testConfig, withClient } from '@countersign/testing';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
type Agent = Awaited<ReturnType<typeof newAgent>>;
type Answer = { status: number; body: Record<string, unknown> };

/**
 * The negative cases of the OpenID CIBA conformance plan that apply here, each with its exact error code
 * (CIBA Core 1.0 §13 and §11, RFC 9396 §5), sent as a client would, form-encoded with client_secret_basic.
 */
describe('OpenID CIBA refusals, each with its error code', () => {
  let api: RunningApi;
  let poll: Agent;
  let ping: Agent;
  let email: string;

  beforeAll(async () => {
    api = await startApi(testConfig({ ALLOW_PRIVATE_CALLBACK_URLS: 'true' }));
    poll = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.refund'] },
    });
    ping = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'ping', notificationEndpoint: 'http://127.0.0.1:9/ciba', authorizationDetailsTypes: ['payments.refund'] },
    });
    email = (await newPerson(api.app, { permissions: ['payments.*'] })).email;
  });
  afterAll(() => api.close());

  const post = async (path: string, agent: Agent, form: Record<string, string>): Promise<Answer> => {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const details = (amount = 500, extra: Record<string, unknown> = {}) =>
    JSON.stringify([{ type: 'payments.refund', identifier: 'order:7', locations: ['https://payments.example'], amount, ...extra }]);
  const authorize = (form: Record<string, string>, agent: Agent = poll) =>
    post('/oauth/bc-authorize', agent, { login_hint: email, authorization_details: details(), ...form });
  const redeem = (authReqId: string, agent: Agent = poll) =>
    post('/oauth/token', agent, { grant_type: CIBA_GRANT, auth_req_id: authReqId });
  const refusedWith = (answer: Answer, error: string, status = 400) => {
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
    expect(typeof answer.body.error_description).toBe('string');
  };

  it('no hint, or two hints: invalid_request', async () => {
    refusedWith(await post('/oauth/bc-authorize', poll, { authorization_details: details() }), 'invalid_request');
    refusedWith(await authorize({ id_token_hint: 'x.y.z' }), 'invalid_request');
    refusedWith(await authorize({ login_hint_token: 'x' }), 'invalid_request');
  });

  it('unknown or disabled person: unknown_user_id', async () => {
    refusedWith(await authorize({ login_hint: 'nobody@example.com' }), 'unknown_user_id');
    const disabled = await newPerson(api.app, { permissions: ['payments.*'] });
    await api.app.get(PeopleService).update(CLI, disabled.id, { status: 'disabled' });
    refusedWith(await authorize({ login_hint: disabled.email }), 'unknown_user_id');
  });

  it('a binding message too long or with a line break: invalid_binding_message', async () => {
    refusedWith(await authorize({ binding_message: 'x'.repeat(101) }), 'invalid_binding_message');
    refusedWith(await authorize({ binding_message: 'two\nlines' }), 'invalid_binding_message');
    expect((await authorize({ binding_message: 'x'.repeat(100) })).status).toBe(200);
  });

  it('ping mode: a missing, too long or malformed client_notification_token is invalid_request', async () => {
    refusedWith(await authorize({}, ping), 'invalid_request');
    refusedWith(await authorize({ client_notification_token: 'a'.repeat(1025) }, ping), 'invalid_request');
    refusedWith(await authorize({ client_notification_token: 'has space' }, ping), 'invalid_request');
    expect((await authorize({ client_notification_token: 'a'.repeat(1024) }, ping)).status).toBe(200);
  });

  it('requested_expiry as a string is taken; a non-number is invalid_request', async () => {
    const taken = await authorize({ requested_expiry: '120' });
    expect(taken).toMatchObject({ status: 200, body: { expires_in: 120, interval: 5 } });
    refusedWith(await authorize({ requested_expiry: 'soon' }), 'invalid_request');
    refusedWith(await authorize({ requested_expiry: '-5' }), 'invalid_request');
  });

  it('malformed, non-I-JSON or unregistered authorization_details: invalid_authorization_details', async () => {
    const invalid = [
      'not json',
      '{"type":"payments.refund"}',
      '[]',
      '[{"identifier":"order:7"}]',
      '[{"type":"payments.refund"}]',
      '[{"type":"payments.refund","identifier":"order:7","amount":1,"amount":2}]',
      '[{"type":"payments.refund","identifier":"order:7","amount":1e400}]',
      '[{"type":"payments.transfer","identifier":"order:7"}]',
      details(1, { locations: ['https://a.example', 'https://b.example'] }),
      '[{"type":"payments.refund","identifier":"order:7"},{"type":"payments.refund","identifier":"order:8"}]',
    ];
    for (const value of invalid) refusedWith(await authorize({ authorization_details: value }), 'invalid_authorization_details');
    refusedWith(await post('/oauth/bc-authorize', poll, { login_hint: email }), 'invalid_request');
  });

  it('an unknown scope is invalid_scope; a client without CIBA registration is unauthorized_client', async () => {
    refusedWith(await authorize({ scope: 'openid payments' }), 'invalid_scope');
    const plain = await newAgent(api.app, { capabilities: ['payments.*'] });
    refusedWith(await authorize({}, plain), 'unauthorized_client');
  });

  it('bad client credentials: invalid_client (401)', async () => {
    refusedWith(await authorize({}, { ...poll, clientSecret: 'wrong' }), 'invalid_client', 401);
  });

  it('what the person may not authorize (confused deputy) is refused as access_denied (403)', async () => {
    const refused = await post('/oauth/bc-authorize', poll, {
      login_hint: (await newPerson(api.app, { permissions: ['email.*'] })).email,
      authorization_details: details(),
    });
    refusedWith(refused, 'access_denied', 403);
  });

  it("another client's auth_req_id, and an unknown one: invalid_grant", async () => {
    const started = await authorize({});
    expect(started.status).toBe(200);
    const authReqId = started.body.auth_req_id as string;
    const other = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.refund'] },
    });
    refusedWith(await redeem(authReqId, other), 'invalid_grant');
    refusedWith(await redeem('unknown-id'), 'invalid_grant');
    refusedWith(await post('/oauth/token', poll, { grant_type: CIBA_GRANT }), 'invalid_request');
    // The owner still gets its answer: the other client's attempt changed nothing.
    refusedWith(await redeem(authReqId), 'authorization_pending');
    await api.app.get(AuditService).flush();
    const audited = await withClient(api.config.databaseUrl, async (db) => {
      const result = await db.query<{ actor_id: string; data: { reason: string } }>(
        `SELECT actor_id, data FROM audit_events WHERE type = 'ciba.token_refused' AND actor_id = $1`,
        [other.clientId],
      );
      return result.rows.map((row) => row.data.reason);
    });
    expect(audited).toEqual(["another client's auth_req_id"]);
  });

  it('redeemed twice: the second redemption is invalid_grant and returns no token', async () => {
    const started = await authorize({ authorization_details: details(20) });
    const first = await redeem(started.body.auth_req_id as string);
    expect(first).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
    const second = await redeem(started.body.auth_req_id as string);
    refusedWith(second, 'invalid_grant');
    expect(second.body.access_token).toBeUndefined();
  });

  it('concurrent redemptions: exactly one gets the token', async () => {
    const started = await authorize({ authorization_details: details(21) });
    const answers = await Promise.all(Array.from({ length: 5 }, () => redeem(started.body.auth_req_id as string)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.error === 'invalid_grant')).toHaveLength(4);
  });

  it('an expired request: expired_token', async () => {
    const started = await authorize({ requested_expiry: '1' });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    refusedWith(await redeem(started.body.auth_req_id as string), 'expired_token');
  });

  it('auth_req_id has at least 128 bits of entropy, is URL-safe, and only its hash is stored', async () => {
    const started = await authorize({});
    const authReqId = started.body.auth_req_id as string;
    expect(authReqId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(authReqId, 'base64url').length).toBeGreaterThanOrEqual(16);
    const rows = await withClient(api.config.databaseUrl, async (db) => {
      const result = await db.query<{ auth_req_hash: string }>(`SELECT auth_req_hash FROM ciba_requests WHERE auth_req_hash = $1`, [
        createHash('sha256').update(authReqId).digest('base64url'),
      ]);
      const plain = await db.query(`SELECT 1 FROM ciba_requests WHERE auth_req_hash = $1`, [authReqId]);
      return { hashed: result.rows.length, plain: plain.rows.length };
    });
    expect(rows).toEqual({ hashed: 1, plain: 0 });
  });

  it('a refusal is in the audit log with its reason, as the agent', async () => {
    await authorize({ binding_message: 'y'.repeat(200) });
    await api.app.get(AuditService).flush();
    const rows = await withClient(api.config.databaseUrl, async (db) => {
      const result = await db.query<{ actor_type: string; data: { code: string; reason: string } }>(
        `SELECT actor_type, data FROM audit_events WHERE type = 'approval.refused' AND data->>'reason' LIKE 'invalid_binding_message:%'`,
      );
      return result.rows;
    });
    // This test's refusal and the earlier binding-message tests' ones: every one as the agent, with the reason.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row).toEqual({
        actor_type: 'agent',
        data: { code: 'invalid_request', reason: expect.stringMatching(/^invalid_binding_message: \/binding_message: /) as string },
      });
    }
  });
});
