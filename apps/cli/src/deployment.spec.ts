import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '@countersign/config';
import { HEARTBEAT_INTERVAL_MS } from '../../worker/src';

// docker is not on the CI machines: these check the deployment files' shape instead of running them.
const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  env_file?: Array<{ path: string; required: boolean }>;
  healthcheck?: { test: string[] };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const COUNTERSIGN_SERVICES = ['migrate', 'api', 'worker'];
/** Read by Node and by pg, not by Countersign's config. */
const NOT_CONFIG = ['NODE_ENV', 'PGPASSWORD'];
/** README "Run it": passed through from the shell or .env. */
const PASSED_THROUGH = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_ID',
  'SLACK_APP_TOKEN',
  'SLACK_COMMAND',
  'VAPID_PUBLIC_KEY',
  'VAPID_PRIVATE_KEY',
  'VAPID_SUBJECT',
  'TEAMS_APP_ID',
  'TEAMS_APP_PASSWORD',
  'TEAMS_TENANT_ID',
  'COUNTERSIGN_ADMIN_TOKEN',
  'COUNTERSIGN_BOOTSTRAP_EMAIL',
  'LOG_LEVEL',
];

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Redis, the migration, the API, the worker and a proxy, all from one image', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'proxy', 'redis', 'worker']);
    for (const name of COUNTERSIGN_SERVICES) expect(services[name].image).toBe('countersign:local');
    expect(services.api.command).toEqual(['node', 'bin/countersign.js', 'api']);
    expect(services.worker.command).toEqual(['node', 'bin/countersign.js', 'worker']);
  });

  it('does not publish PostgreSQL or Redis on the host', () => {
    expect(services.postgres.ports).toBeUndefined();
    expect(services.redis.ports).toBeUndefined();
  });

  it('scales the API: no host port on it, a proxy with the one published port forwarding to every replica', () => {
    expect(services.api.ports).toBeUndefined();
    expect(services.proxy.ports).toEqual(['${COUNTERSIGN_PORT:-3000}:3000']);
    const caddyfile = read('deploy/Caddyfile');
    expect(caddyfile).toMatch(/dynamic a api 3000/);
    // The API believes the proxy's X-Forwarded-For, and only because the proxy is its only way in.
    expect(services.api.environment?.TRUST_PROXY_HOPS).toBe('1');
  });

  it('passes Countersign only variables its config knows, and every documented one', () => {
    for (const name of COUNTERSIGN_SERVICES) {
      const environment = services[name].environment ?? {};
      const unknown = Object.keys(environment).filter(
        (variable) => !(CONFIG_VARIABLES as readonly string[]).includes(variable) && !NOT_CONFIG.includes(variable),
      );
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
      for (const variable of PASSED_THROUGH)
        expect({ service: name, variable, value: environment[variable] }).toEqual({
          service: name,
          variable,
          value: expect.stringMatching(new RegExp(`^\\$\\{${variable}:-[^}]*\\}$`)),
        });
      expect(services[name].env_file).toEqual([{ path: '.env', required: false }]);
    }
  });

  it('keeps the database password out of the URL, so any character works', () => {
    const environment = services.api.environment ?? {};
    const url = new URL(environment.DATABASE_URL);
    expect(url.password).toBe('');
    expect(url.username).toBe('countersign');
    expect(environment.PGPASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(services.postgres.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
  });

  it('has healthchecks on the API and the worker', () => {
    expect(services.api.healthcheck?.test.join(' ')).toContain('/health/ready');
    expect(services.worker.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(services.worker.environment?.WORKER_HEARTBEAT_FILE).toMatch(/^\//);
  });

  it("the worker's healthcheck passes on a fresh heartbeat file and fails on a stale or missing one", () => {
    const script = services.worker.healthcheck!.test[3];
    const directory = mkdtempSync(join(tmpdir(), 'cs-heartbeat-'));
    const file = join(directory, 'heartbeat');
    const check = () => spawnSync(process.execPath, ['-e', script], { env: { WORKER_HEARTBEAT_FILE: file } }).status;
    expect(check()).toBe(1);
    writeFileSync(file, 'now\n');
    expect(check()).toBe(0);
    // One missed beat is not yet unhealthy; three are.
    const aged = (ms: number) => (Date.now() - ms) / 1000;
    utimesSync(file, aged(2 * HEARTBEAT_INTERVAL_MS), aged(2 * HEARTBEAT_INTERVAL_MS));
    expect(check()).toBe(0);
    utimesSync(file, aged(4 * HEARTBEAT_INTERVAL_MS), aged(4 * HEARTBEAT_INTERVAL_MS));
    expect(check()).toBe(1);
  });
});

describe('the other deployment files', () => {
  it('builds the image on a current Node LTS', () => {
    const bases = [...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:(22|24)-bookworm-slim$/);
  });

  it('ships the Apache License 2.0 that package.json names', () => {
    const license = read('LICENSE');
    expect(JSON.parse(read('package.json')).license).toBe('Apache-2.0');
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    expect(license).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license.split('\n').length).toBeGreaterThan(200);
  });

  it('has no nest-cli.json (the build is tsc + tsc-alias) and declares no dependency nothing imports', () => {
    expect(existsSync(join(ROOT, 'nest-cli.json'))).toBe(false);
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(dependencies)).not.toContain('@nestjs/typeorm');
  });

  it('declares Node >= 20.19 truthfully: only the dependencies README "Installing" names declare more', () => {
    const { satisfies } = createRequire(__filename)('semver') as { satisfies(version: string, range: string): boolean };
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines).toBe('>=20.19');
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
    const wantMore = Object.entries(lock.packages)
      .filter(([, entry]) => typeof entry.engines?.node === 'string' && !satisfies('20.19.0', entry.engines.node))
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
      .sort();
    expect(wantMore).toEqual(['canonicalize', 'content-disposition', 'cookie', 'file-type']);
    const installing = read('README.md').split('## Installing')[1];
    for (const name of wantMore) expect(installing).toContain(`\`${name}\``);
  });
});
