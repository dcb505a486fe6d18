import { createECDH } from 'node:crypto';
import { DomainError } from '@countersign/domain';
import { parseSubscription } from './push-subscription.input';

const policy = { pushServiceOrigins: ['https://push.example'], allowPrivatePushEndpoints: false };
const ecdh = createECDH('prime256v1');
ecdh.generateKeys();
const good = {
  endpoint: 'https://push.example/send/abc',
  keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') + '==' },
};

function refusal(body: unknown): { message: string; field: unknown } {
  try {
    parseSubscription(body, policy);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'invalid_request') return { message: error.message, field: error.details?.field };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseSubscription (the PushSubscription JSON, parsed at the transport)', () => {
  it('takes a subscription on a known push service, its keys re-encoded without padding', () => {
    expect(parseSubscription(good, policy)).toEqual({
      endpoint: good.endpoint,
      p256dh: good.keys.p256dh,
      auth: Buffer.alloc(16, 1).toString('base64url'),
    });
  });

  it.each([
    ['no object at all', 'text', 'endpoint must be the push service URL', '/endpoint'],
    ['a plain-http endpoint', { ...good, endpoint: 'http://push.example/x' }, 'endpoint must be an https URL', '/endpoint'],
    [
      'an endpoint with credentials',
      { ...good, endpoint: 'https://u:p@push.example/x' },
      'endpoint must not carry credentials',
      '/endpoint',
    ],
    [
      'an unknown push service',
      { ...good, endpoint: 'https://evil.example/x' },
      expect.stringContaining('not a known push service'),
      '/endpoint',
    ],
    ['no keys', { endpoint: good.endpoint }, expect.stringContaining('keys.p256dh must be'), 'keys.p256dh'],
    [
      'a key not on P-256',
      { ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url') } },
      expect.stringContaining('keys.p256dh must be'),
      'keys.p256dh',
    ],
    ['a short auth', { ...good, keys: { ...good.keys, auth: 'AAAA' } }, 'keys.auth must be 16 bytes, base64url', 'keys.auth'],
  ])('refuses %s, naming the field', (_label, body, message, field) => {
    expect(refusal(body)).toEqual({ message, field });
  });

  it('reports the endpoint before the keys', () => {
    expect(refusal({ endpoint: 'nope', keys: {} }).field).toBe('/endpoint');
  });
});
