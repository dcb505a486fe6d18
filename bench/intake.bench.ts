import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { AgentsService } from '../libs/agents/src';
import { CLI } from '../libs/audit/src';
import { loadConfig } from '../libs/config/src';
import { PeopleService } from '../libs/people/src';
import { CliModule } from '../apps/cli/src';
import { createMigratedDatabase } from '../test/support/database';
import { benchEnv, dropRedisPrefix, spawnCountersign, waitForReady } from './support';

const CONNECTIONS = 50;
const DURATION_SECONDS = 10;
const POOL_SIZE = 20;

export interface IntakeFigures {
  intakePerSecond: number;
  intakeP99Ms: number;
  intakeErrors: number;
  ceilingPerSecond: number;
  ceilingP99Ms: number;
  apiRssMiB: number;
}

/** (a) intake through the real API (its own process) vs (ceiling) the same row inserted by a bare pg pool. */
export async function benchIntake(log: (message: string) => void): Promise<IntakeFigures> {
  const database = await createMigratedDatabase('bench');
  const { env, url } = benchEnv(database.url, { DATABASE_POOL_SIZE: String(POOL_SIZE), DEFAULT_AGENT_REQUESTS_PER_MINUTE: '100000000' });
  let api: ChildProcess | undefined;
  try {
    api = spawnCountersign('api', env);
    await waitForReady(url);

    const admin = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    const person = await admin.get(PeopleService).add(CLI, { email: 'bench@example.com', role: 'member', permissions: ['*'] });
    const agent = await admin.get(AgentsService).create(CLI, { name: 'bench-agent', capabilities: ['*'] });
    await admin.close();
    const tokenResponse = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${agent.agent.clientId}&client_secret=${agent.clientSecret}`,
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    // A low-tier refund: validated, classified, stored as approved with its audit events and a freshly minted token.
    const body = JSON.stringify({
      action: { type: 'payments.refund', resource: 'order:1', args: { amount: 20, currency: 'EUR' } },
      on_behalf_of: person.email,
    });

    log(`intake: ${CONNECTIONS} connections for ${DURATION_SECONDS} s against the API process...`);
    await runAutocannon(url, token, body, 2); // warm-up
    const intake = await runAutocannon(url, token, body, DURATION_SECONDS);
    const apiRssMiB = rssMiB(api.pid!);

    log(
      `ceiling: the same row inserted by a bare pg pool (${POOL_SIZE} connections, ${CONNECTIONS} concurrent) for ${DURATION_SECONDS} s...`,
    );
    const ceiling = await bareInserts(database.url, person.id, agent.agent.id);
    return {
      intakePerSecond: intake.perSecond,
      intakeP99Ms: intake.p99,
      intakeErrors: intake.errors,
      ceilingPerSecond: ceiling.perSecond,
      ceilingP99Ms: ceiling.p99,
      apiRssMiB,
    };
  } finally {
    api?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await database.drop();
    await dropRedisPrefix(env.REDIS_PREFIX!);
  }
}

async function runAutocannon(
  url: string,
  token: string,
  body: string,
  seconds: number,
): Promise<{ perSecond: number; p99: number; errors: number }> {
  const result = await autocannon({
    url: `${url}/v1/approvals`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  const errors = result.errors + result.non2xx;
  return { perSecond: result.requests.total / seconds, p99: result.latency.p99, errors };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kib / 1024);
}

async function bareInserts(databaseUrl: string, personId: string, agentId: string): Promise<{ perSecond: number; p99: number }> {
  const pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const sql = `INSERT INTO approvals (agent_id, on_behalf_of_id, action_type, action_resource, args, audience, provenance, tier, classification, requirement,
                 taxonomy_version, action_digest, status, expires_at, request_hash)
               VALUES ($1, $2, 'payments.refund', 'order:1', $3, 'https://payments.internal', '{}', 'low', $4, $5, 1, 'sha256:x', 'approved', now(), 'sha256:y')`;
  const params = [
    agentId,
    personId,
    JSON.stringify({ amount: 20, currency: 'EUR' }),
    JSON.stringify({ tier: 'low', reasons: [] }),
    JSON.stringify({ decision: 'auto_approve' }),
  ];
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION_SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await pool.query(sql, params);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  await pool.end();
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / DURATION_SECONDS, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}
