import type { Redis } from 'ioredis';
import { deadUrl, sendJson, startServer } from '../test/fake-countersign';
import { basicCredentials, type ConsumeStrategy, createConsumer, type RedisConsumeClient } from './consume';
import { type ApprovalTokenErrorCode, isApprovalTokenError } from './errors';

async function failureCode(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'ok',
    (err: unknown) => (isApprovalTokenError(err) ? err.code : err),
  );
}

const inFiveMinutes = (): number => Math.floor(Date.now() / 1000) + 300;

describe('basicCredentials', () => {
  it('form-urlencodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    expect(basicCredentials('rs-payments', 's3cret')).toBe('Basic ' + Buffer.from('rs-payments:s3cret').toString('base64'));
    expect(basicCredentials('a:b', 'x y/é')).toBe('Basic ' + Buffer.from('a%3Ab:x+y%2F%C3%A9').toString('base64'));
  });
});

describe('createConsumer', () => {
  it('has no way to switch single use off', () => {
    for (const strategy of [{ kind: 'none' }, { kind: 'skip' }, undefined, {}]) {
      expect(() => createConsumer(strategy as unknown as ConsumeStrategy, 30)).toThrow(TypeError);
    }
    expect(() => createConsumer({ kind: 'online', url: 'http://127.0.0.1:1', clientId: '', clientSecret: 'x' }, 30)).toThrow(TypeError);
  });

  it('accepts an ioredis client as the redis store', () => {
    const fits: Redis extends RedisConsumeClient ? true : false = true;
    expect(fits).toBe(true);
  });

  it('maps a custom store: true passes, false is already_consumed, a throw is consume_failed', async () => {
    const seen = new Set<string>();
    const consume = createConsumer({ kind: 'custom', consume: (jti) => Promise.resolve(!seen.has(jti) && !!seen.add(jti)) }, 30);
    expect(await failureCode(consume('token', 'jti-1', inFiveMinutes()))).toBe('ok');
    expect(await failureCode(consume('token', 'jti-1', inFiveMinutes()))).toBe<ApprovalTokenErrorCode>('already_consumed');
    const broken = createConsumer({ kind: 'custom', consume: () => Promise.reject(new Error('db down')) }, 30);
    expect(await failureCode(broken('token', 'jti-2', inFiveMinutes()))).toBe<ApprovalTokenErrorCode>('consume_failed');
  });

  it('treats a failing redis as consume_failed, never as consumed', async () => {
    const consume = createConsumer({ kind: 'redis', client: { set: () => Promise.reject(new Error('ECONNREFUSED')) } }, 30);
    expect(await failureCode(consume('token', 'jti-1', inFiveMinutes()))).toBe<ApprovalTokenErrorCode>('consume_failed');
  });

  it('fails online consumption closed on errors, odd answers and outages', async () => {
    const answers: Array<[number, unknown]> = [
      [500, { error: 'boom' }],
      [401, { error: 'invalid_client' }],
      [200, { ok: true }],
      [200, { active: true, jti: 'another-jti' }],
    ];
    const countersign = await startServer((_request, _body, response) => {
      const [status, body] = answers.shift() ?? [200, { active: true }];
      sendJson(response, status, body);
    });
    try {
      const consume = createConsumer(
        { kind: 'online', url: `${countersign.url}/v1/approval-tokens/consume`, clientId: 'rs', clientSecret: 'secret' },
        30,
      );
      for (let i = 0; i < 4; i++) {
        expect(await failureCode(consume('token', 'jti-1', inFiveMinutes()))).toBe<ApprovalTokenErrorCode>('consume_failed');
      }
      expect(await failureCode(consume('token', 'jti-1', inFiveMinutes()))).toBe('ok');
    } finally {
      await countersign.close();
    }
    const unreachable = createConsumer(
      { kind: 'online', url: `${await deadUrl()}/v1/approval-tokens/consume`, clientId: 'rs', clientSecret: 'secret' },
      30,
    );
    expect(await failureCode(unreachable('token', 'jti-1', inFiveMinutes()))).toBe<ApprovalTokenErrorCode>('consume_failed');
  });
});
