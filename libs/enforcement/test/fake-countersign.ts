import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JWK, SignJWT } from 'jose';
import { computeActionDigest } from '../src/action-digest';

export const ISSUER = 'https://countersign.test';
export const AUDIENCE = 'https://payments.internal';
export const AGENT = 'agent-payments-bot';
export const PERSON = 'person-0001';

export const CALL = {
  type: 'payments.transfer',
  resource: 'account:ops-eur',
  args: { amount: 25, currency: 'EUR', to: 'acct_123', memo: 'coffee beans' },
};

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

export function newSigningKey(kid: string, alg: 'ES256' | 'EdDSA' = 'ES256'): SigningKey {
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { kid, alg, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

export interface MintOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** The call the person approved; defaults to CALL. */
  approved?: { type: string; resource: string; args: Record<string, unknown> };
  audience?: string | string[];
}

/** Signs an approval token the way Countersign does (libs/tokens), with overridable header and claims. */
export async function mintApprovalToken(key: SigningKey, options: MintOptions = {}): Promise<string> {
  const approved = options.approved ?? CALL;
  const audience = options.audience ?? AUDIENCE;
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    sub: PERSON,
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomUUID(),
    act: { sub: AGENT },
    approval_id: randomUUID(),
    action: { type: approved.type, resource: approved.resource },
    action_digest: computeActionDigest({ ...approved, audience: AUDIENCE, agent: AGENT, on_behalf_of: PERSON }),
    risk: { tier: 'high', reversibility: 'irreversible', blast_radius: 'external' },
    approvers: [{ sub: PERSON, channel: 'web', amr: ['passkey'] }],
    ...options.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'approval+jwt', ...options.header })
    .sign(key.privateKey);
}

export function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Re-signs a token with a hand-written header, for headers jose refuses to produce. */
export function resignWithHeader(key: SigningKey, token: string, header: Record<string, unknown>): string {
  const input = `${base64url(header)}.${token.split('.')[1]}`;
  const signature = sign(key.alg === 'ES256' ? 'sha256' : null, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

export interface FakeServer {
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}

export async function startServer(handler: Handler): Promise<FakeServer> {
  let hits = 0;
  const server: Server = createServer((request, response) => {
    hits++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A JWKS endpoint whose key set the test can change, counting fetches. */
export async function startJwksServer(
  keys: SigningKey[],
): Promise<FakeServer & { setKeys: (next: SigningKey[]) => void; jwksUri: string }> {
  let current = keys;
  const server = await startServer((_request, _body, response) => sendJson(response, 200, { keys: current.map((key) => key.jwk) }));
  return { ...server, jwksUri: `${server.url}/.well-known/jwks.json`, setKeys: (next) => (current = next) };
}

/** A URL on which nothing listens. */
export async function deadUrl(): Promise<string> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.url;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
