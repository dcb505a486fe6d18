import { loadConfig } from '@countersign/config';
import { webRootFor, webSecurityHeaders } from './web-app';

const config = (env: Record<string, string> = {}) =>
  loadConfig({
    DATABASE_URL: 'postgres://localhost/x',
    REDIS_URL: 'redis://localhost',
    COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'x'.repeat(32),
    ...env,
  });

describe('the web app headers and root', () => {
  it('allows the live socket only to our own origin, ws over http and wss over https', () => {
    expect(webSecurityHeaders(config({ PUBLIC_URL: 'http://localhost:4100' }))['content-security-policy']).toContain(
      "connect-src 'self' ws://localhost:4100;",
    );
    const https = webSecurityHeaders(config({ PUBLIC_URL: 'https://approve.example.com' }))['content-security-policy'];
    expect(https).toContain("connect-src 'self' wss://approve.example.com;");
    expect(https).not.toContain('ws://');
  });

  it('forbids inline script, framing and foreign bases', () => {
    const policy = webSecurityHeaders(config())['content-security-policy'].split('; ');
    expect(policy).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "manifest-src 'self'",
      ]),
    );
    expect(policy.join(' ')).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('finds dist/web of the installation, or WEB_ROOT when set', () => {
    expect(webRootFor(config())).toMatch(/[\\/]dist[\\/]web$/);
    expect(webRootFor(config({ WEB_ROOT: '/srv/countersign-web' }))).toBe('/srv/countersign-web');
  });
});
