import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { type ActionDigestInput, computeActionDigest } from './action-digest';

/** The definition, spelled out: the library over the whole six-field object, SHA-256, base64url. */
function referenceDigest(input: ActionDigestInput): string {
  const { type, resource, args, audience, agent, on_behalf_of } = input;
  const canonical = canonicalize({ type, resource, args, audience, agent, on_behalf_of });
  return (
    'sha256:' +
    createHash('sha256')
      .update(canonical ?? '', 'utf8')
      .digest('base64url')
  );
}

const base: ActionDigestInput = {
  type: 'payments.transfer',
  resource: 'account:ops-eur',
  args: { amount: 25, currency: 'EUR', to: 'acct_123' },
  audience: 'https://payments.internal',
  agent: 'agent-1',
  on_behalf_of: 'person-1',
};

describe('computeActionDigest', () => {
  it.each<[string, Partial<ActionDigestInput>]>([
    ['plain input', {}],
    ['nested args with unsorted keys', { args: { z: [3, { b: 1, a: null }], a: { y: true, x: 1.5e-7 }, '10': 1, '2': 2 } }],
    [
      'unicode everywhere',
      { type: 'paiement.virement', resource: 'compte:é€😀', agent: '\u2028agent', on_behalf_of: 'דּ', args: { é: '"\\' } },
    ],
    ['empty args', { args: {} }],
    ['numbers JSON.stringify and RFC 8785 agree on', { args: { big: 1e21, small: 5e-324, neg: -0, frac: 0.1 + 0.2 } }],
    ['non-string fields from a plain-JS caller', { type: 7 as unknown as string, resource: null as unknown as string }],
    ['args without a JSON form', { args: undefined }],
  ])('equals the reference definition for %s', (_name, overrides) => {
    const input = { ...base, ...overrides };
    expect(computeActionDigest(input)).toBe(referenceDigest(input));
  });

  it('refuses what RFC 8785 cannot represent', () => {
    expect(() => computeActionDigest({ ...base, resource: 'account:\ud800' })).toThrow();
    expect(() => computeActionDigest({ ...base, args: { amount: Number.NaN } })).toThrow();
  });
});
