import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { CLI } from '@countersign/audit';
import { EnrollmentService, type PersonRecord, type Role } from '@countersign/people';
import { freePort, type RunningApi, startApi, testConfig } from './harness';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** One headless Chromium per suite (the machine has two cores); each test opens its own context. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (apt-get install -y chromium; .ci/run does it)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
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
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
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
export async function invite(api: RunningApi, overrides: Partial<{ email: string; role: Role; permissions: string[] }> = {}): Promise<{ person: PersonRecord; enrollmentUrl: string }> {
  const email = overrides.email ?? `person-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com`;
  const { person, enrollment } = await api.app.get(EnrollmentService).invite(CLI, { email, role: overrides.role ?? 'approver', permissions: overrides.permissions ?? ['*'] });
  return { person, enrollmentUrl: enrollment.url };
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
  overrides: Partial<{ email: string; role: Role; permissions: string[] }> & { viewport?: { width: number; height: number } } = {},
): Promise<SignedInPage> {
  const { person, enrollmentUrl } = await invite(api, overrides);
  const context = await browser.newContext(overrides.viewport ? { viewport: overrides.viewport, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {});
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
