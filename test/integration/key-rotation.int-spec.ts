import { decodeProtectedHeader } from 'jose';
import { loadConfig } from '@countersign/config';
import { MAX_TOKEN_TTL_SECONDS } from '@countersign/domain';
import { agentAccessToken, createMigratedDatabase, newAgent, type RunningApi, startApi, testEnv, withClient } from '@countersign/testing';
import { cli } from './run-cli';

type Rotated = { kid: string; retired: string | null; announced_to: number | null };

/**
 * Issue 14, finding 6: after `countersign keys rotate`, every running instance signs with the new key within a
 * second (the rotation is announced through Redis; each process's 30 s key cache is only the fallback), and the
 * retired key stays in the JWKS for as long as its tokens can live.
 */
describe('key rotation across running instances', () => {
  const saved = { ...process.env };
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let env: Record<string, string>;
  let first: RunningApi;
  let second: RunningApi;
  let agent: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    // A database of its own: rotating keys in the shared one would change the key other suites' tokens carry.
    database = await createMigratedDatabase('keyrotation');
    env = testEnv({ DATABASE_URL: database.url, PUBLIC_URL: 'http://countersign.test' });
    // Two instances of one deployment (same database, same Redis prefix), as the CLI sees it too.
    const config = loadConfig(env);
    first = await startApi(config);
    second = await startApi(config);
    agent = await newAgent(first.app);
  });
  afterAll(async () => {
    process.env = saved;
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  const kidOfTokenFrom = async (api: RunningApi) =>
    decodeProtectedHeader(await agentAccessToken(api.url, agent.clientId, agent.clientSecret)).kid;
  const rotate = async (overrides: Record<string, string> = {}) => {
    process.env = { ...saved, ...env, ...overrides };
    try {
      return await cli('--json', 'keys', 'rotate');
    } finally {
      process.env = saved;
    }
  };
  const jwksKids = async (api: RunningApi) =>
    ((await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

  it('makes every instance sign with the new key within a second, and keeps the retired key in the JWKS', async () => {
    // Both instances have the current key cached: without the announcement they would sign with it for 30 s.
    const before = await kidOfTokenFrom(first);
    expect(await kidOfTokenFrom(second)).toBe(before);

    const rotation = await rotate();
    expect(rotation.stderr).toBe('');
    expect(rotation.code).toBe(0);
    const rotated = JSON.parse(rotation.stdout) as Rotated;
    expect(rotated.retired).toBe(before);
    expect(rotated.announced_to).toBeGreaterThanOrEqual(2);

    for (const api of [second, first]) {
      const deadline = Date.now() + 1_000;
      let kid = await kidOfTokenFrom(api);
      while (kid !== rotated.kid && Date.now() < deadline) kid = await kidOfTokenFrom(api);
      expect(kid).toBe(rotated.kid);
    }

    expect(await jwksKids(second)).toEqual(expect.arrayContaining([rotated.kid, before]));
    // Published for longer than any token it signed can live: the taxonomy's bound on token_ttl, plus skew.
    const publishedFor = await withClient(database.url, async (client) =>
      Number(
        (
          await client.query<{ seconds: string }>(
            `SELECT extract(epoch FROM publish_until - now()) AS seconds FROM signing_keys WHERE kid = $1`,
            [before],
          )
        ).rows[0].seconds,
      ),
    );
    expect(publishedFor).toBeGreaterThan(MAX_TOKEN_TTL_SECONDS);
  });

  it('says so, and exits 1, when Redis cannot be reached to announce it; the rotation itself stands', async () => {
    const before = await kidOfTokenFrom(first);
    // Nothing listens on port 1.
    const rotation = await rotate({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(rotation.code).toBe(1);
    const rotated = JSON.parse(rotation.stdout) as Rotated;
    expect(rotated).toMatchObject({ retired: expect.any(String), announced_to: null });
    expect(rotation.stderr).toMatch(
      new RegExp(`warning: the new key ${rotated.kid} is active, but Redis \\(REDIS_URL\\) could not be reached`),
    );
    expect(rotation.stderr).toMatch(/within 30 s/);
    const active = await withClient(
      database.url,
      async (client) => (await client.query<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'active'`)).rows[0].kid,
    );
    expect(active).toBe(rotated.kid);
    expect(active).not.toBe(before);
  });
});
