import { createHmac, createPublicKey } from 'node:crypto';
import { createApprovalVerifier, isApprovalTokenError } from '@countersign/enforcement';
import {
  agentAccessToken,
  call,
  newAgent,
  newPerson,
  newResourceServer,
  type RunningApi,
  startApi,
  onlineVerifier,
} from '@countersign/testing';
import { type PersonRecord } from '@countersign/people';

const PAYMENTS = 'https://payments.internal';

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

describe('the whole loop for an auto-approved action', () => {
  let api: RunningApi;
  let person: PersonRecord;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let token: string;

  beforeAll(async () => {
    api = await startApi();
    person = await newPerson(api.app, { permissions: ['payments.*', 'email.*'] });
    agent = await newAgent(api.app, { capabilities: ['payments.*', 'email.*'] });
    server = await newResourceServer(api.app, PAYMENTS).catch(async () => newResourceServer(api.app, `${PAYMENTS}/${Date.now()}`));
    token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  });
  afterAll(() => api.close());

  const refund = (amount: number) => ({
    action: { type: 'payments.refund', resource: 'order:1001', args: { amount, currency: 'EUR', card_number: '4111111111111111' } },
    on_behalf_of: person.email,
    audience: server.audience,
  });
  const verifier = () => onlineVerifier(api, server);

  it('returns a token the verifier SDK accepts once, bound to exactly this action', async () => {
    const created = await call<{
      status: string;
      approval_token: string;
      classification: { tier: string };
      action: { args: Record<string, unknown> };
      action_digest: string;
    }>(`${api.url}/v1/approvals`, { token, body: refund(20) });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('approved');
    expect(created.body.classification.tier).toBe('low');
    // Sensitive args are redacted in what Countersign stores and returns; the digest still covers the real call.
    expect(created.body.action.args.card_number).toBe('[REDACTED]');
    const approvalToken = created.body.approval_token;
    expect(typeof approvalToken).toBe('string');

    const realCall = {
      type: 'payments.refund',
      resource: 'order:1001',
      args: { amount: 20, currency: 'EUR', card_number: '4111111111111111' },
      agent: agent.clientId,
    };
    const sdk = verifier();
    await expect(sdk.verify(approvalToken, { ...realCall, args: { ...realCall.args, amount: 2000 } })).rejects.toMatchObject({
      code: 'action_mismatch',
    });
    await expect(sdk.verify(approvalToken, { ...realCall, resource: 'order:9999' })).rejects.toMatchObject({ code: 'action_mismatch' });
    await expect(sdk.verify(approvalToken, { ...realCall, agent: 'agt_someone_else' })).rejects.toMatchObject({ code: 'actor_mismatch' });
    const verified = await sdk.verify(approvalToken, realCall);
    expect(verified.subject).toBe(person.id);
    expect(verified.actor).toBe(agent.clientId);
    expect(verified.risk.tier).toBe('low');

    // Second consume: refused, by the SDK and by the endpoint.
    await expect(sdk.verify(approvalToken, realCall)).rejects.toMatchObject({ code: 'already_consumed' });
    const again = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: approvalToken },
      headers: { authorization: 'Basic ' + b64url(`${server.clientId}:${server.clientSecret}`).replace(/-/g, '+').replace(/_/g, '/') },
    });
    expect(again.body).toEqual({ active: false });
  });

  it('refuses the token at a service with another audience', async () => {
    const created = await call<{ approval_token: string }>(`${api.url}/v1/approvals`, { token, body: refund(21) });
    const other = await newResourceServer(api.app);
    const sdk = createApprovalVerifier({
      issuer: api.config.publicUrl,
      audience: other.audience,
      jwksUri: `${api.url}/.well-known/jwks.json`,
      consume: { kind: 'online', url: `${api.url}/v1/approval-tokens/consume`, clientId: other.clientId, clientSecret: other.clientSecret },
    });
    await expect(
      sdk.verify(created.body.approval_token, { type: 'payments.refund', resource: 'order:1001', args: refund(21).action.args }),
    ).rejects.toMatchObject({ code: 'wrong_audience' });
    // The endpoint agrees: a foreign audience is inactive, and that did not burn the token for its real audience.
    const foreign = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: created.body.approval_token },
      headers: { authorization: 'Basic ' + Buffer.from(`${other.clientId}:${other.clientSecret}`).toString('base64') },
    });
    expect(foreign.body).toEqual({ active: false });
    await expect(
      verifier().verify(created.body.approval_token, { type: 'payments.refund', resource: 'order:1001', args: refund(21).action.args }),
    ).resolves.toMatchObject({ audience: server.audience });
  });

  it('refuses alg none and an HS256 token signed with the public key', async () => {
    const created = await call<{ approval_token: string }>(`${api.url}/v1/approvals`, { token, body: refund(22) });
    const [header, payload] = created.body.approval_token.split('.') as [string, string];
    const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const none = `${b64url(JSON.stringify({ alg: 'none', typ: 'approval+jwt', kid: parsedHeader.kid }))}.${payload}.`;
    const args = refund(22).action.args;
    await expect(verifier().verify(none, { type: 'payments.refund', resource: 'order:1001', args })).rejects.toMatchObject({
      code: 'algorithm_not_allowed',
    });

    const jwks = await call<{ keys: Array<Record<string, string>> }>(`${api.url}/.well-known/jwks.json`);
    const publicPem = createPublicKey({ key: jwks.body.keys[0], format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const hsHeader = b64url(JSON.stringify({ alg: 'HS256', typ: 'approval+jwt', kid: parsedHeader.kid }));
    const forged = `${hsHeader}.${payload}.${createHmac('sha256', publicPem).update(`${hsHeader}.${payload}`).digest('base64url')}`;
    await expect(verifier().verify(forged, { type: 'payments.refund', resource: 'order:1001', args })).rejects.toMatchObject({
      code: 'algorithm_not_allowed',
    });
    // Countersign's own consume endpoint refuses both as well.
    const basic = 'Basic ' + Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64');
    for (const bad of [none, forged, 'garbage', created.body.approval_token.slice(0, -4) + 'AAAA']) {
      const consumed = await call(`${api.url}/v1/approval-tokens/consume`, { body: { token: bad }, headers: { authorization: basic } });
      expect(consumed.body).toEqual({ active: false });
    }
    // ...and the untouched token still works afterwards.
    await expect(
      verifier().verify(created.body.approval_token, { type: 'payments.refund', resource: 'order:1001', args }),
    ).resolves.toBeDefined();
  });

  it('refuses an access token where an approval token is expected', async () => {
    const sdk = verifier();
    const failure = await sdk.verify(token, { type: 'payments.refund', resource: 'order:1001', args: {} }).catch((error: unknown) => error);
    expect(isApprovalTokenError(failure)).toBe(true);
    expect((failure as { code: string }).code).toBe('wrong_type');
  });

  it('keeps a high-tier action pending, with no token', async () => {
    const created = await call<{
      status: string;
      classification: { tier: string };
      approval_token?: string;
      requirement: { step_up: string };
    }>(`${api.url}/v1/approvals`, { token, body: refund(500) });
    expect(created.status).toBe(201);
    expect(created.body.classification.tier).toBe('high');
    expect(created.body.status).toBe('pending');
    expect(created.body.requirement.step_up).toBe('passkey');
    expect(created.body.approval_token).toBeUndefined();
  });

  it('needs resource-server credentials to consume', async () => {
    const anonymous = await call(`${api.url}/v1/approval-tokens/consume`, { body: { token: 'x' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="countersign"');
    const asAgent = await call(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: 'x' },
      headers: { authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64') },
    });
    expect(asAgent.status).toBe(401);
  });
});
