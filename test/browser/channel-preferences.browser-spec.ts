import { type Browser } from 'playwright-core';
import {
  agentAccessToken,
  axeViolations,
  call,
  closeBrowserSuite,
  enrolledPerson,
  launchBrowser,
  newAgent,
  type RunningApi,
  startWebApi,
} from '@countersign/testing';

jest.setTimeout(90_000);

type Preferences = { tiers: Array<{ tier: string; allowed: string[]; chosen: string[] | null }> };

describe('notification settings: channels per tier', () => {
  let browser: Browser;
  let api: RunningApi & { webUrl: string };

  beforeAll(async () => {
    [browser, api] = await Promise.all([launchBrowser(), startWebApi()]);
  });
  afterAll(async () => {
    await closeBrowserSuite(browser, api);
  });

  it('changes a tier’s channels with the keyboard, refuses none, saves, and passes axe', async () => {
    // axe is injected as a script: the page's CSP would refuse it (as in accessibility.browser-spec.ts).
    const { context, page, person } = await enrolledPerson(browser, api, { permissions: ['*'], context: { bypassCSP: true } });
    const stored = async () =>
      (await call<Preferences>(`${api.url}/v1/admin/people/${person.id}/channel-preferences`, { token: api.config.adminToken! })).body;
    try {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
      const medium = page.getByRole('group', { name: /Medium risk/ });
      const slack = medium.getByRole('checkbox', { name: 'Slack' });
      const push = medium.getByRole('checkbox', { name: 'Push' });
      await slack.waitFor();
      expect(await slack.isChecked()).toBe(true);
      // A channel the tier does not use is shown, and cannot be chosen.
      expect(await medium.getByRole('checkbox', { name: /Email/ }).isDisabled()).toBe(true);

      const violations = await axeViolations(page);
      expect(violations).toEqual([]);

      // None for a tier: refused before anything is sent, and nothing stored.
      await slack.focus();
      await page.keyboard.press('Space');
      await push.focus();
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'Save notification settings' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Choose at least one channel for the medium tier/);
      expect((await stored()).tiers.find((tier) => tier.tier === 'medium')?.chosen).toBeNull();

      // Push only for medium.
      await push.focus();
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'Save notification settings' }).click();
      await page.getByText(/Notification settings saved/).waitFor();
      expect((await stored()).tiers.find((tier) => tier.tier === 'medium')?.chosen).toEqual(['web_push']);
      expect((await stored()).tiers.find((tier) => tier.tier === 'high')?.chosen).toBeNull();
      // No browser of theirs is subscribed to push, so the page says the choice cannot be honoured yet.
      await medium.getByText(/None of your choices can reach you now/).waitFor();

      // It stays so after a reload.
      await page.reload();
      await medium.getByRole('checkbox', { name: 'Push' }).waitFor();
      expect(await medium.getByRole('checkbox', { name: 'Slack' }).isChecked()).toBe(false);
      expect(await medium.getByRole('checkbox', { name: 'Push' }).isChecked()).toBe(true);

      // The approval page says who was reached where. Here push cannot reach the person (no device subscribed),
      // so the choice is not honoured and every channel of the tier was planned; Slack is not configured.
      const agent = await newAgent(api.app, { capabilities: ['*'] });
      const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
      const created = await call<{ id: string }>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: 'hello' } },
          on_behalf_of: person.email,
          audience: 'https://chat.internal',
        },
      });
      expect(created.status).toBe(201);
      await page.goto(`${api.webUrl}/approvals/${created.body.id}`);
      const reached = page.getByRole('list', { name: 'Who was reached where' });
      await reached.waitFor();
      const text = await reached.textContent();
      expect(text).toContain('not reached on any channel');
      expect(text).toMatch(/Slack off on this Countersign/);
      expect(text).toMatch(/Push unreachable/);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
