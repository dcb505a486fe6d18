import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Environment } from '@marcbachmann/cel-js';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { CliModule } from '../apps/cli/src';
import { loadConfig } from '../libs/config/src';
import { type ClassificationInput, findDefaultTaxonomyPath, loadTaxonomy } from '../libs/domain/src';
import { TaxonomyReviewService } from '../libs/taxonomy/src';
import { createMigratedDatabase, TEST_REDIS_URL } from '../test/support/database';

const SERVICES = 40;
const VERBS = ['create', 'update', 'delete', 'send'];
const RULES = 500;
const INPUTS = 2_000;
const ROUND_MS = 1_000;
const ROUNDS = 3;
const REPLAY_APPROVALS = 100_000;

const CONDITIONS = [
  (n: number) => `has(args.amount) && double(args.amount) > ${1000 + n}.0`,
  (n: number) => `has(args.environment) && args.environment == 'production-${n % 7}'`,
  (n: number) => `has(args.to) && size(args.to) > ${n % 50}`,
  (n: number) => `person.role == 'admin' && agent.name.startsWith('bot-${n % 9}')`,
];

/** 200 action types (160 exact, 40 globs) carrying 500 CEL rules between them, in the documented format. */
export function syntheticTaxonomy(): string {
  const types = [
    ...Array.from({ length: SERVICES }, (_, s) => VERBS.map((verb) => `svc${s}.${verb}`)).flat(),
    ...Array.from({ length: SERVICES }, (_, s) => `svc${s}.*`),
  ];
  const rules = new Map<string, string[]>(types.map((type) => [type, []]));
  for (let n = 0; n < RULES; n++) {
    rules
      .get(types[n % types.length])!
      .push(
        `      - name: rule ${n}\n        when: "${CONDITIONS[n % CONDITIONS.length](n)}"\n        tier: ${n % 3 === 0 ? 'critical' : 'high'}`,
      );
  }
  const defaultHead = readFileSync(findDefaultTaxonomyPath(), 'utf8').split('\nactions:\n')[0];
  const actions = types.map(
    (type, index) =>
      `  - type: "${type}"\n    reversibility: ${index % 2 ? 'compensable' : 'irreversible'}\n    blast_radius: team\n    rules:\n${rules.get(type)!.join('\n')}`,
  );
  return `${defaultHead}\nactions:\n${actions.join('\n')}\n`;
}

/** Requests spread over the types: 80 % exact types, 15 % resolved by a glob, 5 % unknown; most rules do not match. */
function syntheticInputs(): ClassificationInput[] {
  return Array.from({ length: INPUTS }, (_, n) => {
    const service = n % SERVICES;
    const type =
      n % 20 === 0 ? `unknown${n}.thing` : n % 7 === 0 ? `svc${service}.other${n % 3}` : `svc${service}.${VERBS[n % VERBS.length]}`;
    return {
      action: {
        type,
        resource: `res:${n}`,
        args: { amount: n % 1500, environment: n % 2 ? 'staging' : 'production-1', to: ['a@example.com', 'b@example.com'] },
      },
      agent: { id: 'agent', client_id: 'client', name: `bot-${n % 12}` },
      person: { id: 'person', email: 'ann@example.com', role: n % 10 ? 'member' : 'admin' },
      context: { provenance: n % 4 ? ['user'] : ['web_page'] },
    };
  });
}

/** Best of interleaved rounds, so a noisy neighbour hurts both figures alike. */
function perSecond(work: (input: ClassificationInput) => unknown, inputs: ClassificationInput[]): number {
  let done = 0;
  let index = 0;
  const start = performance.now();
  while (performance.now() - start < ROUND_MS) {
    for (let batch = 0; batch < 1_000; batch++) {
      work(inputs[index]);
      index = index === inputs.length - 1 ? 0 : index + 1;
    }
    done += 1_000;
  }
  return done / ((performance.now() - start) / 1_000);
}

/**
 * Classifications/s of the compiled synthetic taxonomy on one core, against a ceiling that does the least any
 * classification must: one map lookup of the type and one precompiled CEL evaluation over the same activation.
 */
export function benchClassification(): { classifications: number; ceiling: number; types: number; rules: number } {
  const taxonomy = loadTaxonomy(syntheticTaxonomy());
  const inputs = syntheticInputs();
  const environment = new Environment({ unlistedVariablesAreDyn: false });
  for (const name of ['action', 'args', 'agent', 'person', 'context']) environment.registerVariable(name, 'map');
  const condition = environment.parse(CONDITIONS[0](1));
  const known = new Map(taxonomy.document.actions.map((action) => [action.type, action]));
  const bare = (input: ClassificationInput): unknown =>
    known.get(input.action.type) !== undefined &&
    (condition({
      action: input.action,
      args: input.action.args,
      agent: input.agent,
      person: input.person,
      context: input.context,
    }) as unknown);
  let best = { classifications: 0, ceiling: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    best = {
      classifications: Math.max(
        best.classifications,
        perSecond((input) => taxonomy.classify(input), inputs),
      ),
      ceiling: Math.max(best.ceiling, perSecond(bare, inputs)),
    };
  }
  return {
    ...best,
    types: taxonomy.document.actions.length,
    rules: taxonomy.document.actions.reduce((sum, action) => sum + (action.rules?.length ?? 0), 0),
  };
}

