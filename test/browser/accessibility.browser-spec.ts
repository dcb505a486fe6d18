import { agentAccessToken, axeViolations, call, enrolledPerson, newAgent, newResourceServer, useBrowserSuite } from '@countersign/testing';

jest.setTimeout(90_000);

describe('accessibility (axe-core): the approver pages have no serious or critical violations', () => {
  const suite = useBrowserSuite();

  it('sign-in, inbox with an approval, the approval page (with a provenance warning), settings', async () => {
    const agent = await newAgent(suite.api.app, { capabilities: ['payments.*'] });
    const token = await agentAccessToken(suite.api.url, agent.clientId, agent.clientSecret);
    const { audience } = await newResourceServer(suite.api.app, `https://payments.internal/${Date.now()}`);
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, {
      permissions: ['payments.*'],
      context: { bypassCSP: true },
    });
    try {
      const created = await call<{ id: string }>(`${suite.api.url}/v1/approvals`, {
        token,
        body: {
          action: {
            type: 'payments.refund',
            resource: 'order:77',
            args: {
              amount: 120,
              currency: 'USD',
              card_number: '4000000000000002',
              recipient: { name: 'Dana Smith', email: 'dana@example.com' },
            },
          },
          on_behalf_of: person.email,
          audience,
          reason: 'Duplicate charge.',
          context: { provenance: ['email:inbound'] },
        },
      });
      expect(created.status).toBe(201);

      const results: Record<string, unknown> = {};
      await page.getByRole('link', { name: /Payments: refund/ }).waitFor();
      results.inbox = await axeViolations(page);

      await page.getByRole('link', { name: /Payments: refund/ }).click();
      await page.getByRole('heading', { name: 'Payments: refund' }).waitFor();
      await page.getByRole('heading', { name: /Untrusted input shaped this request/ }).waitFor();
      results.approval = await axeViolations(page);

      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('list', { name: 'Your passkeys' }).waitFor();
      results.settings = await axeViolations(page);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
      results.signIn = await axeViolations(page);

      expect(results).toEqual({ inbox: [], approval: [], settings: [], signIn: [] });
    } finally {
      await context.close();
    }
  });

  it('the scan does find a violation when there is one (an unlabelled field injected into the page)', async () => {
    const context = await suite.browser.newContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(`${suite.webUrl}/sign-in`);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
      await page.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text">')`);
      expect((await axeViolations(page)).map((violation) => violation.id)).toContain('label');
    } finally {
      await context.close();
    }
  });
});
