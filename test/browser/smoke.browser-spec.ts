import { addVirtualAuthenticator, enrolledPerson, invite, signInThroughUi, useBrowserSuite } from '@countersign/testing';

jest.setTimeout(60_000);

describe('the web app: served by the API, enroll and sign in with a passkey', () => {
  const suite = useBrowserSuite();

  it('serves the app with a strict CSP at app routes, and API paths stay JSON 404s', async () => {
    for (const path of ['/', '/inbox', '/approvals/123', '/settings', '/enroll', '/admin/people']) {
      const response = await fetch(`${suite.api.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(`connect-src 'self' ws://localhost:${new URL(suite.webUrl).port}`);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await response.text();
      // No inline script: every <script> has a src.
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    }
    for (const path of [
      '/v1/nothing-here',
      '/oauth/nothing',
      '/slack/nothing',
      '/health/nothing',
      '/docs/nothing',
      '/.well-known/nothing',
      '/inbox/../v1/x',
    ]) {
      const response = await fetch(`${suite.api.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.headers.get('content-type')).toMatch(/json/);
    }
    const html = await (await fetch(`${suite.api.url}/inbox`)).text();
    const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\/.+\.js$/);
    const asset = await fetch(`${suite.api.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('enrolls through /enroll#token=…, lands on the empty inbox, and signs in again after signing out', async () => {
    const { context, page, authenticator, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      expect(await authenticator.credentials()).toEqual([expect.objectContaining({ isResidentCredential: true })]);
      await page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      expect(await page.title()).toBe('Inbox · Countersign');
      await expect(page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
      expect(await page.locator('.who-name').textContent()).toBe(person.displayName || person.email);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/sign-in/);
      await page.goto(`${suite.webUrl}/settings`);
      await page.waitForURL('**/sign-in?next=%2Fsettings');

      await signInThroughUi(page, suite.webUrl, '/inbox');
      await page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();

      // The session ends behind the page's back (timeout, signed out elsewhere): the next call sends them to sign in.
      // The page may find out first: any read of /v1/me in the background (the inbox reads again when its live
      // socket reconnects, which a loaded CI machine sees) sends it to sign in from the inbox before the click lands.
      await context.clearCookies();
      await page
        .getByRole('link', { name: 'Settings' })
        .click({ timeout: 5_000 })
        .catch(() => undefined);
      await page.waitForURL(/\/sign-in\?next=%2F(settings|inbox)$/);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('an enrollment link works once; opening it again says so and signs no one in', async () => {
    const { enrollmentUrl } = await invite(suite.api);
    const context = await suite.browser.newContext();
    try {
      const page = await context.newPage();
      await addVirtualAuthenticator(page);
      await page.goto(enrollmentUrl);
      await page.getByRole('button', { name: 'Create my passkey' }).click();
      await page.waitForURL('**/inbox');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/sign-in/);

      await page.goto(enrollmentUrl);
      await page.getByRole('button', { name: 'Create my passkey' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/unknown, used or expired/);
      await page.goto(`${suite.webUrl}/inbox`);
      await page.waitForURL('**/sign-in?next=%2Finbox');
    } finally {
      await context.close();
    }
  });
});
