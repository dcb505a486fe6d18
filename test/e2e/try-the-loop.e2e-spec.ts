import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '@countersign/testing';

const REPOSITORY = resolve(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 90_000;

/**
 * The README's "Try the loop", run as a newcomer runs it: `npx countersign start` with nothing configured
 * (embedded PGlite, the local Redis, a generated secret) in an empty directory, then the section's shell blocks
 * word for word through bash, curl and jq, SDK examples included. The only edits are the ports (3000 and 4000
 * may be taken on a test machine) and a Redis key prefix of the test's own.
 */
describe("the README's Try the loop, on the embedded defaults", () => {
  const directory = mkdtempSync(join(tmpdir(), 'countersign-loop-'));
  const prefix = `cs-test-loop-${randomBytes(4).toString('hex')}`;
  let apiPort: number;
  let server: ChildProcess | undefined;
  let serverLog = '';

  const environment = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(apiPort),
      REDIS_PREFIX: prefix,
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    // Nothing configured: the evaluation run fills these in itself.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'COUNTERSIGN_KEY_ENCRYPTION_SECRET', 'COUNTERSIGN_TEST_DATABASE_URL', 'PUBLIC_URL'])
      delete env[name];
    return env;
  };

  beforeAll(async () => {
    if (
      !existsSync(join(REPOSITORY, 'dist', 'apps', 'cli', 'src', 'main.js')) ||
      !existsSync(join(REPOSITORY, 'dist', 'examples', 'agent.js'))
    ) {
      throw new Error('Countersign is not built: `npm test` builds it first; run `npm run build` before this suite alone');
    }
    // What a clone looks like from where the README's commands run: `npx countersign`, examples/ and dist/.
    mkdirSync(join(directory, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(REPOSITORY, 'bin', 'countersign.js'), join(directory, 'node_modules', '.bin', 'countersign'));
    symlinkSync(join(REPOSITORY, 'examples'), join(directory, 'examples'));
    symlinkSync(join(REPOSITORY, 'dist'), join(directory, 'dist'));
    apiPort = await freePort();

    // Its own process group: npx runs the server as a child of its own, and both must end with the suite.
    server = spawn('npx', ['countersign', 'start'], {
      cwd: directory,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    server.stdout!.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`countersign start exited with ${server.exitCode}:\n${serverLog.slice(-4000)}`);
      const ready = await fetch(`http://127.0.0.1:${apiPort}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(`countersign start did not become ready in ${STARTUP_TIMEOUT_MS / 1000} s:\n${serverLog.slice(-4000)}`);
      await delay(250);
    }
  }, STARTUP_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const closed = new Promise((resolve) => server!.once('close', resolve));
      signalGroup(server, 'SIGTERM');
      if ((await Promise.race([closed.then(() => 'closed'), delay(20_000)])) !== 'closed') signalGroup(server, 'SIGKILL');
    }
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    rmSync(directory, { recursive: true, force: true });
  }, 40_000);

  it('runs every command of the section as written: the low refund is approved, the SDK agent gets its transfer executed', async () => {
    const downstreamPort = await freePort();
    const blocks = readmeBlocks('## Try the loop').map((block) =>
      block
        .replaceAll('localhost:3000', `localhost:${apiPort}`)
        .replaceAll(':4000', `:${downstreamPort}`)
        .replaceAll('PORT=4000', `PORT=${downstreamPort}`),
    );
    expect(blocks).toHaveLength(2);
    // The variables the blocks set, printed afterwards for the checks below (a reader keeps them in their shell).
    const script = ['set -euo pipefail', ...blocks, 'echo "LOOP_CLIENT_ID=$CLIENT_ID"', 'echo "LOOP_CLIENT_SECRET=$CLIENT_SECRET"'].join(
      '\n',
    );
    const run = await bash(script, directory, environment());

    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/Added alice@example\.com \(approver\)/);
    expect(run.stdout).toMatch(new RegExp(`enrollment link \\(once, until [^)]+\\): http://localhost:${apiPort}/enroll#token=`));

    const refund = JSON.parse(run.stdout.split('\n').find((line) => line.startsWith('{"id"'))!) as {
      status: string;
      approval_token?: string;
      classification: { tier: string };
    };
    expect(refund).toMatchObject({ status: 'approved', classification: { tier: 'low' } });
    expect(refund.approval_token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    expect(run.stdout).toMatch(/Applied examples\/try-the-loop\.taxonomy\.yaml as taxonomy version 2/);
    expect(run.stdout).toContain('Transfer on account:ops-eur: {"amount":25');
    expect(run.stdout).toMatch(/Payments service answered 200: \{"status":"executed"/);

    // The prose's other claim: a €500 refund stays pending, for a person with a passkey.
    const clientId = /LOOP_CLIENT_ID=(\S+)/.exec(run.stdout)![1];
    const clientSecret = /LOOP_CLIENT_SECRET=(\S+)/.exec(run.stdout)![1];
    const token = (await (
      await fetch(`http://127.0.0.1:${apiPort}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string };
    const large = await fetch(`http://127.0.0.1:${apiPort}/v1/approvals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: { type: 'payments.refund', resource: 'order:1001', args: { amount: 500, currency: 'EUR' } },
        on_behalf_of: 'alice@example.com',
      }),
    });
    expect(large.status).toBe(201);
    expect(await large.json()).toMatchObject({ status: 'pending', classification: { tier: 'high' }, requirement: { step_up: 'passkey' } });
  }, 180_000);
});

/** The ```sh blocks of the README section that starts with `heading`. */
function readmeBlocks(heading: string): string[] {
  const readme = readFileSync(join(REPOSITORY, 'README.md'), 'utf8');
  const start = readme.indexOf(heading);
  const section = readme.slice(start, readme.indexOf('\n## ', start + heading.length));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** Runs a script in its own process group, and ends the group afterwards (the payments service runs in the background). */
async function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  // 'exit', not 'close': the background service holds the pipes open until the group is ended.
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)).once('error', () => resolve(null)),
  );
  signalGroup(child, 'SIGTERM');
  await closed;
  return { code, stdout, stderr };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group has ended already.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
