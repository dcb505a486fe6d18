import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './harness';
import { type StartedProcess, trackProcess } from './processes';

const START_TIMEOUT_MS = 30_000;

/** An account at the test provider: its `sub` is the key it is listed under (and the login on its sign-in page). */
export interface OidcAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** panva's oidc-provider on 127.0.0.1, in a child process (it is ES modules only and warns on Node 20 in-process). */
export interface RunningOidcProvider {
  issuer: string;
  /** SIGKILL: the provider is down (connections refused) until `restart`. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same configuration. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/** Starts the provider with `clients` and `accounts`; `OIDC_PROVIDERS` for Countersign is `providerConfig(...)`. */
export async function startOidcProvider(options: {
  clients: OidcClient[];
  accounts: Record<string, OidcAccount>;
}): Promise<RunningOidcProvider> {
  const port = await freePort();
  const fixture = JSON.stringify({ port, ...options });
  let process = await spawnProvider(fixture);
  return {
    issuer: `http://127.0.0.1:${port}`,
    kill: () => process.kill(),
    restart: async () => {
      process = await spawnProvider(fixture);
    },
    stop: () => process.stop(),
    output: () => process.output(),
  };
}

async function spawnProvider(fixture: string): Promise<StartedProcess> {
  const child = spawn(globalThis.process.execPath, ['--no-warnings', join(__dirname, 'processes', 'oidc-provider-main.mjs')], {
    env: { PATH: globalThis.process.env.PATH ?? '', OIDC_FIXTURE: fixture },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = trackProcess(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`oidc-provider did not start within ${START_TIMEOUT_MS} ms: ${started.output()}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', () => {
      if (!started.output().includes('ready ')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited (${code ?? signal}) before it was ready: ${started.output()}`));
    });
  });
  return started;
}

/**
 * Cookies per origin, as a browser keeps them for these tests (name=value only; Path, Max-Age=0 removal). Both
 * the provider and Countersign listen on 127.0.0.1, on different ports: keyed by origin they stay apart.
 */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  header(url: string): string | undefined {
    const jar = this.jars.get(new URL(url).origin);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    if (!this.jars.has(origin)) this.jars.set(origin, new Map());
    this.jars.get(origin)!.set(name, value);
  }

  store(url: string, response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === '';
      const origin = new URL(url).origin;
      if (!this.jars.has(origin)) this.jars.set(origin, new Map());
      if (expired) this.jars.get(origin)!.delete(name);
      else this.jars.get(origin)!.set(name, value);
    }
  }

  /** One request with this jar's cookies, redirects not followed. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}

/**
 * A person at the provider's own login and consent pages (oidc-provider's development interactions), driven over
 * HTTP: follows the provider's redirects and submits its forms (login = the account's sub, any password) until it
 * redirects somewhere else, and returns that URL: Countersign's callback with `code`, `state` and `iss`.
 */
export async function signInAtProvider(jar: CookieJar, authorizationUrl: string, login: string): Promise<string> {
  const issuerOrigin = new URL(authorizationUrl).origin;
  let response = await jar.fetch(authorizationUrl);
  let url = authorizationUrl;
  for (let step = 0; step < 20; step += 1) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location')!, url).href;
      if (new URL(location).origin !== issuerOrigin) return location;
      url = location;
      response = await jar.fetch(url);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`the provider answered ${response.status} at ${url}: ${html.slice(0, 500)}`);
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form on the provider's page ${url}: ${html.slice(0, 500)}`);
    const fields = new URLSearchParams();
    for (const input of form[2].matchAll(/<input[^>]*name="([^"]+)"(?:[^>]*value="([^"]*)")?[^>]*>/gi)) {
      fields.set(input[1], input[2] ?? '');
    }
    if (fields.has('login')) fields.set('login', login);
    if (fields.has('password')) fields.set('password', 'any password');
    url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
    response = await jar.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
  }
  throw new Error('the provider kept the browser for more than 20 steps');
}

/** One entry of Countersign's OIDC_PROVIDERS for a provider (the JSON array is `JSON.stringify([...])`). */
export function providerConfig(
  issuer: string,
  client: { client_id: string; client_secret: string },
  extra: { id?: string; name?: string; link_by_verified_email?: boolean; token_endpoint_auth_method?: string } = {},
): Record<string, unknown> {
  return {
    id: extra.id ?? 'corp',
    name: extra.name ?? 'Corp ID',
    issuer,
    ...client,
    link_by_verified_email: extra.link_by_verified_email ?? false,
    ...(extra.token_endpoint_auth_method ? { token_endpoint_auth_method: extra.token_endpoint_auth_method } : {}),
  };
}
