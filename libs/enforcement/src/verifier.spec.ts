import { createHmac } from 'node:crypto';
import {
  AGENT,
  AUDIENCE,
  base64url,
  CALL,
  deadUrl,
  type FakeServer,
  ISSUER,
  mintApprovalToken,
  newSigningKey,
  PERSON,
  resignWithHeader,
  sendJson,
  sleep,
  startJwksServer,
  startServer,
} from '../test/fake-countersign';
import { type ApprovalTokenErrorCode, isApprovalTokenError } from './errors';
import { type ApprovalVerifierOptions, createApprovalVerifier, DEFAULT_MAX_TOKEN_AGE_SECONDS } from './verifier';

async function expectRefusal(promise: Promise<unknown>, code: ApprovalTokenErrorCode): Promise<void> {
  const outcome = await promise.then(
    () => 'accepted',
    (err: unknown) => (isApprovalTokenError(err) ? err.code : err),
  );
  expect(outcome).toBe(code);
}

const acceptAll: ApprovalVerifierOptions['consume'] = { kind: 'custom', consume: () => Promise.resolve(true) };

describe('createApprovalVerifier', () => {
  const key = newSigningKey('key-1');
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;

  beforeEach(async () => {
    jwks = await startJwksServer([key]);
  });
  afterEach(async () => {
    await jwks.close();
  });

  const verifier = (overrides: Partial<ApprovalVerifierOptions> = {}) =>
    createApprovalVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.jwksUri, consume: acceptAll, ...overrides });

  it('accepts a valid token for the exact call and returns the approval', async () => {
    const token = await mintApprovalToken(key);
    const approval = await verifier().verify(token, { ...CALL, agent: AGENT });
    expect(approval).toMatchObject({
      subject: PERSON,
      actor: AGENT,
      audience: AUDIENCE,
      action: { type: CALL.type, resource: CALL.resource },
      risk: { tier: 'high', reversibility: 'irreversible', blast_radius: 'external' },
      approvers: [{ sub: PERSON, channel: 'web', amr: ['passkey'] }],
    });
    expect(approval.jti).toBe(approval.claims.jti);
    expect(approval.approvalId).toBe(approval.claims.approval_id);
    expect(approval.expiresAt.getTime()).toBe(approval.claims.exp * 1000);
    expect(approval.issuedAt.getTime()).toBe(approval.claims.iat * 1000);
  });

  it('does not depend on argument key order', async () => {
    const token = await mintApprovalToken(key);
    const { amount, currency, to, memo } = CALL.args;
    await expect(verifier().verify(token, { ...CALL, args: { memo, to, currency, amount } })).resolves.toBeDefined();
  });

  it('verifies EdDSA tokens when EdDSA is allowed', async () => {
    const edKey = newSigningKey('ed-1', 'EdDSA');
    jwks.setKeys([key, edKey]);
    const token = await mintApprovalToken(edKey);
    await expect(verifier({ algorithms: ['ES256', 'EdDSA'] }).verify(token, CALL)).resolves.toBeDefined();
  });

  describe('binding to the call', () => {
    it('refuses a different amount', async () => {
      const token = await mintApprovalToken(key);
      await expectRefusal(verifier().verify(token, { ...CALL, args: { ...CALL.args, amount: 25_000 } }), 'action_mismatch');
    });

    it('refuses an extra argument', async () => {
      const token = await mintApprovalToken(key);
      await expectRefusal(verifier().verify(token, { ...CALL, args: { ...CALL.args, cc: 'acct_999' } }), 'action_mismatch');
    });

    it('refuses another resource or action type', async () => {
      const token = await mintApprovalToken(key);
      await expectRefusal(verifier().verify(token, { ...CALL, resource: 'account:treasury' }), 'action_mismatch');
      await expectRefusal(verifier().verify(token, { ...CALL, type: 'payments.refund' }), 'action_mismatch');
    });

    it('refuses a token whose action claim was not what the digest covers', async () => {
      const token = await mintApprovalToken(key, { claims: { action: { type: CALL.type, resource: 'account:treasury' } } });
      await expectRefusal(verifier().verify(token, { ...CALL, resource: 'account:treasury' }), 'action_mismatch');
    });

    it('refuses a token presented by another agent', async () => {
      const token = await mintApprovalToken(key);
      await expectRefusal(verifier().verify(token, { ...CALL, agent: 'agent-other' }), 'actor_mismatch');
    });
  });

  describe('claims', () => {
    it('refuses a token for another audience', async () => {
      const token = await mintApprovalToken(key, { audience: 'https://crm.internal' });
      await expectRefusal(verifier().verify(token, CALL), 'wrong_audience');
    });

    it('refuses an array aud, even one that contains our audience', async () => {
      for (const audience of [[AUDIENCE], ['https://other.internal', AUDIENCE]]) {
        const token = await mintApprovalToken(key, { audience });
        await expectRefusal(verifier().verify(token, CALL), 'wrong_audience');
      }
    });

    it('refuses a token that lives longer than maxTokenAge (65 minutes by default)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const atTheLimit = await mintApprovalToken(key, { claims: { iat: now, nbf: now, exp: now + DEFAULT_MAX_TOKEN_AGE_SECONDS } });
      await expect(verifier().verify(atTheLimit, CALL)).resolves.toBeDefined();
      const longLived = await mintApprovalToken(key, { claims: { iat: now, nbf: now, exp: now + DEFAULT_MAX_TOKEN_AGE_SECONDS + 1 } });
      await expectRefusal(verifier().verify(longLived, CALL), 'token_too_long_lived');
      const aDay = await mintApprovalToken(key, { claims: { iat: now, nbf: now, exp: now + 86_400 } });
      await expectRefusal(verifier().verify(aDay, CALL), 'token_too_long_lived');
      const fiveMinutes = await mintApprovalToken(key);
      await expectRefusal(verifier({ maxTokenAge: 120 }).verify(fiveMinutes, CALL), 'token_too_long_lived');
    });

    it('refuses a maxTokenAge that is not a positive number at start-up', () => {
      expect(() => verifier({ maxTokenAge: 0 })).toThrow(TypeError);
      expect(() => verifier({ maxTokenAge: Number.NaN })).toThrow(TypeError);
    });

    it('refuses a token from another issuer', async () => {
      const token = await mintApprovalToken(key, { claims: { iss: 'https://evil.test' } });
      await expectRefusal(verifier().verify(token, CALL), 'wrong_issuer');
    });

    it('refuses an expired token, allowing the configured skew', async () => {
      const now = Math.floor(Date.now() / 1000);
      const stale = await mintApprovalToken(key, { claims: { iat: now - 400, nbf: now - 400, exp: now - 60 } });
      await expectRefusal(verifier().verify(stale, CALL), 'expired');
      const justExpired = await mintApprovalToken(key, { claims: { iat: now - 400, nbf: now - 400, exp: now - 10 } });
      await expect(verifier().verify(justExpired, CALL)).resolves.toBeDefined();
      await expectRefusal(verifier({ clockToleranceSeconds: 0 }).verify(justExpired, CALL), 'expired');
    });

    it('refuses a token that is not valid yet', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await mintApprovalToken(key, { claims: { nbf: now + 120 } });
      await expectRefusal(verifier().verify(token, CALL), 'not_yet_valid');
    });

    it('refuses a token missing a required claim', async () => {
      const token = await mintApprovalToken(key, { claims: { approvers: undefined } });
      await expectRefusal(verifier().verify(token, CALL), 'malformed');
      const noActor = await mintApprovalToken(key, { claims: { act: { client_id: AGENT } } });
      await expectRefusal(verifier().verify(noActor, CALL), 'malformed');
    });
  });

  describe('header and signature (RFC 8725)', () => {
    it('refuses alg none', async () => {
      const token = await mintApprovalToken(key);
      const [, payload] = token.split('.');
      const unsigned = `${base64url({ alg: 'none', typ: 'approval+jwt', kid: key.kid })}.${payload}.`;
      await expectRefusal(verifier().verify(unsigned, CALL), 'algorithm_not_allowed');
    });

    it('refuses HS256 signed with the public key bytes (key confusion)', async () => {
      const token = await mintApprovalToken(key);
      const [, payload] = token.split('.');
      const header = base64url({ alg: 'HS256', typ: 'approval+jwt', kid: key.kid });
      for (const secret of [key.publicKey.export({ format: 'pem', type: 'spki' }), JSON.stringify(key.jwk)]) {
        const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        await expectRefusal(verifier().verify(`${header}.${payload}.${signature}`, CALL), 'algorithm_not_allowed');
      }
    });

    it('refuses an algorithm that is supported but not in the allow-list', async () => {
      const edKey = newSigningKey('ed-1', 'EdDSA');
      jwks.setKeys([key, edKey]);
      await expectRefusal(verifier().verify(await mintApprovalToken(edKey), CALL), 'algorithm_not_allowed');
    });

    it('refuses a key whose type does not match the alg', async () => {
      // The EC key's kid, claimed for EdDSA: the JWKS entry must not be used for another key type.
      const edKey = newSigningKey(key.kid, 'EdDSA');
      await expectRefusal(verifier({ algorithms: ['ES256', 'EdDSA'] }).verify(await mintApprovalToken(edKey), CALL), 'unknown_key');
    });

    it('refuses an access token (typ at+jwt) and a token without typ', async () => {
      await expectRefusal(verifier().verify(await mintApprovalToken(key, { header: { typ: 'at+jwt' } }), CALL), 'wrong_type');
      await expectRefusal(verifier().verify(await mintApprovalToken(key, { header: { typ: undefined } }), CALL), 'wrong_type');
      await expectRefusal(verifier().verify(await mintApprovalToken(key, { header: { typ: 'JWT' } }), CALL), 'wrong_type');
    });

    it('refuses a payload changed after signing', async () => {
      const token = await mintApprovalToken(key);
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${base64url({ ...claims, exp: (claims.exp as number) + 3600 })}.${signature}`;
      await expectRefusal(verifier().verify(forged, CALL), 'bad_signature');
    });

    it('refuses a payload with characters outside base64url, even ones whose low byte is the signed one', async () => {
      const token = await mintApprovalToken(key);
      const [header, payload, signature] = token.split('.');
      for (const replacement of [String.fromCharCode(payload.charCodeAt(10) + 0x100), '!', '=']) {
        const altered = `${header}.${payload.slice(0, 10)}${replacement}${payload.slice(11)}.${signature}`;
        await expectRefusal(verifier().verify(altered, CALL), 'bad_signature');
      }
    });

    it('refuses a token signed by a key that is not in the JWKS under that kid', async () => {
      const impostor = newSigningKey(key.kid);
      await expectRefusal(verifier().verify(await mintApprovalToken(impostor), CALL), 'bad_signature');
    });

    it('refuses garbage as malformed', async () => {
      for (const garbage of ['', 'hello', 'a.b.c', 'a.b', '{"alg":"ES256"}', `${base64url('[1]')}.${base64url('{}')}.abc`]) {
        await expectRefusal(verifier().verify(garbage, CALL), 'malformed');
      }
      await expectRefusal(verifier().verify(undefined as unknown as string, CALL), 'malformed');
    });

    it('refuses crit header parameters it does not understand', async () => {
      const header = { alg: 'ES256', typ: 'approval+jwt', kid: key.kid, crit: ['urn:example:policy'], 'urn:example:policy': 1 };
      const token = resignWithHeader(key, await mintApprovalToken(key), header);
      await expect(
        verifier().verify(resignWithHeader(key, token, { alg: 'ES256', typ: 'approval+jwt', kid: key.kid }), CALL),
      ).resolves.toBeDefined();
      await expectRefusal(verifier().verify(token, CALL), 'malformed');
    });
  });

  describe('JWKS', () => {
    it('refetches once for an unknown kid, then not again within the cooldown', async () => {
      const v = verifier({ jwksCooldownMs: 200 });
      await v.verify(await mintApprovalToken(key), CALL);
      expect(jwks.hits()).toBe(1);
      await sleep(250);

      await expectRefusal(v.verify(await mintApprovalToken(newSigningKey('ghost-1')), CALL), 'unknown_key');
      expect(jwks.hits()).toBe(2);
      await expectRefusal(v.verify(await mintApprovalToken(newSigningKey('ghost-2')), CALL), 'unknown_key');
      expect(jwks.hits()).toBe(2);
      // Known keys keep verifying from the cache without a fetch.
      await v.verify(await mintApprovalToken(key), CALL);
      expect(jwks.hits()).toBe(2);
    });

    it('picks up a rotated key after the cooldown', async () => {
      const v = verifier({ jwksCooldownMs: 100 });
      await v.verify(await mintApprovalToken(key), CALL);
      const next = newSigningKey('key-2');
      jwks.setKeys([key, next]);
      await sleep(150);

      await expect(v.verify(await mintApprovalToken(next), CALL)).resolves.toBeDefined();
      expect(jwks.hits()).toBe(2);
      await expect(v.verify(await mintApprovalToken(key), CALL)).resolves.toBeDefined();
      expect(jwks.hits()).toBe(2);
    });

    it('fails closed when the JWKS cannot be fetched', async () => {
      const v = verifier({ jwksUri: `${await deadUrl()}/.well-known/jwks.json` });
      await expectRefusal(v.verify(await mintApprovalToken(key), CALL), 'jwks_unavailable');
    });

    it('fails closed when the JWKS endpoint answers an error', async () => {
      const broken = await startServer((_request, _body, response) => sendJson(response, 500, { error: 'boom' }));
      try {
        const v = verifier({ jwksUri: `${broken.url}/.well-known/jwks.json` });
        await expectRefusal(v.verify(await mintApprovalToken(key), CALL), 'jwks_unavailable');
      } finally {
        await broken.close();
      }
    });
  });

  describe('single use', () => {
    it('consumes online: first use passes, the second is already consumed', async () => {
      const consumed = new Set<string>();
      const authorizations: Array<string | undefined> = [];
      const countersign: FakeServer = await startServer((request, body, response) => {
        authorizations.push(request.headers.authorization);
        if (request.method !== 'POST' || request.url !== '/v1/approval-tokens/consume') return sendJson(response, 404, {});
        const { token } = JSON.parse(body) as { token: string };
        const { jti } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string };
        if (consumed.has(jti)) return sendJson(response, 200, { active: false });
        consumed.add(jti);
        sendJson(response, 200, { active: true, jti });
      });
      try {
        const v = verifier({
          consume: {
            kind: 'online',
            url: `${countersign.url}/v1/approval-tokens/consume`,
            clientId: 'rs:payments',
            clientSecret: 'p@ss word+1',
          },
        });
        const token = await mintApprovalToken(key);
        await expect(v.verify(token, CALL)).resolves.toBeDefined();
        await expectRefusal(v.verify(token, CALL), 'already_consumed');
        // RFC 6749 §2.3.1: form-urlencode each part, then base64.
        expect(authorizations[0]).toBe('Basic ' + Buffer.from('rs%3Apayments:p%40ss+word%2B1').toString('base64'));
      } finally {
        await countersign.close();
      }
    });

    it('does not consume a token that fails verification', async () => {
      const consume = jest.fn(() => Promise.resolve(true));
      const token = await mintApprovalToken(key);
      await expectRefusal(verifier({ consume: { kind: 'custom', consume } }).verify(token, { ...CALL, args: {} }), 'action_mismatch');
      expect(consume).not.toHaveBeenCalled();
    });

    it('consumes against a Redis-like store keyed on jti with a TTL past exp', async () => {
      const store = new Map<string, number>();
      const calls: unknown[][] = [];
      const client = {
        set: (key: string, value: string, mode: 'PX', ms: number, condition: 'NX') => {
          calls.push([key, value, mode, ms, condition]);
          if (store.has(key)) return Promise.resolve(null);
          store.set(key, Date.now() + ms);
          return Promise.resolve('OK' as const);
        },
      };
      const v = verifier({ consume: { kind: 'redis', client, keyPrefix: 'payments:jti:' } });
      const token = await mintApprovalToken(key);
      const approval = await v.verify(token, CALL);
      await expectRefusal(v.verify(token, CALL), 'already_consumed');
      expect(calls[0][0]).toBe(`payments:jti:${approval.jti}`);
      const ttl = calls[0][3] as number;
      expect(ttl).toBeGreaterThan(300_000);
      expect(ttl).toBeLessThanOrEqual(330_000);
    });
  });
});
