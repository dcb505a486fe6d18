import { REDACTED, redactArgs } from './redact';

describe('redactArgs', () => {
  it('replaces top-level and nested values and leaves the rest', () => {
    const args = { amount: 10, account_number: '12345678', recipient: { name: 'Ann', iban: 'DE89370400440532013000' } };
    expect(redactArgs(args, ['account_number', 'recipient.iban'])).toEqual({
      amount: 10,
      account_number: REDACTED,
      recipient: { name: 'Ann', iban: REDACTED },
    });
  });

  it('never mutates its input', () => {
    const args = { secret: 's', nested: { secret: 's', list: [{ secret: 's' }] } };
    const before = structuredClone(args);
    const redacted = redactArgs(args, ['secret', 'nested.secret', 'nested.list.*.secret']);
    expect(args).toEqual(before);
    expect(redacted.nested).not.toBe(args.nested);
  });

  it('matches any key or array element with "*" and array elements by index', () => {
    const args = {
      recipients: [
        { email: 'a@x.com', iban: 'A' },
        { email: 'b@x.com', iban: 'B' },
      ],
      headers: { authorization: 'Bearer t', cookie: 'c' },
    };
    expect(redactArgs(args, ['recipients.*.iban', 'headers.*', 'recipients.1.email'])).toEqual({
      recipients: [
        { email: 'a@x.com', iban: REDACTED },
        { email: REDACTED, iban: REDACTED },
      ],
      headers: { authorization: REDACTED, cookie: REDACTED },
    });
  });

  it('redacts a whole subtree named by its path, whatever its type', () => {
    expect(redactArgs({ card: { number: '4111', cvc: '123' }, n: null }, ['card', 'n'])).toEqual({ card: REDACTED, n: REDACTED });
  });

  it('ignores paths that do not exist and does not create them', () => {
    const redacted = redactArgs({ a: { b: 1 }, s: 'text' }, ['missing', 'a.c', 'a.b.c', 's.length', 'toString', '']);
    expect(redacted).toEqual({ a: { b: 1 }, s: 'text' });
    expect(Object.keys(redacted)).toEqual(['a', 's']);
  });

  it('keeps a "__proto__" key as data', () => {
    const args = JSON.parse('{"__proto__":{"token":"t"},"x":1}') as Record<string, unknown>;
    const redacted = redactArgs(args, ['__proto__.token']);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(redacted, '__proto__')?.value).toEqual({ token: REDACTED });
  });
});
