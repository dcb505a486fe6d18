import { parseDuration } from './duration';
import { DomainError } from './errors';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86_400],
    ['90m', 5400],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '5', 'm', '0s', '-5m', '1.5h', '5 m', '5M', '1w', '5m30s', ' 5m', '01m', '1234567890s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DomainError);
  });
});
