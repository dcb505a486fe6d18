import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { createRootLogger, PinoNestLogger } from '@countersign/observability';
import { pingOnce } from '@countersign/queue';
import { REPLAY_MAX_APPROVALS, REVIEW_MAX_DAYS } from '@countersign/taxonomy';
import { CliModule } from './cli.module';
import { adminCommands } from './commands/admin-commands';
import { runMigrations } from './commands/migrate';
import { taxonomyCommands } from './commands/taxonomy-commands';
import { CommandEnvironmentError, prepareForCommand } from './local-environment';
import { CommandFailure, Output, snakeCaseKeys } from './output';
import { INTEGER_COLUMN_MAX, wholeNumber } from './whole-number';

type GlobalOptions = { json?: boolean };

/*
 * The commands that run a server load it on demand: the API, the worker and the MCP gateway take seconds to load
 * (on a busy two-core machine, 4.4 s for this file with them against 1.7 s for the admin commands' own modules), and the admin
 * commands need none of them.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a lazy require(): import() would take the ESM loader */
const onDemand = {
  api: () => require('../../api/src') as typeof import('../../api/src'),
  worker: () => require('../../worker/src') as typeof import('../../worker/src'),
  start: () => require('./commands/start') as typeof import('./commands/start'),
  mcpGateway: () => require('./commands/mcp-gateway') as typeof import('./commands/mcp-gateway'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Marks a failure to start a server (`start`, `api`, `worker`, `mcp-gateway`): `main` tells its caller to end the
 * process after printing it (the entry points do; tests that run `main` in-process do not). What the half-started server opened (Redis and database connections, timers) would otherwise keep
 * it running without serving, and no supervisor restarts a process that has not exited (a busy port did that).
 */
class ServeFailure extends Error {
  constructor(readonly failure: unknown) {
    super('the server did not start');
  }
}

function serving(run: () => Promise<void>): () => Promise<void> {
  return () =>
    run().catch((error: unknown) => {
      throw new ServeFailure(error);
    });
}

/**
 * Opens the services for one admin command, runs it, closes everything; the exit code says how it went. With
 * `live`, Redis is asked first: `work` learns whether the running instances can be reached (`live` true) or not.
 */
async function withApp(
  command: Command,
  work: (app: INestApplicationContext, out: Output, live: boolean) => Promise<boolean | void>,
  options: { live?: boolean } = {},
): Promise<void> {
  const out = new Output(command.optsWithGlobals<GlobalOptions>().json === true);
  const quiet = createRootLogger('warn', 'countersign-cli');
  const local = await prepareForCommand({ info: () => undefined, warn: (message) => quiet.warn(message) });
  let app: INestApplicationContext | undefined;
  try {
    const config = loadConfig(local.env);
    const live = options.live === true && (await pingOnce(config.redisUrl));
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config, { live }), {
      logger: new PinoNestLogger(quiet),
      abortOnError: false,
    });
    const ok = await work(app, out, live);
    if (ok === false) process.exitCode = 1;
  } finally {
    await app?.close();
    await local.stop();
  }
}

/** For commands that need only a file, not the database (so CI can run them anywhere). */
function withOutput(command: Command, work: (out: Output) => boolean): void {
  const out = new Output(command.optsWithGlobals<GlobalOptions>().json === true);
  if (!work(out)) process.exitCode = 1;
}