/**
 * Replay of the default taxonomy over 100,000 stored approvals through the service (paged reads, classification,
 * comparison) against a ceiling of one bare SELECT of the same rows and columns.
 */
export async function benchReplay(
  log: (message: string) => void,
): Promise<{ replaySeconds: number; ceilingSeconds: number; approvals: number }> {
  const database = await createMigratedDatabase('bench_replay');
  const pool = new Pool({ connectionString: database.url, max: 2 });
  try {
    log(`replay: storing ${REPLAY_APPROVALS} approvals...`);
    await seedApprovals(pool);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'bench-key-encryption-secret-0123456789',
      LOG_LEVEL: 'warn',
    };
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(loadConfig(env)), { logger: false });
    try {
      const candidate = readFileSync(findDefaultTaxonomyPath(), 'utf8');
      const review = app.get(TaxonomyReviewService);
      log('replay: the default taxonomy over every stored approval, vs a bare SELECT of the same rows...');
      let replaySeconds = Infinity;
      let ceilingSeconds = Infinity;
      for (let round = 0; round < 2; round++) {
        let start = performance.now();
        const result = await review.replay(candidate, { last: REPLAY_APPROVALS });
        replaySeconds = Math.min(replaySeconds, (performance.now() - start) / 1_000);
        if (result.replayed !== REPLAY_APPROVALS) throw new Error(`replayed ${result.replayed} approvals, not ${REPLAY_APPROVALS}`);
        start = performance.now();
        await pool.query(
          `SELECT a.id, a.created_at, a.action_type, a.action_resource, a.args, a.provenance, a.tier, a.requirement, a.classification->>'rule' AS rule,
                                 ag.id AS agent_id, ag.client_id, ag.name, p.id AS person_id, p.email, p.role
                            FROM approvals a JOIN agents ag ON ag.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id
                           ORDER BY a.created_at DESC, a.id DESC LIMIT $1`,
          [REPLAY_APPROVALS],
        );
        ceilingSeconds = Math.min(ceilingSeconds, (performance.now() - start) / 1_000);
      }
      return { replaySeconds, ceilingSeconds, approvals: REPLAY_APPROVALS };
    } finally {
      await app.close();
    }
  } finally {
    await pool.end();
    await database.drop();
  }
}

/** Realistic rows in one statement: a mix of the default taxonomy's action types, args and provenance. */
async function seedApprovals(pool: Pool): Promise<void> {
  const source = readFileSync(findDefaultTaxonomyPath(), 'utf8');
  await pool.query(
    `INSERT INTO taxonomy_versions (version, source, checksum, active, created_by) VALUES (1, $1, 'sha256:bench', true, 'system')`,
    [source],
  );
  const person = (
    await pool.query<{ id: string }>(
      `INSERT INTO people (email, display_name, role, permissions) VALUES ('bench@example.com', 'Bench', 'member', '{*}') RETURNING id`,
    )
  ).rows[0].id;
  await pool.query(
    `INSERT INTO agents (name, client_id, secret_hash, capabilities) SELECT 'bench-agent-' || n, 'bench-client-' || n, 'x', '{*}' FROM generate_series(1, 10) AS n`,
  );
  await pool.query(
    `INSERT INTO approvals (agent_id, on_behalf_of_id, action_type, action_resource, args, audience, provenance, tier, classification, requirement,
                            taxonomy_version, action_digest, status, expires_at, request_hash, created_at)
     SELECT (SELECT id FROM agents ORDER BY name OFFSET n % 10 LIMIT 1), $1,
            (ARRAY['payments.transfer', 'payments.refund', 'email.send', 'deploy.service', 'database.query', 'files.delete', 'cloud.vm.create', 'unknown.thing'])[1 + n % 8],
            'resource:' || n,
            jsonb_build_object('amount', n % 20000, 'environment', CASE WHEN n % 2 = 0 THEN 'production' ELSE 'staging' END,
                               'sql', 'SELECT id FROM users', 'to', jsonb_build_array('bob@example.com'), 'permanent', n % 3 = 0),
            'https://bench.internal', CASE WHEN n % 5 = 0 THEN '{user,web_page}'::text[] ELSE '{user}'::text[] END,
            'high', jsonb_build_object('tier', 'high', 'rule', 'bench'),
            jsonb_build_object('decision', 'approve', 'approvals_required', 1, 'step_up', 'passkey'),
            1, 'sha256:bench', 'approved', now(), 'bench', now() - make_interval(secs => n)
       FROM generate_series(1, $2::int) AS n`,
    [person, REPLAY_APPROVALS],
  );
  await pool.query('ANALYZE approvals');
}
