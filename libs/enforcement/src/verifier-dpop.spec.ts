import * as oidc from 'openid-client';
import { AUDIENCE, CALL, ISSUER, mintApprovalToken, newSigningKey, sendJson, startJwksServer, startServer } from '../test/fake-countersign';
import { dpopProof, hmacDpopProof, newDpopKey, unsignedDpopProof, type DpopKey } from '../test/dpop-proofs';
import { DpopProofError, type DpopReplayStore } from './dpop';
import { isApprovalTokenError } from './errors';
import { type ApprovalCall, type ApprovalDpopRequest, type ApprovalVerifierOptions, createApprovalVerifier } from './verifier';

// The downstream endpoint the agent calls with the approval token.
const URL_CALLED = 'https://payments.internal/v1/transfers';

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'accepted',
    // The SDK's code, and for a refused proof which check refused it (the DpopProofError cause).
    (err: unknown) =>
      !isApprovalTokenError(err) ? err : err.cause instanceof DpopProofError ? `${err.code}:${err.cause.reason}` : err.code,
  );
}

describe('DPoP-bound approval tokens (RFC 9449 §7)', () => {
  const signingKey = newSigningKey('key-1');
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let clientKey: DpopKey;
  let consumed: string[];

  beforeAll(async () => {
    jwks = await startJwksServer([signingKey]);
    clientKey = await newDpopKey();
  });
  afterAll(async () => {
    await jwks.close();
  });
  beforeEach(() => {
    consumed = [];
  });

  const verifier = (overrides: Partial<ApprovalVerifierOptions> = {}) =>
    createApprovalVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.jwksUri,
      consume: {
        kind: 'custom',
        consume: (jti) => {
          consumed.push(jti);
          return Promise.resolve(true);
        },
      },
      ...overrides,
    });
  const boundToken = (jkt = clientKey.jkt) => mintApprovalToken(signingKey, { claims: { cnf: { jkt } } });
  const withProof = (dpop: ApprovalDpopRequest): ApprovalCall => ({ ...CALL, dpop });

  it('accepts a bound token with a proof by its key over this request and this token, then consumes it', async () => {
    const token = await boundToken();
    const proof = await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token });
    const approval = await verifier().verify(token, withProof({ proof, method: 'POST', url: URL_CALLED }));
    expect(approval.dpopJkt).toBe(clientKey.jkt);
    expect(consumed).toEqual([approval.jti]);
  });

  it('verifies an unbound token as before, with or without a proof', async () => {
    const v = verifier();
    await expect(v.verify(await mintApprovalToken(signingKey), CALL)).resolves.not.toHaveProperty('dpopJkt');
    const proof = await dpopProof(clientKey, { htu: URL_CALLED });
    await expect(
      v.verify(await mintApprovalToken(signingKey), withProof({ proof, method: 'POST', url: URL_CALLED })),
    ).resolves.toBeDefined();
    expect(consumed).toHaveLength(2);
  });

  it('refuses a token whose cnf has no jkt', async () => {
    const token = await mintApprovalToken(signingKey, { claims: { cnf: { x5t: 'abc' } } });
    expect(await outcome(verifier().verify(token, CALL))).toBe('malformed');
  });

  describe('refuses a bound token, without consuming it,', () => {
    const cases: Array<[string, (token: string) => Promise<ApprovalCall>, string]> = [
      ['without call.dpop', () => Promise.resolve(CALL), 'dpop_proof_required'],
      [
        'without a DPoP header',
        () => Promise.resolve(withProof({ proof: undefined, method: 'POST', url: URL_CALLED })),
        'dpop_proof_required:missing',
      ],
      [
        'with two DPoP headers',
        async (token) => {
          const proof = await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token });
          return withProof({ proof: [proof, proof], method: 'POST', url: URL_CALLED });
        },
        'dpop_proof_invalid:multiple',
      ],
      [
        'with typ JWT',
        async (token) =>
          withProof({
            proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token, header: { typ: 'JWT' } }),
            method: 'POST',
            url: URL_CALLED,
          }),
        'dpop_proof_invalid:wrong_type',
      ],
      [
        'with alg none',
        () => Promise.resolve(withProof({ proof: unsignedDpopProof(clientKey, URL_CALLED), method: 'POST', url: URL_CALLED })),
        'dpop_proof_invalid:algorithm_not_allowed',
      ],
      [
        'with alg HS256',
        async () => withProof({ proof: await hmacDpopProof(clientKey, URL_CALLED), method: 'POST', url: URL_CALLED }),
        'dpop_proof_invalid:algorithm_not_allowed',
      ],
      [
        'with a private jwk',
        async (token) => {
          const { exportJWK } = await import('jose');
          const jwk = await exportJWK(clientKey.privateKey);
          return withProof({
            proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token, header: { jwk } }),
            method: 'POST',
            url: URL_CALLED,
          });
        },
        'dpop_proof_invalid:private_key',
      ],
      [
        'with a signature by another key than its jwk',
        async (token) => {
          const other = await newDpopKey();
          const header = { jwk: clientKey.publicJwk };
          return withProof({
            proof: await dpopProof(other, { htu: URL_CALLED, accessToken: token, header }),
            method: 'POST',
            url: URL_CALLED,
          });
        },
        'dpop_proof_invalid:bad_signature',
      ],
      [
        'with a proof for another method',
        async (token) =>
          withProof({
            proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token, htm: 'GET' }),
            method: 'POST',
            url: URL_CALLED,
          }),
        'dpop_proof_invalid:method_mismatch',
      ],
      [
        'with a proof for another URL',
        async (token) =>
          withProof({
            proof: await dpopProof(clientKey, { htu: 'https://payments.internal/v1/refunds', accessToken: token }),
            method: 'POST',
            url: URL_CALLED,
          }),
        'dpop_proof_invalid:url_mismatch',
      ],
      [
        'with a stale proof',
        async (token) => {
          const iat = Math.floor(Date.now() / 1000) - 120;
          return withProof({
            proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token, iat }),
            method: 'POST',
            url: URL_CALLED,
          });
        },
        'dpop_proof_invalid:stale',
      ],
      [
        'with a proof from the future',
        async (token) => {
          const iat = Math.floor(Date.now() / 1000) + 120;
          return withProof({
            proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token, iat }),
            method: 'POST',
            url: URL_CALLED,
          });
        },
        'dpop_proof_invalid:stale',
      ],
      [
        'with a proof whose ath is for another token',
        async () =>
          withProof({ proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: 'another' }), method: 'POST', url: URL_CALLED }),
        'dpop_proof_invalid:ath_mismatch',
      ],
      [
        'with a proof by another key',
        async (token) =>
          withProof({
            proof: await dpopProof(await newDpopKey(), { htu: URL_CALLED, accessToken: token }),
            method: 'POST',
            url: URL_CALLED,
          }),
        'dpop_key_mismatch:key_mismatch',
      ],
    ];
    it.each(cases)('%s', async (_name, call, code) => {
      const token = await boundToken();
      expect(await outcome(verifier().verify(token, await call(token)))).toBe(code);
      expect(consumed).toEqual([]);
    });
  });

  it('throws a TypeError, and consumes nothing, when the service passes a relative URL', async () => {
    const token = await boundToken();
    const proof = await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token });
    await expect(verifier().verify(token, withProof({ proof, method: 'POST', url: '/v1/transfers' }))).rejects.toThrow(TypeError);
    expect(consumed).toEqual([]);
  });

  it('refuses a replayed proof (jti already seen by the replay store)', async () => {
    const v = verifier({ consume: { kind: 'custom', consume: () => Promise.resolve(true) } });
    const token = await boundToken();
    const call = withProof({ proof: await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token }), method: 'POST', url: URL_CALLED });
    expect(await outcome(v.verify(token, call))).toBe('accepted');
    expect(await outcome(v.verify(token, call))).toBe('dpop_proof_replayed:replayed');
  });

  it('uses the configured replay store and reports its outage as an outage', async () => {
    const keys: string[] = [];
    const store: DpopReplayStore = {
      remember: (key) => {
        keys.push(key);
        return keys.length === 1 ? Promise.resolve(true) : Promise.reject(new Error('redis down'));
      },
    };
    const v = verifier({ dpop: { replayStore: store } });
    for (const expected of ['accepted', 'dpop_replay_store_failed:replay_store_failed']) {
      const token = await boundToken();
      const proof = await dpopProof(clientKey, { htu: URL_CALLED, accessToken: token });
      expect(await outcome(v.verify(token, withProof({ proof, method: 'POST', url: URL_CALLED })))).toBe(expected);
    }
    expect(keys[0]).toMatch(new RegExp(`^${clientKey.jkt}:`));
  });

  describe('with proofs made by openid-client (a client no one here wrote)', () => {
    // A downstream service: verifies the DPoP-bound approval token of each request with the SDK.
    async function startDownstream(v: ReturnType<typeof verifier>) {
      const server = await startServer((request, _body, response) => {
        const token = (request.headers.authorization ?? '').replace(/^DPoP /, '');
        const call = withProof({ proof: request.headers.dpop, method: request.method ?? '', url: `${server.url}${request.url}` });
        v.verify(token, call).then(
          (approval) => sendJson(response, 200, { jkt: approval.dpopJkt }),
          (err: unknown) => sendJson(response, 403, { code: isApprovalTokenError(err) ? err.code : String(err) }),
        );
      });
      return server;
    }

    async function callWithOpenidClient(
      url: string,
      token: string,
      keyPair: oidc.CryptoKeyPair,
    ): Promise<{ status: number; body: unknown }> {
      const config = new oidc.Configuration({ issuer: ISSUER }, 'agent-payments-bot');
      oidc.allowInsecureRequests(config); // the downstream listens on 127.0.0.1 without TLS
      const DPoP = oidc.getDPoPHandle(config, keyPair);
      const response = await oidc.fetchProtectedResource(config, token, new URL(`${url}/v1/transfers?dry=1`), 'POST', '{}', undefined, {
        DPoP,
      });
      return { status: response.status, body: await response.json() };
    }

    it('accepts its proof for a token bound to its key, and refuses a token bound to another key', async () => {
      const downstream = await startDownstream(verifier());
      try {
        const keyPair = await oidc.randomDPoPKeyPair('ES256');
        const jkt = await oidc.getDPoPHandle(new oidc.Configuration({ issuer: ISSUER }, 'x'), keyPair).calculateThumbprint();
        expect(await callWithOpenidClient(downstream.url, await boundToken(jkt), keyPair)).toEqual({ status: 200, body: { jkt } });
        expect(await callWithOpenidClient(downstream.url, await boundToken(clientKey.jkt), keyPair)).toEqual({
          status: 403,
          body: { code: 'dpop_key_mismatch' },
        });
        expect(consumed).toHaveLength(1);
      } finally {
        await downstream.close();
      }
    });
  });
});
