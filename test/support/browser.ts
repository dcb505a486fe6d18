import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type BrowserServer,
  type CDPSession,
  chromium,
  type Page,
} from 'playwright-core';
import { CLI } from '@countersign/audit';
import { EnrollmentService, type PersonRecord, type Role } from '@countersign/people';
import { freePort, type RunningApi, startApi, testConfig } from './harness';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The Chromium process behind each launched browser, to close it (or kill it when it hangs) at the suite's end. */
const servers = new WeakMap<Browser, BrowserServer>();

/**
 * One headless Chromium per suite (the machine has two cores); each test opens its own context. It runs as a
 * browser server this process connects to, which is what gives us its process to kill (see `closeBrowserSuite`).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (apt-get install -y chromium; .ci/run does it)`);
  const server = await chromium.launchServer({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    servers.set(browser, server);
    return browser;
  } catch (error) {
    await server.kill();
    throw error;
  }
}

/** The Chromium process of a browser from `launchBrowser` (a test stops it to see `closeBrowserSuite` kill it). */
export function chromiumProcess(browser: Browser): ChildProcess | undefined {
  return servers.get(browser)?.process();
}

/**
 * Ends a browser suite: the browser first (its pages hold live sockets to the API), then the API.
 * A CI run once waited out jest's whole 60 s hook timeout here, closing one or the other; which, it did not say.
 * Chromium is known to hang on exit now and then: after `browserExitGraceMs` (10 s) its process is killed, with a
 * warning. An API that does not close within `apiCloseLimitMs` (20 s) is our bug, and fails the suite naming it.
 */
export async function closeBrowserSuite(
  browser: Browser | undefined,
  api: RunningApi | undefined,
  limits = { browserExitGraceMs: 10_000, apiCloseLimitMs: 20_000 },
): Promise<void> {
  const { browserExitGraceMs, apiCloseLimitMs } = limits;
  if (browser) {
    const server = servers.get(browser);
    // Disconnecting closes the contexts, which asks Chromium too: both wait within the grace.
    const exited = browser.close().then(() => server?.close());
    if ((await settlesWithin(exited, browserExitGraceMs)) === 'late') {
      process.stderr.write(`Chromium did not exit within ${browserExitGraceMs} ms of being asked to; killed it\n`);
      await server?.kill();
    }
  }
  if (api && (await settlesWithin(api.close(), apiCloseLimitMs)) === 'late') {
    throw new Error(`the API did not close within ${apiCloseLimitMs} ms (something it holds does not shut down)`);
  }
}

async function settlesWithin(work: Promise<unknown>, ms: number): Promise<'settled' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([work.then(() => 'settled' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A real API that serves the web app at http://localhost:<port>: WebAuthn needs a domain as the RP id (an IP
 * address is refused), and PUBLIC_URL (the origin the API checks) must be the address the browser opens.
 */
export async function startWebApi(overrides: Record<string, string> = {}): Promise<RunningApi & { webUrl: string }> {
  const port = await freePort();
  const api = await startApi(testConfig({ PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, ...overrides }));
  return { ...api, webUrl: api.config.publicUrl };
}

/** A browser suite's shared Chromium and API, available from its `beforeAll` on (see `useBrowserSuite`). */
export interface BrowserSuite {
  readonly browser: Browser;
  readonly api: RunningApi & { webUrl: string };
  readonly webUrl: string;
}

/**
 * Registers the usual suite hooks: `beforeAll` launches Chromium and starts a web API (`startWebApi(overrides)`),
 * `afterAll` ends both with `closeBrowserSuite`. Call it at the top of the `describe`, before the suite's own
 * `beforeAll` (hooks run in the order they are registered), and read the handle inside hooks and tests.
 */
export function useBrowserSuite(overrides: Record<string, string> = {}): BrowserSuite {
  let browser: Browser | undefined;
  let api: (RunningApi & { webUrl: string }) | undefined;
  beforeAll(async () => {
    const [launched, serving] = await Promise.allSettled([launchBrowser(), startWebApi(overrides)]);
    browser = launched.status === 'fulfilled' ? launched.value : undefined;
    api = serving.status === 'fulfilled' ? serving.value : undefined;
    if (launched.status === 'rejected') throw launched.reason;
    if (serving.status === 'rejected') throw serving.reason;
  });
  afterAll(async () => {
    await closeBrowserSuite(browser, api);
  });
  const running = () => {
    if (!browser || !api) throw new Error('the browser suite is not running (read it in a hook or test after useBrowserSuite)');
    return { browser, api };
  };
  return {
    get browser() {
      return running().browser;
    },
    get api() {
      return running().api;
    },
    get webUrl() {
      return running().api.webUrl;
    },
  };
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  /** The passkeys it holds (resident credentials). */
  credentials(): Promise<Array<{ credentialId: string; isResidentCredential: boolean; rpId?: string; signCount: number }>>;
  /** Whether the "user" passes user verification from now on. */
  setUserVerified(verified: boolean): Promise<void>;
}

/**
 * A CDP virtual authenticator in one page: a platform authenticator (internal transport, CTAP2) that keeps
 * discoverable credentials and verifies the user, answering every WebAuthn prompt without a click.
 */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    setUserVerified: async (isUserVerified) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
  };
}

/** An admin's invitation through the real service: the person and their one-time enrollment link. */
export async function invite(
  api: RunningApi,
  overrides: Partial<{ email: string; displayName: string; role: Role; permissions: string[] }> = {},
): Promise<{ person: PersonRecord; enrollmentUrl: string }> {
  const email = overrides.email ?? `person-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com`;
  const { person, enrollment } = await api.app.get(EnrollmentService).invite(CLI, {
    email,
    displayName: overrides.displayName,
    role: overrides.role ?? 'approver',
    permissions: overrides.permissions ?? ['*'],
  });
  return { person, enrollmentUrl: enrollment!.url };
}

export interface SignedInPage {
  context: BrowserContext;
  page: Page;
  authenticator: VirtualAuthenticator;
  person: PersonRecord;
}

/**
 * A person invited, enrolled through the UI (/enroll#token=… → "Create my passkey") with a virtual passkey, and
 * so signed in, looking at their inbox. `viewport` sizes the page (a phone: 390×844).
 */
export async function enrolledPerson(
  browser: Browser,
  api: RunningApi,
  overrides: Partial<{ email: string; displayName: string; role: Role; permissions: string[] }> & {
    viewport?: { width: number; height: number };
    context?: BrowserContextOptions;
  } = {},
): Promise<SignedInPage> {
  const { person, enrollmentUrl } = await invite(api, overrides);
  const phone: BrowserContextOptions = overrides.viewport
    ? { viewport: overrides.viewport, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
    : {};
  const context = await browser.newContext({ ...phone, ...overrides.context });
  const page = await context.newPage();
  const authenticator = await addVirtualAuthenticator(page);
  await page.goto(enrollmentUrl);
  await page.getByRole('button', { name: 'Create my passkey' }).click();
  await page.waitForURL('**/inbox');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  return { context, page, authenticator, person };
}

/** Signs in through the sign-in page with the passkey the page's authenticator holds. */
export async function signInThroughUi(page: Page, webUrl: string, next = '/inbox'): Promise<void> {
  await page.goto(`${webUrl}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL(`**${next}`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page and returns the serious and critical violations. The page's
 * context must be created with `bypassCSP: true`: the app's CSP rightly refuses the injected script.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate<
    AxeViolation[]
  >(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`);
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
