import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CliModule } from '../apps/cli/src';
import { CLI } from '../libs/audit/src';
import { createCountersignClient } from '../libs/client/src';
import { loadConfig } from '../libs/config/src';
import { TaxonomyService } from '../libs/taxonomy/src';
import { serveShopHttp } from '../examples/mcp-shop-server';
import { createMigratedDatabase } from '../test/support/database';
import { freePort, newAgent, newPerson } from '../test/support/harness';
import { benchEnv, dropRedisPrefix, percentile, spawnCountersign, waitForReady } from './support';

const ROOT = join(__dirname, '..', '..');
const CALLS = 400;
const ROUNDS = 3;
const WARM_UP = 50;
const PENDING = 1_000;
const SECRET_ENV = 'BENCH_GATEWAY_SECRET';

export interface GatewayFigures {
  calls: number;
  /** p50/p99 of an auto-approved tools/call through the gateway, and of the same call made to the upstream directly. */
  gatewayP50Ms: number;
  gatewayP99Ms: number;
  directP50Ms: number;
  directP99Ms: number;
  overheadP50Ms: number;
  /** What the gateway cannot go below: one auto-approved `POST /v1/approvals` from the same SDK, alone. */
  intakeP50Ms: number;
  pending: number;
  /** The gateway process: idle, holding every pending call, and once they were all cancelled. */
  rssMiB: { before: number; holding: number; after: number };
  fds: { before: number; holding: number; after: number };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'bench-agent', version: '1.0.0' });
  // A signal per request: the SDK passes its transport's one signal to every fetch, which keeps a listener per request.
  const perRequest = (input: string | URL, init?: RequestInit) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal]) : undefined });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: perRequest }));
  return client;
}

async function timeCalls(client: Client, name: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const result = await client.callTool({ name, arguments: { order_id: String(index) } });
    samples.push(performance.now() - started);
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  }
  return samples;
}

