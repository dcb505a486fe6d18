import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { newAgent, newResourceServer, type PersonBrowser, type RunningApi, signedInPerson, startApi } from '@countersign/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PACKAGES = ['client', 'enforcement'] as const;
/** npm reaches the registry for jose and canonicalize; a slow mirror must not be mistaken for a hang. */
const INSTALL_TIMEOUT_MS = 180_000;

/** What the consumer scripts get: everything a real agent and a real downstream service would be configured with. */
interface LoopConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  person: string;
  verifier: { issuer: string; audience: string; jwksUri: string; consumeUrl: string; clientId: string; clientSecret: string };
}

interface LoopResult {
  status: string;
  longPolls: number;
  verified: { approvalId: string; subject: string; actor: string; tier: string };
  secondVerify: string;
}

// The same loop twice, once per module system; only the way the packages are loaded differs.
const LOOP_BODY = `
const config = JSON.parse(process.env.LOOP_CONFIG);
const action = JSON.parse(process.env.LOOP_ACTION);
let longPolls = 0;
const countersign = createCountersignClient({
  baseUrl: config.baseUrl,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  // Tell the test when the agent sits in a long-poll, so the person decides while it waits.
  fetch: (url, init) => {
    if (/\\/v1\\/approvals\\/[^/?]+\\?wait=/.test(String(url))) {
      longPolls += 1;
      process.stdout.write('long-poll\\n');
    }
    return fetch(url, init);
  },
});
const outcome = await countersign.requestApproval(
  { action, on_behalf_of: config.person, audience: config.verifier.audience, reason: 'SDK package test' },
  { timeoutMs: 60_000 },
);
if (outcome.status !== 'approved') throw new Error('not approved: ' + outcome.status);
const verifier = createApprovalVerifier({
  issuer: config.verifier.issuer,
  audience: config.verifier.audience,
  jwksUri: config.verifier.jwksUri,
  consume: { kind: 'online', url: config.verifier.consumeUrl, clientId: config.verifier.clientId, clientSecret: config.verifier.clientSecret },
});
const verified = await verifier.verify(outcome.approvalToken, action);
const second = await verifier.verify(outcome.approvalToken, action).then(
  () => 'accepted twice',
  (error) => (isApprovalTokenError(error) ? error.code : 'unexpected ' + String(error)),
);
process.stdout.write(JSON.stringify({
  status: outcome.status,
  longPolls,
  verified: { approvalId: verified.approvalId, subject: verified.subject, actor: verified.actor, tier: verified.risk.tier },
  secondVerify: second,
}) + '\\n');
`;

const CJS_SCRIPT = `'use strict';
const { createCountersignClient } = require('@countersign/client');
const { createApprovalVerifier, isApprovalTokenError } = require('@countersign/enforcement');
(async () => {${LOOP_BODY}})().catch((error) => { console.error(error); process.exit(1); });
`;

const ESM_SCRIPT = `import { createCountersignClient } from '@countersign/client';
import { createApprovalVerifier, isApprovalTokenError } from '@countersign/enforcement';
${LOOP_BODY}`;

// Type-checked against the installed declarations; each @ts-expect-error proves the types are real, not `any`.
const TYPED_CONSUMER = (load: 'import' | 'require') => `${
  load === 'import'
    ? `import { createCountersignClient, CountersignError, type ApprovalOutcome } from '@countersign/client';
import { createApprovalVerifier, isApprovalTokenError, type VerifiedApproval } from '@countersign/enforcement';`
    : `import countersignClient = require('@countersign/client');
