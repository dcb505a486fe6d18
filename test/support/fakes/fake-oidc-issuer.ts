import { createHash, randomBytes, type webcrypto } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** What the next ID tokens get wrong, for the negative cases a real provider will not produce. */
export type IdTokenTampering = 'none' | 'wrong_nonce' | 'wrong_issuer' | 'wrong_audience' | 'expired' | 'foreign_key';

interface PendingCode {
  clientId: string;
  redirectUri: string;
  nonce: string;
  codeChallenge: string;
}

/**
 * A tiny OpenID issuer on 127.0.0.1 built with jose, for the ID token checks: discovery, JWKS, an authorization
 * endpoint that answers at once (no login page) and a token endpoint that checks the client's secret and the PKCE
 * verifier, then signs an ID token that `tampering` may spoil. The happy path is oidc-provider's; this is the
 * provider a test controls at the token level.
 */
export class FakeOidcIssuer {
  tampering: IdTokenTampering = 'none';
  sub = 'fake-subject';
  claims: Record<string, unknown> = {};
  /** Where `claims` go: the ID token (most IdPs), or only the userinfo response (some, when an access token is issued). */
  claimsIn: 'id_token' | 'userinfo' = 'id_token';
  /** The `sub` userinfo answers with (default: the ID token's), to prove the client checks they match. */
  userinfoSub: string | null = null;
  /** Token requests received, with whether their PKCE verifier matched. */
  readonly tokenRequests: Array<{ pkce: boolean }> = [];
  /** How each token request authenticated the client. */
  readonly clientAuthentications: string[] = [];
  url = '';
  private server!: Server;
  private key!: webcrypto.CryptoKey;
  private jwk!: JWK;
  private foreignKey!: webcrypto.CryptoKey;
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Set<string>();

  constructor(readonly client: { client_id: string; client_secret: string }) {}

  async start(): Promise<this> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    this.key = pair.privateKey;
    this.jwk = { ...(await exportJWK(pair.publicKey)), kid: 'fake-1', alg: 'ES256', use: 'sig' };
    this.foreignKey = (await generateKeyPair('ES256')).privateKey;
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(200, {
          issuer: this.url,
          authorization_endpoint: `${this.url}/authorize`,
          token_endpoint: `${this.url}/token`,
          jwks_uri: `${this.url}/jwks`,
          userinfo_endpoint: `${this.url}/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
      case '/jwks':
        return json(200, { keys: [this.jwk] });
      case '/authorize': {
        const params = url.searchParams;
        if (params.get('client_id') !== this.client.client_id || params.get('code_challenge_method') !== 'S256')
          return json(400, { error: 'invalid_request' });
        const code = randomBytes(16).toString('base64url');
        this.codes.set(code, {
          clientId: params.get('client_id')!,
          redirectUri: params.get('redirect_uri')!,
          nonce: params.get('nonce') ?? '',
          codeChallenge: params.get('code_challenge') ?? '',
        });
        const back = new URL(params.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', params.get('state') ?? '');
        response.writeHead(303, { location: back.href });
        return void response.end();
      }
      case '/token': {
        const body = new URLSearchParams(await readBody(request));
        // client_secret_basic, or client_secret_post (the credentials in the form): whichever the client used.
        const basic = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        const [id, secret] = request.headers.authorization
          ? basic.split(':').map((part) => decodeURIComponent(part))
          : [body.get('client_id'), body.get('client_secret')];
        this.clientAuthentications.push(request.headers.authorization ? 'client_secret_basic' : 'client_secret_post');
        if (id !== this.client.client_id || secret !== this.client.client_secret) return json(401, { error: 'invalid_client' });
        const pending = this.codes.get(body.get('code') ?? '');
        this.codes.delete(body.get('code') ?? '');
        if (!pending || pending.redirectUri !== body.get('redirect_uri')) return json(400, { error: 'invalid_grant' });
        const pkce =
          createHash('sha256')
            .update(body.get('code_verifier') ?? '')
            .digest('base64url') === pending.codeChallenge;
        this.tokenRequests.push({ pkce });
        if (!pkce) return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        const accessToken = randomBytes(16).toString('base64url');
        this.accessTokens.add(accessToken);
        return json(200, {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 300,
          id_token: await this.idToken(pending),
        });
      }
      case '/userinfo': {
        const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
        if (!this.accessTokens.has(token)) return json(401, { error: 'invalid_token' });
        return json(200, { sub: this.userinfoSub ?? this.sub, ...this.claims });
      }
      default:
        return json(404, { error: 'not_found' });
    }
  }

  private async idToken(pending: PendingCode): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const tampering = this.tampering;
    const issuedAt = tampering === 'expired' ? now - 3_600 : now;
    const claims = this.claimsIn === 'id_token' ? this.claims : {};
    return new SignJWT({ nonce: tampering === 'wrong_nonce' ? 'another-nonce' : pending.nonce, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'fake-1', typ: 'JWT' })
      .setIssuer(tampering === 'wrong_issuer' ? 'https://impostor.example' : this.url)
      .setAudience(tampering === 'wrong_audience' ? 'someone-else' : pending.clientId)
      .setSubject(this.sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 300)
      .sign(tampering === 'foreign_key' ? this.foreignKey : this.key);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
