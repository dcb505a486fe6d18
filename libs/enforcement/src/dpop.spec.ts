import { dpopProof, hmacDpopProof, newDpopKey, unsignedDpopProof, type DpopKey } from '../test/dpop-proofs';
import {
  createMemoryDpopReplayStore,
  type DpopFailure,
  DpopProofError,
  type DpopProofRequest,
  type DpopReplayStore,
  dpopAccessTokenHash,
  verifyDpopProof,
} from './dpop';

const HTU = 'https://payments.internal/v1/transfers';

async function refusal(request: DpopProofRequest, replayStore: DpopReplayStore = createMemoryDpopReplayStore()): Promise<unknown> {
  return verifyDpopProof(request, { replayStore }).then(
    () => 'accepted',
    (err: unknown) => (err instanceof DpopProofError ? err.reason : err),
  );
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  let key: DpopKey;
  beforeAll(async () => {
    key = await newDpopKey();
  });

  it('accepts a fresh proof over this method and URL and returns the key thumbprint (RFC 7638)', async () => {
    const proof = await dpopProof(key, { htu: HTU });
    const verified = await verifyDpopProof({ proof, method: 'POST', url: HTU }, { replayStore: createMemoryDpopReplayStore() });
    expect(verified.jkt).toBe(key.jkt);
    expect(verified.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['EdDSA', 'ES384', 'PS256', 'RS256'])('accepts %s proofs', async (alg) => {
    const other = await newDpopKey(alg);
    const proof = await dpopProof(other, { htu: HTU, header: { alg } });
    await expect(
      verifyDpopProof({ proof, method: 'POST', url: HTU }, { replayStore: createMemoryDpopReplayStore() }),
    ).resolves.toMatchObject({ jkt: other.jkt });
  });

  it('ignores the query and fragment on both sides, and normalises scheme and host case and the default port', async () => {
    const proof = await dpopProof(key, { htu: 'HTTPS://Payments.Internal:443/v1/transfers?dry=1' });
    expect(await refusal({ proof, method: 'POST', url: `${HTU}?dry=0#x` })).toBe('accepted');
  });

  it('accepts the header as a one-element array (Node headersDistinct)', async () => {
    expect(await refusal({ proof: [await dpopProof(key, { htu: HTU })], method: 'POST', url: HTU })).toBe('accepted');
  });

  describe('refuses', () => {
    const cases: Array<[string, () => Promise<DpopProofRequest>, DpopFailure]> = [
      ['a request without a DPoP header', () => Promise.resolve({ proof: undefined, method: 'POST', url: HTU }), 'missing'],
      ['an empty DPoP header', () => Promise.resolve({ proof: '', method: 'POST', url: HTU }), 'missing'],
      [
        'two DPoP headers',
        async () => ({ proof: [await dpopProof(key, { htu: HTU }), await dpopProof(key, { htu: HTU })], method: 'POST', url: HTU }),
        'multiple',
      ],
      [
        'two DPoP headers joined by Node',
        async () => ({ proof: `${await dpopProof(key, { htu: HTU })}, ${await dpopProof(key, { htu: HTU })}`, method: 'POST', url: HTU }),
        'multiple',
      ],
      ['a header that is not a JWS', () => Promise.resolve({ proof: 'not-a-jws', method: 'POST', url: HTU }), 'malformed'],
      [
        'typ JWT',
        async () => ({ proof: await dpopProof(key, { htu: HTU, header: { typ: 'JWT' } }), method: 'POST', url: HTU }),
        'wrong_type',
      ],
      [
        'an access token type',
        async () => ({ proof: await dpopProof(key, { htu: HTU, header: { typ: 'at+jwt' } }), method: 'POST', url: HTU }),
        'wrong_type',
      ],
      ['alg none', () => Promise.resolve({ proof: unsignedDpopProof(key, HTU), method: 'POST', url: HTU }), 'algorithm_not_allowed'],
      ['alg HS256', async () => ({ proof: await hmacDpopProof(key, HTU), method: 'POST', url: HTU }), 'algorithm_not_allowed'],
      [
        'a jwk holding the private key (d)',
        async () => {
          const { exportJWK } = await import('jose');
          const privateJwk = await exportJWK(key.privateKey);
          return { proof: await dpopProof(key, { htu: HTU, header: { jwk: privateJwk } }), method: 'POST', url: HTU };
        },
        'private_key',
      ],
      [
        'a symmetric jwk (k)',
        async () => ({
          proof: await dpopProof(key, { htu: HTU, header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }),
          method: 'POST',
          url: HTU,
        }),
        'private_key',
      ],
      [
        'a proof without a jwk',
        async () => ({ proof: await dpopProof(key, { htu: HTU, header: { jwk: undefined } }), method: 'POST', url: HTU }),
        'malformed',
      ],
      [
        'a signature by another key than the jwk',
        async () => {
          const other = await newDpopKey();
          return { proof: await dpopProof(other, { htu: HTU, header: { jwk: key.publicJwk } }), method: 'POST', url: HTU };
        },
        'bad_signature',
      ],
      [
        'another method',
        async () => ({ proof: await dpopProof(key, { htu: HTU, htm: 'GET' }), method: 'POST', url: HTU }),
        'method_mismatch',
      ],
      [
        'a lower-case method',
        async () => ({ proof: await dpopProof(key, { htu: HTU, htm: 'post' }), method: 'POST', url: HTU }),
        'method_mismatch',
      ],
      [
        'another path',
        async () => ({ proof: await dpopProof(key, { htu: 'https://payments.internal/v1/refunds' }), method: 'POST', url: HTU }),
        'url_mismatch',
      ],
      [
        'another origin',
        async () => ({ proof: await dpopProof(key, { htu: 'https://evil.example/v1/transfers' }), method: 'POST', url: HTU }),
        'url_mismatch',
      ],
      [
        'an htu that is not a URL',
        async () => ({ proof: await dpopProof(key, { htu: '/v1/transfers' }), method: 'POST', url: HTU }),
        'url_mismatch',
      ],
      [
        'an iat 61 s old',
        async () => ({ proof: await dpopProof(key, { htu: HTU, iat: Math.floor(Date.now() / 1000) - 61 }), method: 'POST', url: HTU }),
        'stale',
      ],
      [
        'an iat 61 s ahead',
        async () => ({ proof: await dpopProof(key, { htu: HTU, iat: Math.ceil(Date.now() / 1000) + 61 }), method: 'POST', url: HTU }),
        'stale',
      ],
      [
        'a proof without iat',
        async () => ({ proof: await dpopProof(key, { htu: HTU, claims: { iat: undefined } }), method: 'POST', url: HTU }),
        'malformed',
      ],
      [
        'a proof without jti',
        async () => ({ proof: await dpopProof(key, { htu: HTU, claims: { jti: undefined } }), method: 'POST', url: HTU }),
        'malformed',
      ],
      [
        'an ath over another token',
        async () => ({
          proof: await dpopProof(key, { htu: HTU, accessToken: 'other-token' }),
          method: 'POST',
          url: HTU,
          accessToken: 'the-token',
        }),
        'ath_mismatch',
      ],
      [
        'a missing ath when a token is presented',
        async () => ({ proof: await dpopProof(key, { htu: HTU }), method: 'POST', url: HTU, accessToken: 'the-token' }),
        'ath_mismatch',
      ],
      [
        'a key other than the one the token is bound to',
        async () => ({ proof: await dpopProof(await newDpopKey(), { htu: HTU }), method: 'POST', url: HTU, expectedJkt: key.jkt }),
        'key_mismatch',
      ],
    ];
    it.each(cases)('%s', async (_name, request, reason) => {
      expect(await refusal(await request())).toBe(reason);
    });

    it('a replayed proof, and only the second time', async () => {
      const replayStore = createMemoryDpopReplayStore();
      const proof = await dpopProof(key, { htu: HTU });
      expect(await refusal({ proof, method: 'POST', url: HTU }, replayStore)).toBe('accepted');
      expect(await refusal({ proof, method: 'POST', url: HTU }, replayStore)).toBe('replayed');
    });

    it('a fresh proof reusing a jti of the same key', async () => {
      const replayStore = createMemoryDpopReplayStore();
      const first = await dpopProof(key, { htu: HTU, jti: 'same' });
      const second = await dpopProof(key, { htu: `${HTU}?again`, jti: 'same' });
      expect(await refusal({ proof: first, method: 'POST', url: HTU }, replayStore)).toBe('accepted');
      expect(await refusal({ proof: second, method: 'POST', url: HTU }, replayStore)).toBe('replayed');
    });

    it('when the replay store fails (fails closed)', async () => {
      const broken: DpopReplayStore = { remember: () => Promise.reject(new Error('down')) };
      expect(await refusal({ proof: await dpopProof(key, { htu: HTU }), method: 'POST', url: HTU }, broken)).toBe('replay_store_failed');
    });
  });

  it('a refused proof does not burn its jti: the same jti passes once the request matches', async () => {
    const replayStore = createMemoryDpopReplayStore();
    const proof = await dpopProof(key, { htu: HTU, accessToken: 'the-token' });
    expect(await refusal({ proof, method: 'POST', url: HTU, accessToken: 'another' }, replayStore)).toBe('ath_mismatch');
    expect(await refusal({ proof, method: 'POST', url: HTU, accessToken: 'the-token' }, replayStore)).toBe('accepted');
  });

  it('accepts a configured window and refuses an algorithm left out of the allow-list', async () => {
    const old = await dpopProof(key, { htu: HTU, iat: Math.floor(Date.now() / 1000) - 100 });
    await expect(
      verifyDpopProof({ proof: old, method: 'POST', url: HTU }, { replayStore: createMemoryDpopReplayStore(), iatWindowSeconds: 120 }),
    ).resolves.toBeDefined();
    const fresh = await dpopProof(key, { htu: HTU });
    await expect(
      verifyDpopProof({ proof: fresh, method: 'POST', url: HTU }, { replayStore: createMemoryDpopReplayStore(), algorithms: ['EdDSA'] }),
    ).rejects.toMatchObject({ reason: 'algorithm_not_allowed' });
  });

  it('ath is base64url SHA-256 of the ASCII token (RFC 9449 §4.2 example)', () => {
    // The access token and ath of RFC 9449 §7.1's example.
    expect(dpopAccessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });
});

describe('createMemoryDpopReplayStore', () => {
  it('forgets a key once it expires, and not before', async () => {
    const store = createMemoryDpopReplayStore();
    expect(await store.remember('a', new Date(Date.now() + 60_000))).toBe(true);
    expect(await store.remember('a', new Date(Date.now() + 60_000))).toBe(false);
    expect(await store.remember('b', new Date(Date.now() - 1))).toBe(true);
    expect(await store.remember('b', new Date(Date.now() + 60_000))).toBe(true);
  });
});
