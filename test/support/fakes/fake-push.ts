import { execFileSync } from 'node:child_process';
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ece = require('http_ece') as { decrypt(buffer: Buffer, params: { version: string; privateKey: ECDH; authSecret: Buffer }): Buffer };

export interface ReceivedPush {
  subscription: string;
  ttl: string | undefined;
  urgency: string | undefined;
  /** The decrypted payload (RFC 8291), parsed. */
  payload: Record<string, unknown>;
  raw: string;
  jwt: { header: Record<string, unknown>; claims: Record<string, unknown> };
  encryptedBytes: number;
}

/** A browser's subscription: the keys the browser keeps (to decrypt) and the JSON it gives the page. */
export interface FakeSubscription {
  id: string;
  ecdh: ECDH;
  auth: Buffer;
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
}

/**
 * A push service over TLS (self-signed, trusted through PUSH_CA_FILE) that checks what a real one checks: the
 * VAPID JWT (ES256, aud = this origin, exp ≤ 24 h, sub mailto:/https:) against the `k` key, the TTL header, and
 * decrypts the aes128gcm body with the subscription's private key. Per subscription it can answer 404/410/429.
 */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  readonly refused: string[] = [];
  /** TCP connections accepted, whether or not a request followed (a refused address must leave this at 0). */
  connections = 0;
  /** Status codes to answer next, per subscription id (then 201). */
  readonly script = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
  private readonly subscriptions = new Map<string, FakeSubscription>();
  private server!: Server;
  origin = '';
  caFile = '';
  private listeners: Array<() => void> = [];

  async start(): Promise<this> {
    const dir = mkdtempSync(join(tmpdir(), 'fake-push-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    this.caFile = cert;
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
      void this.handle(request).then(({ status, headers }) => {
        response.writeHead(status, headers);
        response.end();
      });
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'origin'), this.origin);
    return this;
  }

  /**
   * The service's environment for this push service: its CA, its origin as the only push service, and the
   * development allowance for a push service on a loopback address (without it, 127.0.0.1 is refused).
   */
  config(): Record<string, string> {
    return { PUSH_CA_FILE: this.caFile, PUSH_SERVICE_ORIGINS: this.origin, ALLOW_PRIVATE_PUSH_ENDPOINTS: 'true' };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /**
   * What a browser's PushManager.subscribe() would hand the page (a P-256 key pair and a 16-byte secret); the
   * endpoint on this service's origin, or on `origin` (another name for it).
   */
  subscription(origin = this.origin): FakeSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const id = randomBytes(8).toString('hex');
    const created = {
      id,
      ecdh,
      auth,
      json: {
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      },
    };
    this.subscriptions.set(id, created);
    return created;
  }

  waitFor(predicate: (push: ReceivedPush) => boolean, timeoutMs = 10_000): Promise<ReceivedPush> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no matching push within ${timeoutMs} ms (received ${this.received.length}, refused: ${this.refused.join('; ')})`),
          ),
        timeoutMs,
      );
      if (!check()) this.listeners.push(check);
    });
  }

  private async handle(request: IncomingMessage): Promise<{ status: number; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const id = (request.url ?? '').replace(/^\/push\//, '');
    const subscription = this.subscriptions.get(id);
    if (!subscription) return { status: 404 };
    const scripted = this.script.get(id)?.shift();
    if (scripted) return { status: scripted.status, headers: scripted.headers };
    try {
      const jwt = this.checkVapid(request.headers.authorization ?? '');
      if (request.headers.ttl === undefined || !/^\d+$/.test(String(request.headers.ttl))) throw new Error('TTL header missing');
      if (request.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${request.headers['content-encoding']}`);
      const plaintext = ece
        .decrypt(body, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth })
        .toString('utf8');
      this.received.push({
        subscription: id,
        ttl: request.headers.ttl as string,
        urgency: request.headers.urgency as string | undefined,
        payload: JSON.parse(plaintext) as Record<string, unknown>,
        raw: plaintext,
        jwt,
        encryptedBytes: body.length,
      });
      for (const listener of [...this.listeners]) listener();
      return { status: 201 };
    } catch (error) {
      this.refused.push((error as Error).message);
      return { status: 400 };
    }
  }

  /** RFC 8292: `Authorization: vapid t=<JWT>, k=<P-256 public key>`. */
  private checkVapid(header: string): ReceivedPush['jwt'] {
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
    if (!match) throw new Error(`no vapid authorization: ${header.slice(0, 40)}`);
    const [headerPart, claimsPart, signaturePart] = match[1].split('.');
    const jwtHeader = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString()) as Record<string, unknown>;
    const point = Buffer.from(match[2], 'base64url');
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
      format: 'jwk',
    });
    if (jwtHeader.alg !== 'ES256') throw new Error(`alg ${String(jwtHeader.alg)}`);
    if (
      !verify(
        'sha256',
        Buffer.from(`${headerPart}.${claimsPart}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signaturePart, 'base64url'),
      )
    )
      throw new Error('bad VAPID signature');
    if (claims.aud !== this.origin) throw new Error(`aud ${String(claims.aud)} is not ${this.origin}`);
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < now || claims.exp > now + 24 * 3600)
      throw new Error('exp outside (now, now + 24 h]');
    if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('sub must be mailto: or https:');
    return { header: jwtHeader, claims };
  }
}
