import { safeReturnPath } from './sso.service';

describe('safeReturnPath (where single sign-on lands)', () => {
  it('keeps a path on this site, with its query', () => {
    expect(safeReturnPath('/approvals/abc?x=1')).toBe('/approvals/abc?x=1');
    expect(safeReturnPath('/settings#passkeys')).toBe('/settings#passkeys');
  });

  it('anything else is the inbox: absent, another site, scheme-relative, backslash tricks, control characters', () => {
    for (const next of [
      undefined,
      '',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'inbox',
      '/a\r\nSet-Cookie: x=1',
      '/\tx',
    ]) {
      expect({ next, path: safeReturnPath(next) }).toEqual({ next, path: '/inbox' });
    }
  });
});
