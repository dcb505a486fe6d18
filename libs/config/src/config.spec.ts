import { ConfigError, loadConfig } from './config';

const valid = {
  DATABASE_URL: 'postgres://localhost/countersign',
  REDIS_URL: 'redis://127.0.0.1:6379',
  COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'x'.repeat(32),
};

describe('loadConfig', () => {
  it('applies defaults and derives the public URL from the port', () => {
    const config = loadConfig({ ...valid, PORT: '4100' });
    expect(config.publicUrl).toBe('http://localhost:4100');
    expect(config.allowPrivateCallbackUrls).toBe(false);
  });

  it('lists every bad variable at once and never echoes a secret', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'nope', COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'short-secret-value', PORT: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL/);
    expect(problems).toMatch(/REDIS_URL/);
    expect(problems).toMatch(/COUNTERSIGN_KEY_ENCRYPTION_SECRET: must be at least 32/);
    expect(problems).toMatch(/PORT/);
    expect((error as Error).message).not.toContain('short-secret-value');
  });

  it('strips a trailing slash from PUBLIC_URL so token issuers compare exactly', () => {
    expect(loadConfig({ ...valid, PUBLIC_URL: 'https://approve.example.com/' }).publicUrl).toBe('https://approve.example.com');
  });
});
