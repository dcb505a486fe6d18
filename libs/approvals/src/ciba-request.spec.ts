import { actionOf, BackchannelRefusal, parseBackchannelRequest } from './ciba-request';

const detail = { type: 'payments.refund', identifier: 'order:1', locations: ['https://payments.example'], amount: 5, currency: 'EUR' };
const form = (overrides: Record<string, string | undefined> = {}) =>
  Object.fromEntries(
    Object.entries({ login_hint: 'a@example.com', authorization_details: JSON.stringify([detail]), ...overrides }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
const refusal = (input: Record<string, string>) => {
  try {
    parseBackchannelRequest(input);
  } catch (error) {
    if (error instanceof BackchannelRefusal) return error.error;
    throw error;
  }
  return 'accepted';
};

describe('the backchannel authentication request, parsed', () => {
  it('takes one hint, the binding message, requested_expiry as a string, scopes and the one detail', () => {
    expect(parseBackchannelRequest(form({ binding_message: 'Code 12', requested_expiry: '300', scope: 'openid  openid' }))).toEqual({
      hint: { kind: 'login_hint', value: 'a@example.com' },
      bindingMessage: 'Code 12',
      requestedExpiry: 300,
      scopes: ['openid'],
      clientNotificationToken: undefined,
      authorizationDetails: [detail],
    });
  });

  it('answers each bad parameter with its CIBA error code', () => {
    expect(refusal(form({ login_hint: undefined }))).toBe('invalid_request');
    expect(refusal(form({ id_token_hint: 'x' }))).toBe('invalid_request');
    expect(refusal(form({ binding_message: 'b'.repeat(101) }))).toBe('invalid_binding_message');
    expect(refusal(form({ binding_message: 'tab\there' }))).toBe('invalid_binding_message');
    expect(refusal(form({ requested_expiry: '1.5' }))).toBe('invalid_request');
    expect(refusal(form({ requested_expiry: String(8 * 24 * 3600) }))).toBe('invalid_request');
    expect(refusal(form({ client_notification_token: 'x'.repeat(1025) }))).toBe('invalid_request');
    expect(refusal(form({ user_code: '1234' }))).toBe('invalid_request');
    expect(refusal(form({ authorization_details: '[{"type":"a.b","identifier":"r","n":1,"n":2}]' }))).toBe('invalid_authorization_details');
    expect(refusal(form({ authorization_details: '[{"type":"a.b","identifier":"r"}' }))).toBe('invalid_authorization_details');
    expect(refusal(form({ authorization_details: '[{"type":"a.b","identifier":"r","locations":["not a url"]}]' }))).toBe(
      'invalid_authorization_details',
    );
    expect(refusal(form({ client_notification_token: 'x'.repeat(1024) }))).toBe('accepted');
  });
});

describe('an authorization detail as the action it asks for', () => {
  it('maps type, identifier and the one location, and every other member to args', () => {
    expect(actionOf({ ...detail, actions: ['refund'] })).toEqual({
      type: 'payments.refund',
      resource: 'order:1',
      audience: 'https://payments.example',
      args: { amount: 5, currency: 'EUR', actions: ['refund'] },
    });
    expect(actionOf({ type: 'a.b', identifier: 'r' })).toEqual({ type: 'a.b', resource: 'r', args: {} });
  });
});
