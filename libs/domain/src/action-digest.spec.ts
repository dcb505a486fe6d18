import { createHash } from 'node:crypto';
import { computeActionDigest, type ActionDigestInput } from './action-digest';
import { parseIJson } from './i-json';

function newDigestInput(overrides: Partial<ActionDigestInput> = {}): ActionDigestInput {
  return {
    type: 'payments.transfer',
    resource: 'accounts/acme-main',
    args: { amount: 250, currency: 'EUR', payee: 'ACME Supplies' },
    audience: 'https://payments.internal',
    agent: 'agent-client-1',
    on_behalf_of: 'person-42',
    ...overrides,
  };
}

describe('computeActionDigest', () => {
  it('matches a known answer computed independently over the hand-written canonical JSON', () => {
    const canonical =
      '{"agent":"agent-client-1","args":{"amount":250,"currency":"EUR","payee":"ACME Supplies"},' +
      '"audience":"https://payments.internal","on_behalf_of":"person-42","resource":"accounts/acme-main","type":"payments.transfer"}';
    const expected = 'sha256:' + createHash('sha256').update(Buffer.from(canonical, 'utf8')).digest('base64url');
    expect(computeActionDigest(newDigestInput())).toBe(expected);
    expect(expected).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
  });

  it('hashes non-ASCII text as UTF-8', () => {
    const input = newDigestInput({ args: { memo: 'café €' } });
    const canonical =
      '{"agent":"agent-client-1","args":{"memo":"café €"},"audience":"https://payments.internal","on_behalf_of":"person-42",' +
      '"resource":"accounts/acme-main","type":"payments.transfer"}';
    expect(computeActionDigest(input)).toBe('sha256:' + createHash('sha256').update(canonical, 'utf8').digest('base64url'));
  });

  it('does not depend on the order of keys in args', () => {
    const a = newDigestInput({ args: { amount: 1, nested: { x: 1, y: [1, 2] }, payee: 'p' } });
    const b = newDigestInput({ args: { payee: 'p', nested: { y: [1, 2], x: 1 }, amount: 1 } });
    expect(computeActionDigest(a)).toBe(computeActionDigest(b));
  });

  it('treats 1.0 and 1 as the same number', () => {
    const fromText = (text: string) => newDigestInput({ args: parseIJson(text) as Record<string, unknown> });
    expect(computeActionDigest(fromText('{"amount":1.0}'))).toBe(computeActionDigest(fromText('{"amount":1}')));
    expect(computeActionDigest(fromText('{"amount":1e2}'))).toBe(computeActionDigest(fromText('{"amount":100}')));
  });

  it.each<[string, Partial<ActionDigestInput>]>([
    ['amount', { args: { amount: 251, currency: 'EUR', payee: 'ACME Supplies' } }],
    ['payee', { args: { amount: 250, currency: 'EUR', payee: 'Mallory Ltd' } }],
    ['extra argument', { args: { amount: 250, currency: 'EUR', payee: 'ACME Supplies', note: '' } }],
    ['type', { type: 'payments.refund' }],
    ['resource', { resource: 'accounts/other' }],
    ['audience', { audience: 'https://other.internal' }],
    ['agent', { agent: 'agent-client-2' }],
    ['on_behalf_of', { on_behalf_of: 'person-43' }],
  ])('changes when the %s changes', (_field, overrides) => {
    expect(computeActionDigest(newDigestInput(overrides))).not.toBe(computeActionDigest(newDigestInput()));
  });

  it('ignores properties outside the six bound fields', () => {
    const withExtra = { ...newDigestInput(), reason: 'the agent says so' } as ActionDigestInput;
    expect(computeActionDigest(withExtra)).toBe(computeActionDigest(newDigestInput()));
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => computeActionDigest(newDigestInput({ args: { amount: Number.NaN } }))).toThrow();
  });
});