async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}: ${output}`)));
  });
}

/**
 * The MCP gateway (`countersign mcp-gateway`, its own process, from the build) in front of the sample shop: an
 * auto-approved lookup through the gateway against the same lookup sent to the shop directly, interleaved rounds of
 * one call at a time; then 1,000 refunds held open at once while no person decides, then cancelled by the client.
 */
export async function benchGateway(log: (message: string) => void): Promise<GatewayFigures> {
  const database = await createMigratedDatabase('bench_mcp');
  const { env, url } = benchEnv(database.url);
  const work = await mkdtemp(join(tmpdir(), 'countersign-bench-mcp-'));
  const shop = await serveShopHttp({});
  let api: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  const clients: Client[] = [];
  try {
    api = spawnCountersign('api', env);
    await waitForReady(url);
    const admin = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    await admin.get(TaxonomyService).apply(CLI, readFileSync(join(ROOT, 'examples', 'mcp-shop.taxonomy.yaml'), 'utf8'), 'bench');
    const person = await newPerson(admin, { permissions: ['*'] });
    const agent = await newAgent(admin, { capabilities: ['shop.*'], requestsPerMinute: 100_000_000, maxPending: 100_000 });
    await admin.close();

    const file = join(work, 'mapping.yaml');
    const port = await freePort();
    await writeFile(
      file,
      [
        `countersign: { url: "${url}", client_id: "${agent.clientId}", client_secret_env: ${SECRET_ENV} }`,
        `on_behalf_of: "${person.email}"`,
        `listen: { host: 127.0.0.1, port: ${port} }`,
        `upstreams: [{ name: shop, url: "${shop.url}", audience: "https://shop.internal" }]`,
        'tools:',
        '  - { tool: lookup_order, type: shop.order.lookup, resource: "order:{order_id}" }',
        '  - { tool: refund, type: shop.refund, resource: "order:{order_id}" }',
      ].join('\n'),
    );
    gateway = spawn(process.execPath, [join(ROOT, 'bin', 'countersign.js'), 'mcp-gateway', '--config', file], {
      env: { ...process.env, [SECRET_ENV]: agent.clientSecret },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const gatewayUrl = await waitForLine(gateway, /gateway: (http:\S+)/);
    const pid = gateway.pid!;

    log(`mcp-gateway: ${CALLS} auto-approved lookups through the gateway vs direct, ${ROUNDS} interleaved rounds...`);
    const direct = await connect(shop.url);
    const through = await connect(gatewayUrl);
    clients.push(direct, through);
    await timeCalls(direct, 'lookup_order', WARM_UP);
    await timeCalls(through, 'lookup_order', WARM_UP);
    const countersign = createCountersignClient({ baseUrl: url, clientId: agent.clientId, clientSecret: agent.clientSecret });
    const intake = async (count: number): Promise<number[]> => {
      const samples: number[] = [];
      for (let index = 0; index < count; index++) {
        const started = performance.now();
        const request = { action: { type: 'shop.order.lookup', resource: `order:i${index}`, args: { order_id: `i${index}` } } };
        await countersign.createApproval({ ...request, on_behalf_of: person.email, audience: 'https://shop.internal' });
        samples.push(performance.now() - started);
      }
      return samples;
    };
    await intake(WARM_UP);
    const directSamples: number[] = [];
    const gatewaySamples: number[] = [];
    const intakeSamples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      directSamples.push(...(await timeCalls(direct, 'lookup_order', CALLS)));
      gatewaySamples.push(...(await timeCalls(through, 'lookup_order', CALLS)));
      intakeSamples.push(...(await intake(CALLS)));
    }

    log(`mcp-gateway: ${PENDING} refunds held open by one gateway while nobody decides...`);
    const before = { rss: rssMiB(pid), fds: openFds(pid) };
    const controllers = Array.from({ length: PENDING }, () => new AbortController());
    const held = controllers.map((controller, index) =>
      through
        .callTool({ name: 'refund', arguments: { order_id: `p${index}`, amount: 500, currency: 'EUR' } }, undefined, {
          signal: controller.signal,
          timeout: 600_000,
        })
        .then(
          () => 'answered',
          () => 'cancelled',
        ),
    );
    // Held: every call has reached Countersign and waits in a long-poll (progress would not tell; the fds do).
    const deadline = Date.now() + 120_000;
    while (openFds(pid) < before.fds + PENDING && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const holding = { rss: rssMiB(pid), fds: openFds(pid) };
    for (const controller of controllers) controller.abort();
    const outcomes = await Promise.all(held);
    if (outcomes.some((outcome) => outcome !== 'cancelled')) throw new Error('a held refund was answered although nobody decided');
    // Connections to the API stay in the pool until Countersign's keep-alive timeout (72 s) closes them.
    const settle = Date.now() + 100_000;
    while (openFds(pid) > before.fds + 10 && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 250));
    const after = { rss: rssMiB(pid), fds: openFds(pid) };

    const gatewayP50Ms = percentile(gatewaySamples, 0.5);
    const directP50Ms = percentile(directSamples, 0.5);
    return {
      calls: CALLS * ROUNDS,
      gatewayP50Ms,
      gatewayP99Ms: percentile(gatewaySamples, 0.99),
      directP50Ms,
      directP99Ms: percentile(directSamples, 0.99),
      overheadP50Ms: gatewayP50Ms - directP50Ms,
      intakeP50Ms: percentile(intakeSamples, 0.5),
      pending: PENDING,
      rssMiB: { before: before.rss, holding: holding.rss, after: after.rss },
      fds: { before: before.fds, holding: holding.fds, after: after.fds },
    };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    gateway?.kill('SIGTERM');
    api?.kill('SIGTERM');
    await shop.close();
    await rm(work, { recursive: true, force: true });
    await dropRedisPrefix(env.REDIS_PREFIX!);
    await database.drop();
  }
}