import enforcement = require('@countersign/enforcement');
const { createCountersignClient, CountersignError } = countersignClient;
const { createApprovalVerifier, isApprovalTokenError } = enforcement;
type ApprovalOutcome = countersignClient.ApprovalOutcome;
type VerifiedApproval = enforcement.VerifiedApproval;`
}

export async function approveAndVerify(): Promise<VerifiedApproval | undefined> {
  const client = createCountersignClient({ baseUrl: 'https://countersign.example.com', clientId: 'agt_1', clientSecret: 's' });
  const action = { type: 'payments.refund', resource: 'order:1', args: { amount: 20 } };
  let outcome: ApprovalOutcome;
  try {
    outcome = await client.requestApproval({ action, on_behalf_of: 'alice@example.com', audience: 'https://payments.internal' });
  } catch (error) {
    if (error instanceof CountersignError) return undefined;
    throw error;
  }
  // @ts-expect-error only an approved outcome carries a token
  void outcome.approvalToken;
  if (outcome.status !== 'approved') return undefined;
  const verifier = createApprovalVerifier({
    issuer: 'https://countersign.example.com',
    audience: 'https://payments.internal',
    jwksUri: 'https://countersign.example.com/.well-known/jwks.json',
    consume: { kind: 'online', url: 'https://countersign.example.com/v1/approval-tokens/consume', clientId: 'rs_1', clientSecret: 's' },
  });
  // @ts-expect-error single use cannot be configured away
  createApprovalVerifier({ issuer: 'i', audience: 'a', jwksUri: 'https://x.example/jwks', consume: { kind: 'none' } });
  try {
    return await verifier.verify(outcome.approvalToken, action);
  } catch (error) {
    if (isApprovalTokenError(error, 'already_consumed')) return undefined;
    throw error;
  }
}
`;

