import { ApprovalTokenError } from './errors.js';

/** Consume through Countersign (`POST /v1/approval-tokens/consume`), authenticated as a registered resource server. */
export interface OnlineConsume {
  kind: 'online';
  /** Countersign's consume endpoint, e.g. `https://countersign.example.com/v1/approval-tokens/consume`. */
  url: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Per-request timeout; defaults to 5 s. */
  timeoutMs?: number;
}

/** The one ioredis call this SDK needs; an ioredis `Redis` or `Cluster` fits as is. */
export interface RedisConsumeClient {
  set(key: string, value: string, expiryMode: 'PX', milliseconds: number, condition: 'NX'): Promise<'OK' | null>;
}

/** Consume against the resource server's own Redis: `SET <prefix><jti> 1 PX <ttl> NX`. */
export interface RedisConsume {
  kind: 'redis';
  client: RedisConsumeClient;
  /** Defaults to `countersign:jti:`. */
  keyPrefix?: string;
}

/** Bring your own single-use store. Resolve `true` exactly once per jti, `false` when it was already used. */
export interface CustomConsume {
  kind: 'custom';
  consume(jti: string, expiresAt: Date): Promise<boolean>;
}

/** Single use is the contract: there is deliberately no strategy that skips consumption. */
export type ConsumeStrategy = OnlineConsume | RedisConsume | CustomConsume;

/** Resolves when `jti` was consumed now; rejects with `already_consumed` or `consume_failed`. */
export type Consumer = (token: string, jti: string, expiresAtSeconds: number) => Promise<void>;

const DEFAULT_CONSUME_TIMEOUT_MS = 5_000;
const DEFAULT_REDIS_PREFIX = 'countersign:jti:';

function alreadyConsumed(jti: string): ApprovalTokenError {
  return new ApprovalTokenError('already_consumed', `approval token ${jti} was already used or revoked`);
}

function consumeFailed(message: string, cause?: unknown): ApprovalTokenError {
  return new ApprovalTokenError('consume_failed', message, cause === undefined ? undefined : { cause });
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined and base64-encoded. */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);
  return 'Basic ' + Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64');
}

function onlineConsumer(strategy: OnlineConsume): Consumer {
  const doFetch = strategy.fetch ?? fetch;
  const authorization = basicCredentials(strategy.clientId, strategy.clientSecret);
  const timeoutMs = strategy.timeoutMs ?? DEFAULT_CONSUME_TIMEOUT_MS;
  return async (token, jti) => {
    let response: Response;
    try {
      response = await doFetch(strategy.url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (cause) {
      throw consumeFailed('approval token consume endpoint unreachable', cause);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw consumeFailed(`approval token consume endpoint answered ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw consumeFailed('approval token consume endpoint answered invalid JSON', cause);
    }
    const active = (body as { active?: unknown } | null)?.active;
    if (active === false) throw alreadyConsumed(jti);
    if (active !== true) throw consumeFailed('approval token consume endpoint answered without "active"');
    const consumedJti = (body as { jti?: unknown }).jti;
    if (consumedJti !== undefined && consumedJti !== jti) throw consumeFailed('approval token consume endpoint answered for another jti');
  };
}

function redisConsumer(strategy: RedisConsume, clockToleranceSeconds: number): Consumer {
  const prefix = strategy.keyPrefix ?? DEFAULT_REDIS_PREFIX;
  return async (_token, jti, expiresAtSeconds) => {
    // Remember the jti for as long as the token could still pass the exp check anywhere.
    const ttlMs = Math.max(1_000, Math.ceil((expiresAtSeconds + clockToleranceSeconds) * 1000 - Date.now()));
    let result: 'OK' | null;
    try {
      result = await strategy.client.set(prefix + jti, '1', 'PX', ttlMs, 'NX');
    } catch (cause) {
      throw consumeFailed('approval token store unavailable', cause);
    }
    if (result !== 'OK') throw alreadyConsumed(jti);
  };
}

function customConsumer(strategy: CustomConsume): Consumer {
  const failed = (cause: unknown): never => {
    throw cause instanceof ApprovalTokenError ? cause : consumeFailed('custom approval token consume failed', cause);
  };
  // No async wrapper: this sits on the verify hot path, where an extra promise per call shows.
  return (_token, jti, expiresAtSeconds) => {
    let pending: Promise<boolean>;
    try {
      pending = strategy.consume(jti, new Date(expiresAtSeconds * 1000));
    } catch (cause) {
      return Promise.reject(cause instanceof ApprovalTokenError ? cause : consumeFailed('custom approval token consume failed', cause));
    }
    return Promise.resolve(pending).then((consumed) => {
      if (consumed !== true) throw alreadyConsumed(jti);
    }, failed);
  };
}

export function createConsumer(strategy: ConsumeStrategy, clockToleranceSeconds: number): Consumer {
  // Checked at runtime too: plain-JS callers must not be able to configure their way out of single use.
  const kind = (strategy as { kind?: unknown } | undefined)?.kind;
  switch (kind) {
    case 'online': {
      const online = strategy as OnlineConsume;
      if (!online.url || !online.clientId || !online.clientSecret) {
        throw new TypeError('online consume needs url, clientId and clientSecret');
      }
      return onlineConsumer(online);
    }
    case 'redis':
      if (typeof (strategy as RedisConsume).client?.set !== 'function') throw new TypeError('redis consume needs a client with set()');
      return redisConsumer(strategy as RedisConsume, clockToleranceSeconds);
    case 'custom':
      if (typeof (strategy as CustomConsume).consume !== 'function') throw new TypeError('custom consume needs a consume() function');
      return customConsumer(strategy as CustomConsume);
    default:
      throw new TypeError(
        `consume.kind must be 'online', 'redis' or 'custom' (got ${JSON.stringify(kind)}); single use cannot be switched off`,
      );
  }
}
