import { type BrowserContext, type Page } from 'playwright-core';
import { TaxonomyService } from '@countersign/taxonomy';
import {
  agentAccessToken,
  type AxeViolation,
  axeViolations,
  call,
  enrolledPerson,
  newResourceServer,
  useBrowserSuite,
} from '@countersign/testing';

jest.setTimeout(90_000);

describe('the admin console', () => {
  const suite = useBrowserSuite();

  /**
   * An admin enrolled through the UI in a context of their own. `bypassCSP` only for the accessibility scan: the
   * app's CSP rightly refuses the injected axe script.
   */
  async function signedInAdmin(options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; email: string }> {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, {
      role: 'admin',
      permissions: ['*'],
      context: { bypassCSP: options.bypassCSP ?? false, viewport: { width: 1280, height: 900 } },
    });
    return { context, page, email: person.email };
  }

  it('a non-admin opening /admin sees the admins-only page, and no admin link', async () => {
    const { context, page } = await enrolledPerson(suite.browser, suite.api, { role: 'approver', permissions: ['payments.*'] });
    try {
      await expect(page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
      await page.goto(`${suite.webUrl}/admin/agents`);
      await page.getByRole('heading', { name: 'Admins only' }).waitFor();
      await expect(page.getByRole('navigation', { name: 'Admin sections' }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: 'Create agent' }).count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  it('creates an agent (secret shown once); its high-tier request reaches the inbox; suspending it empties the inbox live and its token is refused', async () => {
    const admin = await signedInAdmin();
    const approver = await enrolledPerson(suite.browser, suite.api, { role: 'approver', permissions: ['payments.*'] });
    try {
      const { page } = admin;
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Agents' }).click();
      const name = `refund-bot-${Date.now().toString(36)}`;
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Capabilities').fill('payments.*');
      await page.getByLabel('Max pending approvals (empty: the default)').fill('5');
      await page.getByRole('button', { name: 'Create agent' }).click();

      const credentials = page.getByRole('region', { name: `Credentials for ${name}` });
      await credentials.waitFor();
      await credentials.getByText('it is shown this once').waitFor();
      const clientId = await credentials.getByLabel('Client ID').inputValue();
      const secret = await credentials.getByLabel('Client secret').inputValue();
      expect(secret).toMatch(/^cs_secret/);
      await credentials.getByRole('button', { name: 'Copy client secret' }).waitFor();
      await page.getByRole('cell', { name: new RegExp(name) }).waitFor();

      // Away and back: the secret is gone from the page, and nothing on it holds it.
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'People' }).click();
      await page.getByRole('heading', { name: 'People' }).waitFor();
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Agents' }).click();
      await page.getByRole('link', { name }).waitFor();
      await expect(page.getByRole('region', { name: `Credentials for ${name}` }).count()).resolves.toBe(0);
      expect(await page.content()).not.toContain(secret);

      const token = await agentAccessToken(suite.api.url, clientId, secret);
      const { audience } = await newResourceServer(suite.api.app);
      const created = await call<{ id: string; status: string; classification: { tier: string } }>(`${suite.api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'payments.refund', resource: 'order:4411', args: { amount: 500, currency: 'EUR' } },
          on_behalf_of: approver.person.email,
          audience,
          reason: 'Customer asked twice.',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'pending', classification: { tier: 'high' } });
      const inboxItem = approver.page.getByRole('link', { name: /Payments: refund/ });
      await inboxItem.waitFor();

      // The agent's page lists the approval; the kill switch asks first and says what it does.
      await page.getByRole('link', { name }).click();
      await page.getByRole('heading', { name }).waitFor();
      await page.getByRole('cell', { name: /order:4411/ }).waitFor();
      await page.getByRole('button', { name: 'Suspend agent' }).click();
      const dialog = page.getByRole('dialog', { name: `Suspend ${name}?` });
      await dialog.getByText('its pending approvals are cancelled').waitFor();
      await dialog.getByText('its approval tokens that were not yet used are revoked').waitFor();
      await dialog.getByLabel(/Reason/).fill('refunding the same order twice');
      await dialog.getByRole('button', { name: 'Suspend now' }).click();
      await page.getByText(/is suspended\. 1 pending approval was cancelled/).waitFor();
      await page.getByRole('button', { name: 'Resume agent' }).waitFor();
      await page.getByRole('cell', { name: /cancelled: refunding the same order twice/ }).waitFor();

      // Live: the approver's open inbox drops it without a reload.
      await inboxItem.waitFor({ state: 'detached', timeout: 10_000 });
      await approver.page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();
      await approver.page.reload();
      await approver.page.getByRole('heading', { name: 'Inbox' }).waitFor();
      await expect(approver.page.getByRole('link', { name: /Payments: refund/ }).count()).resolves.toBe(0);

      // The token it held is refused, and it cannot get a new one.
      expect((await call(`${suite.api.url}/v1/approvals/${created.body.id}`, { token })).status).toBe(401);
      const again = await fetch(`${suite.api.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
      });
      expect(again.status).toBe(401);
    } finally {
      await admin.context.close();
      await approver.context.close();
    }
  });

  it('a taxonomy edit with a mistake shows the line-numbered error and applies nothing', async () => {
    const admin = await signedInAdmin();
    try {
      const { page } = admin;
      const taxonomy = suite.api.app.get(TaxonomyService);
      const versionsBefore = (await taxonomy.list()).map((version) => version.version);
      const activeBefore = (await taxonomy.list()).find((version) => version.active)?.version;

      await page.goto(`${suite.webUrl}/admin/taxonomy`);
      const editor = page.getByLabel('Taxonomy file (YAML)');
      await expect(editor.inputValue()).resolves.toContain('tiers:');
      const rowsBefore = await page.getByRole('table', { name: 'Versions' }).getByRole('row').count();

      // An unknown tier on a rule.
      const source = await editor.inputValue();
      const lines = source.split('\n');
      const target = lines.findIndex((line) => line.includes('tier: critical') && line.trim().startsWith('tier:'));
      expect(target).toBeGreaterThan(0);
      lines[target] = lines[target].replace('tier: critical', 'tier: catastrophic');
      await editor.fill(lines.join('\n'));
      const lineNumber = target + 1;

      await page.getByRole('button', { name: 'Check' }).click();
      const checked = page.getByRole('alert').filter({ hasText: /error/ });
      await checked.getByRole('button', { name: new RegExp(`^Line ${lineNumber}\\b`) }).waitFor();
      await expect(checked.textContent()).resolves.toMatch(/catastrophic/);

      await page.getByRole('button', { name: 'Apply as a new version' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'Not applied' });
      await refused.waitFor();
      await expect(refused.textContent()).resolves.toMatch(/Nothing changed/);
      const lineButton = refused.getByRole('button', { name: new RegExp(`^Line ${lineNumber}\\b`) });
      await lineButton.click();
      // The link puts the caret on that line in the editor.
      const caretLine = await editor.evaluate((element) => {
        const area = element as unknown as { value: string; selectionStart: number };
        return area.value.slice(0, area.selectionStart).split('\n').length;
      });
      expect(caretLine).toBe(lineNumber);
      await expect(
        editor.evaluate(
          (element) => (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement === element,
        ),
      ).resolves.toBe(true);

      expect((await taxonomy.list()).map((version) => version.version)).toEqual(versionsBefore);
      expect((await taxonomy.list()).find((version) => version.active)?.version).toBe(activeBefore);
      await page.reload();
      await expect(page.getByLabel('Taxonomy file (YAML)').inputValue()).resolves.not.toContain('catastrophic');
      await expect(page.getByRole('table', { name: 'Versions' }).getByRole('row').count()).resolves.toBe(rowsBefore);
    } finally {
      await admin.context.close();
    }
  });

  it('applies a taxonomy change, shows the diff, rolls back with a required reason, and finds it in the audit log', async () => {
    const admin = await signedInAdmin();
    const taxonomy = suite.api.app.get(TaxonomyService);
    const before = (await taxonomy.list()).find((version) => version.active)?.version ?? 0;
    try {
      const { page } = admin;
      await page.goto(`${suite.webUrl}/admin/taxonomy`);
      const editor = page.getByLabel('Taxonomy file (YAML)');
      await expect(editor.inputValue()).resolves.toContain('small refund');
      const source = await editor.inputValue();
      await editor.fill(source.replace('when: "double(args.amount) <= 50.0"', 'when: "double(args.amount) <= 20.0"'));
      await page.getByLabel(/Comment/).fill('smaller auto-approved refunds');
      await page.getByRole('button', { name: 'Apply as a new version' }).click();
      const applied = before + 1;
      await page
        .getByRole('status')
        .filter({ hasText: `Version ${applied} is now active` })
        .waitFor();
      expect((await taxonomy.list()).find((version) => version.active)?.version).toBe(applied);
      await page.getByRole('cell', { name: 'smaller auto-approved refunds' }).waitFor();

      await page.getByLabel('From version').selectOption(String(before));
      await page.getByLabel('To version').selectOption(String(applied));
      await page.getByRole('button', { name: 'Show what changed' }).click();
      await page.getByText(/rule “small refund” changed/).waitFor();
      await expect(page.locator('.diff').textContent()).resolves.toMatch(/<= 50\.0.*→.*<= 20\.0/);

      await page.getByRole('button', { name: `Activate version ${before}` }).click();
      const dialog = page.getByRole('dialog', { name: `Activate version ${before}?` });
      await expect(dialog.getByRole('button', { name: 'Activate' }).isDisabled()).resolves.toBe(true);
      await dialog.getByLabel(/Reason/).fill('refund rule change goes through review first');
      await dialog.getByRole('button', { name: 'Activate' }).click();
      await page.getByText(`Version ${before} is active (was ${applied}).`).waitFor();
      expect((await taxonomy.list()).find((version) => version.active)?.version).toBe(before);

      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log' }).click();
      await page.getByLabel('Event type').fill('taxonomy.activated');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL('**/admin/audit?type=taxonomy.activated');
      const events = page.getByRole('list', { name: 'Audit events, newest first' }).getByRole('listitem');
      // The unfiltered list stays on the page until the search answers, and its newest event may be this very
      // activation: wait for the filtered list itself, not for its first item.
      let texts: string[] = [];
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(100)) {
        texts = await events.allTextContents();
        if (texts.length > 0 && texts.every((text) => text.includes('taxonomy.activated'))) break;
      }
      expect(texts.length).toBeGreaterThan(0);
      expect(texts.filter((text) => !text.includes('taxonomy.activated'))).toEqual([]);
      await events.first().getByText('Data').click();
      await events
        .first()
        .getByText(/refund rule change goes through review first/)
        .waitFor();
      await page.getByRole('button', { name: 'Verify the chain' }).click();
      await page.getByText(/Intact\. All \d+ events verified/).waitFor();
    } finally {
      await admin.context.close();
    }
  });

  it('invites a person (copyable one-time link) and shows the API refusing an admin disabling themselves', async () => {
    const admin = await signedInAdmin();
    try {
      const { page, email } = admin;
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${suite.webUrl}/admin/people`);
      const invitee = `invitee-${Date.now().toString(36)}@example.com`;
      await page.getByLabel('Email').fill(invitee);
      await page.getByLabel('Role').selectOption('approver');
      await page.getByLabel('Permissions').fill('deploy.*, chat.*');
      await page.getByRole('button', { name: 'Invite and get the link' }).click();
      const link = page.getByLabel('Enrollment link', { exact: true });
      await link.waitFor();
      expect(await link.inputValue()).toMatch(/\/enroll#token=/);
      await page.getByRole('button', { name: 'Copy enrollment link' }).click();
      await page.getByRole('cell', { name: 'deploy.*, chat.*' }).waitFor();

      await page.getByRole('button', { name: `Disable ${email}` }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/cannot disable or demote themselves/);
    } finally {
      await admin.context.close();
    }
  });

  it('axe-core finds no serious or critical violations on the overview, people, agents, taxonomy and audit pages', async () => {
    const admin = await signedInAdmin({ bypassCSP: true });
    try {
      const { page } = admin;
      const results: Record<string, AxeViolation[]> = {};
      const scan = async (path: string, ready: () => Promise<unknown>) => {
        await page.goto(`${suite.webUrl}${path}`);
        await ready();
        results[path] = await axeViolations(page);
      };
      await scan('/admin', () => page.getByRole('heading', { name: 'Tier × outcome' }).waitFor());
      await scan('/admin/people', () => page.getByRole('table').waitFor());
      await scan('/admin/agents', () => page.getByRole('table').waitFor());
      await scan('/admin/resource-servers', () => page.getByRole('table').waitFor());
      await scan('/admin/taxonomy', async () => {
        await page.getByRole('table', { name: 'Versions' }).waitFor();
        await page.getByRole('button', { name: 'Check' }).click();
        await page.getByRole('status').filter({ hasText: 'No errors' }).waitFor();
      });
      await scan('/admin/audit', async () => {
        await page.getByRole('list', { name: 'Audit events, newest first' }).waitFor();
        await page.getByRole('button', { name: 'Verify the chain' }).click();
        await page.getByText('Intact.').waitFor();
      });
      expect(results).toEqual({
        '/admin': [],
        '/admin/people': [],
        '/admin/agents': [],
        '/admin/resource-servers': [],
        '/admin/taxonomy': [],
        '/admin/audit': [],
      });
    } finally {
      await admin.context.close();
    }
  });
});
