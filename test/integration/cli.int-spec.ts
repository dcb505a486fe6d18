import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentAccessToken,
  call,
  newAgent,
  newPerson,
  type RunningApi,
  startApi,
  TEST_REDIS_URL,
  testEnv,
  withClient,
} from '@countersign/testing';
import { loadConfig } from '@countersign/config';
import { cli } from './run-cli';

describe('the countersign CLI', () => {
  const saved = { ...process.env };

  beforeAll(() => {
    process.env.DATABASE_URL = process.env.COUNTERSIGN_TEST_DATABASE_URL;
    process.env.REDIS_URL = TEST_REDIS_URL;
    process.env.COUNTERSIGN_KEY_ENCRYPTION_SECRET = 'cli-suite-secret-0123456789abcdefghij';
  });
  afterAll(() => {
    process.env = saved;
  });

  it('creates an agent and prints its secret once, as JSON with --json', async () => {
    const name = `cli-agent-${Date.now()}`;
    const created = await cli(
      '--json',
      'agents',
      'create',
      '--name',
      name,
      '--capabilities',
      'email.*,payments.transfer',
      '--callback-secret',
    );
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as Record<string, unknown>;
    // One naming style, the HTTP API's: snake_case throughout (it mixed clientId with client_secret).
    expect(Object.keys(body).sort()).toEqual([
      'callback_secret',
      'capabilities',
      'ciba',
      'client_id',
      'client_secret',
      'created_at',
      'id',
      'max_pending',
      'name',
      'requests_per_minute',
      'status',
    ]);
    expect(body.client_secret).toMatch(/^cs_secret_/);
    expect(body.callback_secret).toMatch(/^cs_callback_/);
    expect(body.capabilities).toEqual(['email.*', 'payments.transfer']);
    expect(body.ciba).toBeNull();
    const listed = await cli('--json', 'agents', 'list');
    const agents = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const mine = agents.find((agent) => agent.name === name)!;
    expect(mine).toBeDefined();
    expect(JSON.stringify(agents)).not.toContain(body.client_secret);
    const suspended = await cli('--json', 'agents', 'suspend', name, '--reason', 'test');
    expect(JSON.parse(suspended.stdout)).toMatchObject({ status: 'suspended' });
  });

  it('prints every failure as one line on stderr (one JSON object with --json) and exits 1', async () => {
    const missing = await cli('taxonomy', 'lint', '/nonexistent/taxonomy.yaml');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: /nonexistent/taxonomy.yaml: no such file or directory\n' });
    const usage = await cli('agents', 'create', '--capabilities', 'email.*');
    expect(usage).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: required option '--name <name>' not specified (see `countersign --help`)\n",
    });
    const unknown = await cli('agents', 'explode');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const json = await cli('--json', 'taxonomy', 'lint', '/nonexistent/taxonomy.yaml');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'enoent', message: '/nonexistent/taxonomy.yaml: no such file or directory' },
    });
    const jsonUsage = await cli('--json', 'people', 'add', '--role', 'member');
    expect(JSON.parse(jsonUsage.stderr)).toMatchObject({
      error: { code: 'usage', message: expect.stringContaining("'--email <email>'") as string },
    });
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: countersign');
  });

  it('refuses alike, in one sentence, when DATABASE_URL is set without COUNTERSIGN_KEY_ENCRYPTION_SECRET: start and admin commands', async () => {
    delete process.env.COUNTERSIGN_KEY_ENCRYPTION_SECRET;
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'countersign-cli-secret-')));
    try {
      for (const command of [['start'], ['agents', 'list'], ['people', 'add', '--email', 'nobody@example.com', '--role', 'member']]) {
        const refused = await cli(...command);
        expect({ command, ...refused }).toEqual({
          command,
          code: 1,
          stdout: '',
          stderr: expect.stringMatching(
            /^error: COUNTERSIGN_KEY_ENCRYPTION_SECRET is not set: with DATABASE_URL set it is required \(at least 32 characters[^\n]*\n$/,
          ) as string,
        });
      }
      // Nothing was generated or started in the directory.
      expect(existsSync('.countersign')).toBe(false);
    } finally {
      process.chdir(cwd);
      process.env.COUNTERSIGN_KEY_ENCRYPTION_SECRET = 'cli-suite-secret-0123456789abcdefghij';
    }
  });

  it('refuses a numeric option that is not a whole number in its range, naming the option, and does nothing', async () => {
    const name = `cli-numbers-${Date.now()}`;
    const create = (option: string, value: string) => cli('agents', 'create', '--name', name, '--capabilities', 'email.*', option, value);
    for (const [refused, option, range] of [
      [await create('--max-pending', '-5'), '--max-pending <n>', '1 to 2147483647'],
      [await create('--requests-per-minute', '1e3'), '--requests-per-minute <n>', '1 to 2147483647'],
      [await create('--requests-per-minute', '1.5'), '--requests-per-minute <n>', '1 to 2147483647'],
      [await create('--max-pending', '0'), '--max-pending <n>', '1 to 2147483647'],
      [await cli('taxonomy', 'unknown', '--days', 'abc'), '--days <n>', '1 to 3650'],
      [await cli('taxonomy', 'unknown', '--days', '99999'), '--days <n>', '1 to 3650'],
      [await cli('taxonomy', 'replay', 'taxonomy/default.yaml', '--last', '1e3'), '--last <n>', '1 to 1000000'],
      [await cli('taxonomy', 'replay', 'taxonomy/default.yaml', '--days', ''), '--days <n>', '1 to 3650'],
    ] as const) {
      expect(refused).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(
          new RegExp(`^error: option '${option}' argument '.*' is invalid\\. must be a whole number from ${range} `),
        ),
      });
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    }
    const json = await cli('--json', 'taxonomy', 'unknown', '--days', '7days');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'usage', message: expect.stringContaining("option '--days <n>' argument '7days' is invalid") },
    });
    // None of the refused creations made the agent; a whole number in range does.
    expect(
      (JSON.parse((await cli('--json', 'agents', 'list')).stdout) as Array<{ name: string }>).some((agent) => agent.name === name),
    ).toBe(false);
    const created = await cli(
      '--json',
      'agents',
      'create',
      '--name',
      name,
      '--capabilities',
      'email.*',
      '--max-pending',
      '25',
      '--requests-per-minute',
      '600',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ max_pending: 25, requests_per_minute: 600 });
  });

  it('refuses bad input with a clear message and exit code 1', async () => {
    const duplicate = await cli('people', 'add', '--email', 'not-an-email', '--role', 'member');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('not an email address');
    const role = await cli('people', 'add', '--email', 'x@example.com', '--role', 'overlord');
    expect(role.code).toBe(1);
    expect(role.stderr).toContain('role must be one of');
  });

  it('applies a valid taxonomy as a new version and refuses an invalid one with line numbers, applying nothing', async () => {
    const latest = () =>
      withClient(
        process.env.COUNTERSIGN_TEST_DATABASE_URL!,
        async (client) =>
          (await client.query<{ max: number | null }>('SELECT max(version)::int AS max FROM taxonomy_versions')).rows[0].max ?? 0,
      );
    const before = await latest();
    const directory = mkdtempSync(join(tmpdir(), 'countersign-cli-'));
    const invalid = join(directory, 'bad.yaml');
    writeFileSync(invalid, 'unknown_action: critical\ntiers:\n  low: { decision: maybe }\n');
    const refused = await cli('taxonomy', 'apply', invalid);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/line \d+/);
    expect(await latest()).toBe(before);
    const valid = join(directory, 'good.yaml');
    const { readFileSync } = await import('node:fs');
    const { findDefaultTaxonomyPath } = await import('@countersign/domain');
    writeFileSync(valid, readFileSync(findDefaultTaxonomyPath(), 'utf8'));
    const applied = await cli('--json', 'taxonomy', 'apply', valid, '--comment', 'cli test');
    expect(applied.code).toBe(0);
    expect((JSON.parse(applied.stdout) as { version: number }).version).toBe(before + 1);
  });

  it('pulls the kill switch as the API does when Redis answers: a waiting long-poll on another instance hears of it at once', async () => {
    const env = testEnv();
    const api = await startApi(loadConfig(env));
    try {
      const { agent, token, created } = await pendingTransfer(api);
      const started = Date.now();
      const waiting = call<{ status: string }>(`${api.url}/v1/approvals/${created.body.id}?wait=30`, { token });
      await new Promise((resolve) => setTimeout(resolve, 300));

      process.env.REDIS_PREFIX = env.REDIS_PREFIX;
      const suspended = await cli('--json', 'agents', 'suspend', agent.clientId, '--reason', 'kill switch from the CLI');
      expect(suspended).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(suspended.stdout)).toMatchObject({ status: 'suspended', cancelled_approvals: [created.body.id] });
      // Without Redis the long-poll would hold its full 30 s; through it, the waiting agent is answered at once.
      expect((await waiting).body.status).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      delete process.env.REDIS_PREFIX;
      await api.close();
    }
  });

  it('agents create takes the CIBA settings, checked by the agents service', async () => {
    const name = `cli-ciba-${Date.now()}`;
    const created = await cli(
      '--json',
      'agents',
      'create',
      '--name',
      name,
      '--capabilities',
      'payments.*',
      '--ciba-mode',
      'poll',
      '--ciba-types',
      'payments.refund, payments.transfer',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      ciba: { delivery_mode: 'poll', notification_endpoint: null, authorization_details_types: ['payments.refund', 'payments.transfer'] },
    });
    const pingWithout = await cli(
      '--json',
      'agents',
      'create',
      '--name',
      `${name}-ping`,
      '--capabilities',
      'payments.*',
      '--ciba-mode',
      'ping',
      '--ciba-types',
      'payments.refund',
    );
    expect(pingWithout.code).toBe(1);
    expect(JSON.parse(pingWithout.stderr)).toMatchObject({
      error: { code: 'invalid_request', message: 'ping mode needs a notification endpoint' },
    });
    const typesWithoutMode = await cli(
      'agents',
      'create',
      '--name',
      `${name}-x`,
      '--capabilities',
      'payments.*',
      '--ciba-types',
      'payments.refund',
    );
    expect(typesWithoutMode.code).toBe(1);
    expect(typesWithoutMode.stderr).toContain('--ciba-mode');
  });

  it('still suspends when Redis cannot be reached (nothing pending, so nothing to tell: exit 0)', async () => {
    const name = `cli-agent-noredis-${Date.now()}`;
    expect((await cli('agents', 'create', '--name', name, '--capabilities', 'email.*')).code).toBe(0);
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    try {
      const suspended = await cli('--json', 'agents', 'suspend', name);
      expect(JSON.parse(suspended.stdout)).toMatchObject({ status: 'suspended', cancelled_approvals: [] });
      expect(suspended.code).toBe(0);
    } finally {
      process.env.REDIS_URL = TEST_REDIS_URL;
    }
  });

  it('suspends and cancels without Redis, but says the waiting agents are not told and exits 1', async () => {
    const env = testEnv();
    const api = await startApi(loadConfig(env));
    try {
      const { agent, token, created } = await pendingTransfer(api);

      process.env.REDIS_URL = 'redis://127.0.0.1:1';
      const suspended = await cli('--json', 'agents', 'suspend', agent.clientId, '--reason', 'kill switch, Redis down');
      expect(suspended.code).toBe(1);
      expect(JSON.parse(suspended.stdout)).toMatchObject({ status: 'suspended', cancelled_approvals: [created.body.id] });
      expect(suspended.stderr).toContain('could not be reached');
      expect(suspended.stderr).toContain('1 cancelled approval(s)');
      // The kill switch stood all the same: the approval is cancelled and the agent's access token is refused.
      const status = await withClient(
        process.env.COUNTERSIGN_TEST_DATABASE_URL!,
        async (client) =>
          (await client.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [created.body.id])).rows[0].status,
      );
      expect(status).toBe('cancelled');
      expect((await call(`${api.url}/v1/approvals/${created.body.id}`, { token })).status).toBe(401);
    } finally {
      process.env.REDIS_URL = TEST_REDIS_URL;
      await api.close();
    }
  });

  it('verifies the audit chain', async () => {
    const verified = await cli('--json', 'audit', 'verify');
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  });
});

/** An agent with a transfer waiting for its person: what the kill switch has to cancel. */
async function pendingTransfer(
  api: RunningApi,
): Promise<{ agent: { clientId: string }; token: string; created: { body: { id: string } } }> {
  const person = await newPerson(api.app, { permissions: ['payments.*'] });
  const agent = await newAgent(api.app, { capabilities: ['payments.*'] });
  const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  const created = await call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
    method: 'POST',
    token,
    body: {
      action: { type: 'payments.transfer', resource: 'account:ops', args: { amount: 500, currency: 'EUR' } },
      on_behalf_of: person.email,
    },
  });
  expect(created.body.status).toBe('pending');
  return { agent, token, created };
}