/** Runs a consumer script as its own process; stdout lines are handed over as they arrive. */
function runScript(
  cwd: string,
  file: string,
  env: Record<string, string>,
  onLine: (line: string) => void = () => undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
    let stdout = '';
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${file} exited with ${code}:\n${stderr}\n${stdout}`))));
  });
}

function resultOf(stdout: string): LoopResult {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoopResult;
}

describe('the SDK packages, packed and installed as a user would', () => {
  let work: string;
  let project: string;
  let api: RunningApi;
  let person: { id: string; email: string };
  let browser: PersonBrowser;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let config: LoopConfig;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'countersign-sdk-'));
    project = join(work, 'project');
    const tarballs: string[] = [];
    for (const name of PACKAGES) {
      // The package's prepack builds it: the tarball holds what the sources say now, not an older dist/.
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: join(ROOT, 'libs', name),
        timeout: INSTALL_TIMEOUT_MS,
      });
      const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
      tarballs.push(join(work, packed.filename));
    }
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'sdk-consumer', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs], {
      cwd: project,
      timeout: INSTALL_TIMEOUT_MS,
    });
    await writeFile(join(project, 'loop.cjs'), CJS_SCRIPT);
    await writeFile(join(project, 'loop.mjs'), ESM_SCRIPT);

    api = await startApi();
    ({ person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*', 'chat.*'] }));
    agent = await newAgent(api.app, { capabilities: ['payments.*', 'chat.*'] });
    const server = await newResourceServer(api.app);
    config = {
      baseUrl: api.url,
      clientId: agent.clientId,
      clientSecret: agent.clientSecret,
      person: person.email,
      verifier: {
        issuer: api.config.publicUrl,
        audience: server.audience,
        jwksUri: `${api.url}/.well-known/jwks.json`,
        consumeUrl: `${api.url}/v1/approval-tokens/consume`,
        clientId: server.clientId,
        clientSecret: server.clientSecret,
      },
    };
  }, INSTALL_TIMEOUT_MS * 2);

  afterAll(async () => {
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs with jose and canonicalize as the only dependencies, and loads nothing else of the tree', async () => {
    expect((await readdir(join(project, 'node_modules'))).filter((entry) => !entry.startsWith('.')).sort()).toEqual([
      '@countersign',
      'canonicalize',
      'jose',
    ]);
    for (const name of PACKAGES) {
      const installed = join(project, 'node_modules', '@countersign', name);
      const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { license: string; sideEffects: boolean };
      expect(manifest).toMatchObject({ license: 'Apache-2.0', sideEffects: false });
      expect(await readFile(join(installed, 'LICENSE'), 'utf8')).toContain('Apache License');
      for (const kind of ['esm', 'cjs']) {
        for (const file of (await readdir(join(installed, 'dist', kind))).filter((entry) => entry.endsWith('.js'))) {
          const source = await readFile(join(installed, 'dist', kind, file), 'utf8');
          const specifiers = [...source.matchAll(/(?:from\s+|require\()["']([^"']+)["']/g)].map((match) => match[1]);
          for (const specifier of specifiers) expect(specifier).toMatch(/^(node:[a-z_]+|jose|canonicalize|\.\/[a-z-]+\.js)$/);
        }
      }
    }
  });

  it('CommonJS: an auto-approved request gets a token the verifier accepts once', async () => {
    const action = { type: 'payments.refund', resource: 'order:1001', args: { amount: 20, currency: 'EUR' } };
    const stdout = await runScript(project, 'loop.cjs', { LOOP_CONFIG: JSON.stringify(config), LOOP_ACTION: JSON.stringify(action) });
    const result = resultOf(stdout);
    expect(result).toEqual({
      status: 'approved',
      longPolls: 0,
      verified: { approvalId: expect.stringMatching(/\S/), subject: person.id, actor: agent.clientId, tier: 'low' },
      secondVerify: 'already_consumed',
    });
  });

  it('ESM: the agent long-polls while the person approves, then the token verifies once', async () => {
    // Compensable and team-wide: medium in the default taxonomy, one approval by the person, no step-up.
    const action = { type: 'chat.message.send', resource: 'channel:#ops', args: { channel: '#ops', text: 'Deploy at 15:00' } };
    let decided: Promise<unknown> | undefined;
    const stdout = await runScript(
      project,
      'loop.mjs',
      { LOOP_CONFIG: JSON.stringify(config), LOOP_ACTION: JSON.stringify(action) },
      (line) => {
        if (line !== 'long-poll' || decided) return;
        decided = (async () => {
          // Give the long-poll a moment to reach the API, so the decision wakes a waiting request.
          await new Promise((resolve) => setTimeout(resolve, 250));
          const inbox = await browser.request<{ approvals: Array<{ id: string; tier: string }> }>('GET', '/v1/me/approvals');
          const pending = inbox.body.approvals.find((item) => item.tier === 'medium');
          if (!pending) throw new Error(`no pending medium approval in the inbox: ${JSON.stringify(inbox.body)}`);
          const decision = await browser.decide(pending.id, 'approve');
          if (decision.status !== 200) throw new Error(`decision answered ${decision.status}: ${JSON.stringify(decision.body)}`);
          return pending.id;
        })();
        decided.catch(() => undefined); // awaited below; keep an early failure from being reported as unhandled
      },
    );
    expect(decided).toBeDefined();
    const approvalId = await decided;
    const result = resultOf(stdout);
    expect(result).toEqual({
      status: 'approved',
      longPolls: expect.any(Number),
      verified: { approvalId, subject: person.id, actor: agent.clientId, tier: 'medium' },
      secondVerify: 'already_consumed',
    });
    expect(result.longPolls).toBeGreaterThanOrEqual(1);
  });

  it('type-checks a consumer against the installed declarations, for import and for require', async () => {
    await writeFile(join(project, 'consumer-esm.mts'), TYPED_CONSUMER('import'));
    await writeFile(join(project, 'consumer-cjs.cts'), TYPED_CONSUMER('require'));
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer-esm.mts', 'consumer-cjs.cts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    // tsc reports errors on stdout and exits non-zero: show them rather than just the exit code.
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: INSTALL_TIMEOUT_MS }).catch(
      (error: { stdout?: string }) => error,
    );
    expect(checked.stdout).toBe('');
  });
});