export function buildProgram(): Command {
  const program = new Command('countersign')
    .description('Countersign: human approval for AI agents')
    .addOption(new Option('--json', 'machine-readable output'))
    // Usage errors are thrown, not exited on, and printed by `main` like every other error (one line, or JSON).
    // Set before the subcommands are added: they copy it.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('start')
    .description('run migrations, the API and the worker (embedded PostgreSQL and a local Redis when not configured)')
    .action(
      serving(async () => {
        const root = createRootLogger(process.env.LOG_LEVEL ?? 'info', 'countersign');
        await onDemand.start().start(root);
      }),
    );
  program
    .command('api')
    .description('run the HTTP API (production: with DATABASE_URL and REDIS_URL set)')
    .action(serving(() => onDemand.api().runApi()));
  program
    .command('worker')
    .description('run the background worker')
    .action(serving(() => onDemand.worker().runWorker()));
  program
    .command('mcp-gateway')
    .description('put Countersign in front of MCP servers: every tool call is approved before it is forwarded')
    .requiredOption('--config <file>', 'the mapping file (YAML): Countersign, upstreams, tool rules')
    .option('--stdio', 'serve one MCP client over stdin/stdout instead of Streamable HTTP')
    .action((options: { config: string; stdio?: boolean }) =>
      serving(() => onDemand.mcpGateway().mcpGateway(options.config, { stdio: options.stdio === true }))(),
    );
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const config = loadConfig({ REDIS_URL: 'redis://unused', COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'x'.repeat(32), ...process.env });
      await runMigrations(config.databaseUrl, (message) => process.stdout.write(message + '\n'));
    });

  const agents = program.command('agents').description('agents and their credentials');
  agents
    .command('create')
    .description('register an agent; prints its client id and secret once')
    .requiredOption('--name <name>', 'unique name')
    .requiredOption('--capabilities <patterns>', 'comma-separated action patterns, e.g. "email.*,payments.transfer"')
    .option('--callback-secret', 'also generate a secret that signs callback bodies (HMAC header)')
    .option('--requests-per-minute <n>', 'quota (default from config)', wholeNumber(1, INTEGER_COLUMN_MAX))
    .option('--max-pending <n>', 'pending approvals at once (default from config)', wholeNumber(1, INTEGER_COLUMN_MAX))
    .option('--ciba-mode <mode>', 'OpenID CIBA: poll or ping (the agent may then use /oauth/bc-authorize)')
    .option('--ciba-notification-endpoint <url>', 'CIBA ping mode: where Countersign POSTs {auth_req_id}')
    .option('--ciba-types <types>', 'CIBA: comma-separated authorization_details types (action types) the agent may send')
    .action((options: Parameters<typeof adminCommands.agentsCreate>[2], command: Command) =>
      withApp(command, (app, out) => adminCommands.agentsCreate(app, out, options)),
    );
  agents
    .command('suspend <agent>')
    .description('the kill switch: suspend an agent (by client id or name), cancel its pending approvals, revoke its unconsumed tokens')
    .option('--reason <text>', 'recorded in the audit log')
    .action((reference: string, options: { reason?: string }, command: Command) =>
      withApp(command, (app, out, live) => adminCommands.agentsSuspend(app, out, reference, options.reason, live), { live: true }),
    );
  agents
    .command('resume <agent>')
    .description('resume a suspended agent')
    .action((reference: string, _options: unknown, command: Command) =>
      withApp(command, (app, out) => adminCommands.agentsResume(app, out, reference)),
    );
  agents
    .command('list')
    .description('list agents')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.agentsList(app, out)));

  const people = program.command('people').description('the people agents act for and who approve');
  people
    .command('add')
    .description('add a person; prints their one-time passkey enrollment link (valid 24 h)')
    .requiredOption('--email <email>', 'email address')
    .requiredOption('--role <role>', 'admin | approver | member')
    .option('--permissions <patterns>', 'comma-separated action patterns this person may authorize, e.g. "email.*,deploy.*"')
    .option('--name <name>', 'display name')
    .action((options: Parameters<typeof adminCommands.peopleAdd>[2], command: Command) =>
      withApp(command, (app, out) => adminCommands.peopleAdd(app, out, options)),
    );
  people
    .command('enroll-link <person>')
    .description('a new one-time passkey enrollment link for a person (by email or id); earlier links stop working')
    .action((reference: string, _options: unknown, command: Command) =>
      withApp(command, (app, out) => adminCommands.peopleEnrollLink(app, out, reference)),
    );
  people
    .command('disable <person>')
    .description(
      "disable a person (by email or id) and deprovision them: sessions, push and Slack links, pending decisions, their agents' requests",
    )
    .action((reference: string, _options: unknown, command: Command) =>
      withApp(command, (app, out, live) => adminCommands.peopleSetStatus(app, out, reference, 'disabled', live), { live: true }),
    );
  people
    .command('enable <person>')
    .description('enable a disabled person again (nothing deprovisioning removed comes back)')
    .action((reference: string, _options: unknown, command: Command) =>
      withApp(command, (app, out, live) => adminCommands.peopleSetStatus(app, out, reference, 'active', live)),
    );
  people
    .command('list')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.peopleList(app, out)));

  const groups = program.command('groups').description("the directory's groups and the permissions they give their members");
  groups
    .command('list')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.groupsList(app, out)));
  groups
    .command('set-permissions <group>')
    .description("replace a group's permissions (by id or name): action patterns every member may authorize, beside their own")
    .requiredOption('--permissions <patterns>', 'comma-separated action patterns, e.g. "payments.refund,chat.*"; "" for none')
    .action((reference: string, options: { permissions: string }, command: Command) =>
      withApp(command, (app, out) => adminCommands.groupsSetPermissions(app, out, reference, options)),
    );

  const scimTokens = program.command('scim-tokens').description("the directory's bearer tokens for SCIM provisioning (/scim/v2)");
  scimTokens
    .command('create')
    .description('a new token for a directory (Okta, Microsoft Entra...); printed once, stored as a hash')
    .requiredOption('--name <name>', 'which directory holds it, e.g. "okta"')
    .action((options: { name: string }, command: Command) =>
      withApp(command, (app, out) => adminCommands.scimTokensCreate(app, out, options)),
    );
  scimTokens
    .command('list')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.scimTokensList(app, out)));
  scimTokens
    .command('revoke <token>')
    .description('refuse a token from now on (by id, or by name when one token has it)')
    .action((reference: string, _options: unknown, command: Command) =>
      withApp(command, (app, out) => adminCommands.scimTokensRevoke(app, out, reference)),
    );

  const servers = program.command('resource-servers').description('downstream services that verify and consume approval tokens');
  servers
    .command('create')
    .requiredOption('--audience <url>', 'the audience its tokens carry, e.g. https://payments.internal')
    .action((options: { audience: string }, command: Command) =>
      withApp(command, (app, out) => adminCommands.resourceServersCreate(app, out, options)),
    );
  servers
    .command('list')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.resourceServersList(app, out)));

  program
    .command('keys')
    .description('signing keys')
    .command('rotate')
    .description('create a new signing key; the previous one stays published until its tokens expire')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.keysRotate(app, out)));

  const taxonomy = program.command('taxonomy').description('the action taxonomy, as policy-as-code');
  taxonomy
    .command('lint <file>')
    .description(
      'check a taxonomy file: schema, CEL, undefined tiers (errors); unreachable rules, shadowed globs, unused sensitive args, ' +
        'group: entries naming no group (warnings; with --groups or --directory)',
    )
    .option('--strict', 'exit 1 on warnings too')
    .option('--groups <names>', "the directory's group names, comma-separated (for a check without a database, e.g. in CI)")
    .option('--directory', "check group: entries against the deployment's groups (reads the database)")
    .action((file: string, options: { strict?: boolean; groups?: string; directory?: boolean }, command: Command) =>
      options.directory
        ? withApp(command, (app, out) => taxonomyCommands.lintWithDirectory(app, out, file, options))
        : withOutput(command, (out) =>
            taxonomyCommands.lint(out, file, {
              ...options,
              knownGroups: options.groups
                ?.split(',')
                .map((name) => name.trim())
                .filter((name) => name !== ''),
            }),
          ),
    );
  taxonomy
    .command('test <file>')
    .description(
      "run the file's own tests: section; exits 1 on a failure, printing the case, the expectation, what came out and the deciding rule",
    )
    .action((file: string, _options: unknown, command: Command) => withOutput(command, (out) => taxonomyCommands.test(out, file)));
  taxonomy
    .command('apply <file>')
    .description('lint the file and run its tests (errors and failures refuse it), then activate it as a new version')
    .option('--comment <text>', 'why (kept with the version)')
    .action((file: string, options: { comment?: string }, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.apply(app, out, file, options.comment)),
    );
  taxonomy
    .command('list')
    .description('stored versions, newest first')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => taxonomyCommands.list(app, out)));
  taxonomy
    .command('show <version>')
    .description("a stored version's source")
    .action((version: string, _options: unknown, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.show(app, out, version)),
    );
  taxonomy
    .command('diff <from> [to]')
    .description('what changed in meaning: each side a version number or a file; [to] defaults to the active version')
    .action((from: string, to: string | undefined, _options: unknown, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.diff(app, out, from, to)),
    );
  taxonomy
    .command('activate <version>')
    .description('make a stored version active again (rollback); audited with the reason')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action((version: string, options: { reason: string }, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.activate(app, out, version, options.reason)),
    );
  taxonomy
    .command('replay <file>')
    .description('classify stored approvals with the file and report what would change; exits 1 if any would get less oversight')
    .option('--last <n>', 'the newest N approvals (default 1000)', wholeNumber(1, REPLAY_MAX_APPROVALS))
    .option('--days <n>', 'approvals of the last N days', wholeNumber(1, REVIEW_MAX_DAYS))
    .option('--allow-relax', 'exit 0 even when some approvals would get less oversight')
    .action((file: string, options: { last?: number; days?: number; allowRelax?: boolean }, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.replay(app, out, file, options)),
    );
  taxonomy
    .command('unknown')
    .description('action types requested recently that matched no taxonomy entry, with counts and agents')
    .option('--days <n>', 'how far back', wholeNumber(1, REVIEW_MAX_DAYS), 7)
    .action((options: { days: number }, command: Command) =>
      withApp(command, (app, out) => taxonomyCommands.unknownActions(app, out, options.days)),
    );

  program
    .command('audit')
    .description('the audit log')
    .command('verify')
    .description('walk the hash chain; exits 1 and names the first broken link if any')
    .action((_options: unknown, command: Command) => withApp(command, (app, out) => adminCommands.auditVerify(app, out)));

  return program;
}

