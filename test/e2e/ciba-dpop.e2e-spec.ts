import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as openid from 'openid-client';
import { createApprovalVerifier } from '@countersign/enforcement';
import { newAgent, newPerson, newResourceServer, type RunningApi, startApi, testConfig } from '@countersign/testing';
import { dpopProof, type DpopKey, newDpopKey } from '../../libs/enforcement/test/dpop-proofs';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** RFC 9449 on the CIBA grant: openid-client proves its key when it redeems, and gets the approval token bound to it. */
describe('OpenID CIBA with DPoP', () => {
  let api: RunningApi;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let email: string;
  let client: openid.Configuration;

  beforeAll(async () => {
    api = await startApi(testConfig({ CIBA_POLL_INTERVAL_SECONDS: '1' }));
    agent = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.refund'] },
    });
    server = await newResourceServer(api.app);
    email = (await newPerson(api.app, { permissions: ['payments.*'] })).email;
    client = await openid.discovery(new URL(api.url), agent.clientId, agent.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
  });
  afterAll(() => api.close());

  const URL_CALLED = 'https://payments.example/v1/refunds';
  const refundCall = (amount: number) => ({ type: 'payments.refund', resource: 'order:5', args: { amount }, agent: agent.clientId });
  /** Low tier: approved at once, so each test redeems straight away. */
  const ask = (amount: number) =>
    openid.initiateBackchannelAuthentication(client, {
      login_hint: email,
      authorization_details: JSON.stringify([{ type: 'payments.refund', identifier: 'order:5', locations: [server.audience], amount }]),
    });
  const verifier = () =>
    createApprovalVerifier({
      issuer: api.config.publicUrl,
      audience: server.audience,
      jwksUri: `${api.url}/.well-known/jwks.json`,
      consume: {
        kind: 'online',
        url: `${api.url}/v1/approval-tokens/consume`,
        clientId: server.clientId,
        clientSecret: server.clientSecret,
      },
      dpop: {},
    });
  /** A key the test can sign proofs with as well as openid-client. */
  const clientKey = async (): Promise<{ pair: Awaited<ReturnType<typeof generateKeyPair>>; key: DpopKey }> => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    return { pair, key: { alg: 'ES256', privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') } };
  };
  const redeem = (authReqId: string, dpop?: string) =>
    fetch(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64'),
        ...(dpop ? { dpop } : {}),
      },
      body: new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: authReqId }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

  it('a bound token (token_type DPoP, cnf.jkt) that the verifier SDK accepts only with a proof by that key', async () => {
    const { pair, key } = await clientKey();
    const started = await ask(20);
    const tokens = await openid.pollBackchannelAuthenticationGrant(client, started, undefined, {
      DPoP: openid.getDPoPHandle(client, pair),
    });
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });

    const sdk = verifier();
    await expect(sdk.verify(tokens.access_token, refundCall(20))).rejects.toMatchObject({ code: 'dpop_proof_required' });
    const otherProof = await dpopProof(await newDpopKey(), { htu: URL_CALLED, accessToken: tokens.access_token });
    await expect(
      sdk.verify(tokens.access_token, { ...refundCall(20), dpop: { proof: otherProof, method: 'POST', url: URL_CALLED } }),
    ).rejects.toMatchObject({ code: 'dpop_key_mismatch' });
    const proof = await dpopProof(key, { htu: URL_CALLED, accessToken: tokens.access_token });
    const verified = await sdk.verify(tokens.access_token, { ...refundCall(20), dpop: { proof, method: 'POST', url: URL_CALLED } });
    expect(verified.dpopJkt).toBe(key.jkt);
  });

  it('a bad proof at the token endpoint is invalid_dpop_proof and does not use up the redemption', async () => {
    const { key } = await clientKey();
    const started = await ask(21);
    const tokenEndpoint = `${api.url}/oauth/token`;
    const wrongUrl = await redeem(started.auth_req_id, await dpopProof(key, { htu: `${api.url}/elsewhere` }));
    expect(wrongUrl).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    const stale = await redeem(started.auth_req_id, await dpopProof(key, { htu: tokenEndpoint, iat: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });

    const proof = await dpopProof(key, { htu: tokenEndpoint });
    const redeemed = await redeem(started.auth_req_id, proof);
    expect(redeemed).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect(decodeJwt(redeemed.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    // The same proof again is a replay; a fresh one finds the request redeemed.
    expect(await redeem(started.auth_req_id, proof)).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    expect(await redeem(started.auth_req_id, await dpopProof(key, { htu: tokenEndpoint }))).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('discovery advertises the DPoP algorithms', () => {
    expect(client.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
  });
});
