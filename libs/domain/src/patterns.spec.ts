import { matchesAny, matchesPattern, patternSpecificity } from './patterns';

describe('matchesPattern', () => {
  it.each([
    ['payments.transfer', 'payments.transfer', true],
    ['payments.transfer', 'payments.transfers', false],
    ['payments.transfer', 'payments', false],
    ['email.*', 'email.send', true],
    ['email.*', 'email.bulk.send', true],
    ['email.*', 'email', false],
    ['email.*', 'emails.send', false],
    ['*', 'anything.at.all', true],
    ['*', '', true],
    ['*.delete', 'cloud.vm.delete', true],
    ['*.delete', 'cloud.vm.deleted', false],
    ['cloud.*.delete', 'cloud.vm.delete', true],
    ['cloud.*.delete', 'cloud.delete', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['a*ab', 'aab', true],
    ['a*ab', 'ab', false],
    ['a.b', 'aXb', false],
  ])('%s against %s -> %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });

  it('treats regex metacharacters literally', () => {
    expect(matchesPattern('a+b', 'a+b')).toBe(true);
    expect(matchesPattern('a+b*', 'aab')).toBe(false);
  });
});

describe('matchesAny', () => {
  it('is true when one pattern matches', () => {
    expect(matchesAny(['email.*', 'calendar.create'], 'calendar.create')).toBe(true);
    expect(matchesAny(['email.*', 'calendar.create'], 'payments.transfer')).toBe(false);
    expect(matchesAny([], 'x')).toBe(false);
  });
});

describe('patternSpecificity', () => {
  it('ranks an exact type above every glob', () => {
    expect(patternSpecificity('a')).toBeGreaterThan(patternSpecificity('payments.transfer.international.*'));
  });

  it('ranks more literal text above less', () => {
    expect(patternSpecificity('email.bulk.*')).toBeGreaterThan(patternSpecificity('email.*'));
    expect(patternSpecificity('email.*')).toBeGreaterThan(patternSpecificity('*'));
    expect(patternSpecificity('payments.transfer')).toBeGreaterThan(patternSpecificity('payments.refund'));
  });

  it('prefers fewer wildcards for the same literal text', () => {
    expect(patternSpecificity('ab*')).toBeGreaterThan(patternSpecificity('a*b*'));
  });
});