/** Entry point of `bin/countersign.js`. Every failure is one line on stderr (one JSON object with `--json`) and exit code 1. */
export async function main(argv: string[]): Promise<{ endProcess: boolean }> {
  try {
    await buildProgram().parseAsync(argv);
    return { endProcess: false };
  } catch (error) {
    if (error instanceof CommanderError && (error.exitCode === 0 || error.code === 'commander.help')) {
      // Help was asked for (exit 0) or shown because no command was given (exit 1); either way it is printed.
      process.exitCode = error.exitCode;
      return { endProcess: false };
    }
    const failure = describeFailure(error instanceof ServeFailure ? error.failure : error);
    if (argv.includes('--json')) {
      process.stderr.write(JSON.stringify({ error: snakeCaseKeys(failure) }) + '\n');
    } else {
      process.stderr.write(`error: ${failure.message}\n`);
      for (const line of failure.lines ?? []) process.stderr.write(`  ${line}\n`);
    }
    process.exitCode = process.exitCode || 1;
    return { endProcess: error instanceof ServeFailure };
  }
}

interface Failure {
  code: string;
  message: string;
  /** What the message summarises, one item a line (the taxonomy's line-numbered errors, the configuration's problems). */
  lines?: string[];
}

/** What went wrong, in the user's terms. A stack only for what we did not foresee, and only with LOG_LEVEL=debug. */
function describeFailure(error: unknown): Failure {
  if (error instanceof CommanderError) {
    return { code: 'usage', message: `${error.message.replace(/^error: /, '')} (see \`countersign --help\`)` };
  }
  if (error instanceof CommandFailure) return { code: error.code, message: error.message, lines: error.lines };
  if (error instanceof ConfigError) return { code: 'invalid_configuration', message: 'invalid configuration', lines: error.problems };
  if (error instanceof CommandEnvironmentError) return { code: 'environment', message: error.message };
  if (error instanceof DomainError) {
    const errors = (error.details?.errors as Array<{ line: number; column: number; message: string; path: string }> | undefined) ?? [];
    return {
      code: error.code,
      message: errors.length ? 'the taxonomy is invalid' : error.message,
      lines: errors.map((problem) => `line ${problem.line}:${problem.column} ${problem.path}: ${problem.message}`),
    };
  }
  const system = error as NodeJS.ErrnoException;
  if (typeof system?.code === 'string' && typeof system.syscall === 'string') {
    const subject = system.path ? `${system.path}: ` : '';
    const reason = SYSTEM_ERRORS[system.code] ?? system.message;
    return { code: system.code.toLowerCase(), message: `${subject}${reason}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = process.env.LOG_LEVEL === 'debug' && error instanceof Error ? error.stack : undefined;
  return {
    code: 'internal_error',
    message: `${message}${stack ? '' : ' (LOG_LEVEL=debug prints the stack)'}`,
    lines: stack?.split('\n').slice(1),
  };
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ECONNREFUSED: 'connection refused',
};
