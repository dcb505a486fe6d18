import { generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { computeActionDigest, createApprovalVerifier } from '../libs/enforcement/src';

const TOKENS = 2_000;
const ROUNDS = 3;
const BLOCK = 100;
const ISSUER = 'https://countersign.bench';
const AUDIENCE = 'https://payments.internal';
const AGENT = 'agent-bench';
const PERSON = 'person-bench';
const KID = 'bench-key';
const CALL = {
  type: 'payments.transfer',
  resource: 'account:ops-eur',
  args: { amount: 25, currency: 'EUR', to: 'acct_123', memo: 'coffee beans', reference: 'INV-2024-0042' },
};

/** Signs the way Countersign's libs/tokens does (ES256, compact JWS); node:crypto keeps minting quick. */
function mint(privateKey: KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', kid: KID, typ: 'approval+jwt' };
  const claims = {
    act: { sub: AGENT },
    approval_id: randomUUID(),
    action: { type: CALL.type, resource: CALL.resource },
    action_digest: computeActionDigest({ ...CALL, audience: AUDIENCE, agent: AGENT, on_behalf_of: PERSON }),
    risk: { tier: 'high', reversibility: 'irreversible', blast_radius: 'external' },
    approvers: [{ sub: PERSON, channel: 'web', amr: ['passkey'] }],
    iss: ISSUER,
    sub: PERSON,
    aud: AUDIENCE,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Verifications per second of the SDK's `verify` (every check, digest recomputation and a consume that always
 * succeeds) against bare `crypto.verify` of the same signing inputs and signatures. Best of interleaved rounds.
 */
export async function benchVerifier(): Promise<{ verifier: number; raw: number; ratio: number }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'ES256', use: 'sig' }] });
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const verifier = createApprovalVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      consume: { kind: 'custom', consume: () => Promise.resolve(true) },
    });
    const tokens = Array.from({ length: TOKENS }, () => mint(privateKey));
    const raw = tokens.map((token) => {
      const dot = token.lastIndexOf('.');
      return { input: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
    });

    // Warm up: the first verify fetches the JWKS; both paths get JIT-compiled before anything is timed.
    for (let i = 0; i < TOKENS; i++) {
      await verifier.verify(tokens[i], CALL);
      verify('sha256', raw[i].input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw[i].signature);
    }

    // Each round alternates short blocks of the two loops, so load from elsewhere hits both alike; best round wins.
    let bestVerifier = 0;
    let bestRaw = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let rawMs = 0;
      let verifierMs = 0;
      for (let start = 0; start < TOKENS; start += BLOCK) {
        const end = Math.min(start + BLOCK, TOKENS);
        let startedAt = performance.now();
        for (let i = start; i < end; i++) {
          if (!verify('sha256', raw[i].input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw[i].signature))
            throw new Error('raw verify failed');
        }
        rawMs += performance.now() - startedAt;
        startedAt = performance.now();
        for (let i = start; i < end; i++) await verifier.verify(tokens[i], CALL);
        verifierMs += performance.now() - startedAt;
      }
      bestRaw = Math.max(bestRaw, TOKENS / (rawMs / 1000));
      bestVerifier = Math.max(bestVerifier, TOKENS / (verifierMs / 1000));
    }
    return { verifier: Math.round(bestVerifier), raw: Math.round(bestRaw), ratio: Math.round((bestVerifier / bestRaw) * 1000) / 1000 };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
