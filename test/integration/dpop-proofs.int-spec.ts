import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { RedisService } from '@countersign/queue';
import { testConfig } from '@countersign/testing';
import { type DpopProofInput, DpopProofService } from '@countersign/tokens';
import { dpopProof, type DpopKey, hmacDpopProof, newDpopKey, unsignedDpopProof } from '../../libs/enforcement/test/dpop-proofs';

// The command connection fails fast while it is not up (fail closed); these tests want it up.
async function connected(redis: RedisService): Promise<void> {
  if (redis.client.status !== 'ready') await new Promise((resolve) => redis.client.once('ready', resolve));
}

/** The server's DPoP proof check at its token endpoint, with the replay store in the deployment's real Redis. */
describe('DpopProofService (RFC 9449 at the token endpoint, real Redis)', () => {
  let config: CountersignConfig;
  let redis: RedisService;
  let service: DpopProofService;
  let key: DpopKey;
  let tokenEndpoint: string;

  beforeAll(async () => {
    config = testConfig();
    redis = new RedisService(config);
    service = new DpopProofService(config, redis);
    key = await newDpopKey();
    await connected(redis);
    tokenEndpoint = `${config.publicUrl}/oauth/token`;
  });
  afterAll(() => redis.onApplicationShutdown());

  async function reason(input: DpopProofInput, verifier = service): Promise<unknown> {
    return verifier.verify(input).then(
      () => 'accepted',
      (error: unknown) => (error instanceof DomainError ? `${error.code}:${String(error.details?.reason)}` : error),
    );
  }

  it('returns the key thumbprint and remembers the jti under the deployment prefix until the proof leaves the window', async () => {
    const proof = await dpopProof(key, { htu: tokenEndpoint, jti: 'jti-remembered' });
    await expect(service.verify({ proof, method: 'POST', url: tokenEndpoint })).resolves.toBe(key.jkt);
    const stored = `${config.redisPrefix}:dpop:jti:${key.jkt}:jti-remembered`;
    expect(await redis.client.get(stored)).toBe('1');
    const ttl = await redis.client.pttl(stored);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
  });

  it('refuses a replayed proof, also at another API instance of the deployment', async () => {
    const otherRedis = new RedisService(config);
    try {
      await connected(otherRedis);
      const otherInstance = new DpopProofService(config, otherRedis);
      const proof = await dpopProof(key, { htu: tokenEndpoint });
      expect(await reason({ proof, method: 'POST', url: tokenEndpoint })).toBe('accepted');
      expect(await reason({ proof, method: 'POST', url: tokenEndpoint }, otherInstance)).toBe('invalid_dpop_proof:replayed');
      expect(await reason({ proof, method: 'POST', url: tokenEndpoint })).toBe('invalid_dpop_proof:replayed');
    } finally {
      otherRedis.onApplicationShutdown();
    }
  });

  it('does not see the proofs of another deployment (its own key prefix)', async () => {
    const otherConfig = testConfig();
    const otherRedis = new RedisService(otherConfig);
    try {
      await connected(otherRedis);
      const proof = await dpopProof(key, { htu: tokenEndpoint });
      expect(await reason({ proof, method: 'POST', url: tokenEndpoint })).toBe('accepted');
      const otherDeployment = new DpopProofService({ ...otherConfig, publicUrl: config.publicUrl }, otherRedis);
      expect(await reason({ proof, method: 'POST', url: tokenEndpoint }, otherDeployment)).toBe('accepted');
    } finally {
      otherRedis.onApplicationShutdown();
    }
  });

  it('uses DPOP_PROOF_WINDOW_SECONDS', async () => {
    const narrow = new DpopProofService(testConfig({ DPOP_PROOF_WINDOW_SECONDS: '5' }), redis);
    const proof = await dpopProof(key, { htu: tokenEndpoint, iat: Math.floor(Date.now() / 1000) - 10 });
    expect(await reason({ proof, method: 'POST', url: tokenEndpoint }, narrow)).toBe('invalid_dpop_proof:stale');
    expect(await reason({ proof, method: 'POST', url: tokenEndpoint })).toBe('accepted');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const refusals: Array<[string, () => Promise<DpopProofInput>, string]> = [
    ['no DPoP header', () => Promise.resolve({ proof: undefined, method: 'POST', url: tokenEndpoint }), 'missing'],
    [
      'two DPoP headers',
      async () => ({
        proof: [await dpopProof(key, { htu: tokenEndpoint }), await dpopProof(key, { htu: tokenEndpoint })],
        method: 'POST',
        url: tokenEndpoint,
      }),
      'multiple',
    ],
    [
      'typ JWT',
      async () => ({ proof: await dpopProof(key, { htu: tokenEndpoint, header: { typ: 'JWT' } }), method: 'POST', url: tokenEndpoint }),
      'wrong_type',
    ],
    [
      'alg none',
      () => Promise.resolve({ proof: unsignedDpopProof(key, tokenEndpoint), method: 'POST', url: tokenEndpoint }),
      'algorithm_not_allowed',
    ],
    [
      'alg HS256',
      async () => ({ proof: await hmacDpopProof(key, tokenEndpoint), method: 'POST', url: tokenEndpoint }),
      'algorithm_not_allowed',
    ],
    [
      'a private jwk',
      async () => {
        const jwk = await exportJWK(key.privateKey);
        return { proof: await dpopProof(key, { htu: tokenEndpoint, header: { jwk } }), method: 'POST', url: tokenEndpoint };
      },
      'private_key',
    ],
    [
      'a bad signature',
      async () => ({
        proof: await dpopProof(await newDpopKey(), { htu: tokenEndpoint, header: { jwk: key.publicJwk } }),
        method: 'POST',
        url: tokenEndpoint,
      }),
      'bad_signature',
    ],
    [
      'another method',
      async () => ({ proof: await dpopProof(key, { htu: tokenEndpoint, htm: 'GET' }), method: 'POST', url: tokenEndpoint }),
      'method_mismatch',
    ],
    [
      'another URL',
      async () => ({ proof: await dpopProof(key, { htu: `${config.publicUrl}/bc-authorize` }), method: 'POST', url: tokenEndpoint }),
      'url_mismatch',
    ],
    [
      'a stale iat',
      async () => ({ proof: await dpopProof(key, { htu: tokenEndpoint, iat: now() - 61 }), method: 'POST', url: tokenEndpoint }),
      'stale',
    ],
    [
      'a future iat',
      async () => ({ proof: await dpopProof(key, { htu: tokenEndpoint, iat: now() + 61 }), method: 'POST', url: tokenEndpoint }),
      'stale',
    ],
    [
      'an ath for another token (at a resource endpoint)',
      async () => ({
        proof: await dpopProof(key, { htu: tokenEndpoint, accessToken: 'another' }),
        method: 'POST',
        url: tokenEndpoint,
        accessToken: 'the-token',
      }),
      'ath_mismatch',
    ],
    [
      'a key other than the bound one',
      async () => ({
        proof: await dpopProof(await newDpopKey(), { htu: tokenEndpoint }),
        method: 'POST',
        url: tokenEndpoint,
        expectedJkt: key.jkt,
      }),
      'key_mismatch',
    ],
  ];
  it.each(refusals)('refuses %s with invalid_dpop_proof naming the check', async (_name, input, expected) => {
    expect(await reason(await input())).toBe(`invalid_dpop_proof:${expected}`);
  });

  it('refuses every proof once the Redis connection is lost (the replay check is never skipped)', async () => {
    const lostRedis = new RedisService(config);
    await connected(lostRedis);
    const verifier = new DpopProofService(config, lostRedis);
    await lostRedis.client.quit();
    const proof = await dpopProof(key, { htu: tokenEndpoint });
    expect(await reason({ proof, method: 'POST', url: tokenEndpoint }, verifier)).toBe('invalid_dpop_proof:replay_store_failed');
    lostRedis.onApplicationShutdown();
  });

  it('accepts the proof openid-client sends with a CIBA token request, and refuses that proof replayed', async () => {
    // A token endpoint on 127.0.0.1 that checks the DPoP header of each request with the service, as the CIBA grant does.
    const seen: string[] = [];
    const proofs: Array<string | string[] | undefined> = [];
    const endpoint = createServer((request, response) => {
      request.resume();
      proofs.push(request.headers.dpop);
      const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}${request.url}`;
      service.verify({ proof: request.headers.dpop, method: request.method ?? '', url }).then(
        (jkt) => {
          seen.push(jkt);
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: 'approval-token', token_type: 'DPoP', expires_in: 60 }));
        },
        (error: DomainError) => {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: error.code, error_description: error.message }));
        },
      );
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const tokenUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/oauth/token?client=1`;
      const client = new oidc.Configuration({ issuer: config.publicUrl, token_endpoint: tokenUrl }, 'agent-1', 'secret-1');
      oidc.allowInsecureRequests(client);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const DPoP = oidc.getDPoPHandle(client, keyPair);
      const tokens = await oidc.genericGrantRequest(client, 'urn:openid:params:grant-type:ciba', { auth_req_id: 'abc' }, { DPoP });
      expect(tokens.access_token).toBe('approval-token');
      expect(seen).toEqual([await DPoP.calculateThumbprint()]);

      const replayed = await fetch(tokenUrl, { method: 'POST', headers: { dpop: String(proofs[0]) } });
      expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used' });
    } finally {
      endpoint.closeAllConnections();
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });

  it('a refused proof leaves nothing in Redis', async () => {
    const proof = await dpopProof(key, { htu: tokenEndpoint, htm: 'GET', jti: 'jti-refused' });
    expect(await reason({ proof, method: 'POST', url: tokenEndpoint })).toBe('invalid_dpop_proof:method_mismatch');
    expect(await redis.client.exists(`${config.redisPrefix}:dpop:jti:${key.jkt}:jti-refused`)).toBe(0);
  });
});
