import { call, enrolledPerson, newPerson, useBrowserSuite } from '@countersign/testing';

jest.setTimeout(90_000);

describe('delegation in Settings', () => {
  const suite = useBrowserSuite();

  it('hands my approvals to a colleague until a date, shows it, refuses a bad one, and ends it', async () => {
    const colleague = await newPerson(suite.api.app, { email: `colleague-${Date.now()}@example.com` });
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['*'] });
    try {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Delegation' }).waitFor();

      // Myself: refused with the server's reason, nothing listed.
      await page.getByLabel('Delegate (email)').fill(person.email);
      await page.getByLabel('Until').fill(localDateTime(new Date(Date.now() + 7 * 86_400_000)));
      await page.getByRole('button', { name: 'Delegate my approvals' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/cannot delegate to themselves/);

      await page.getByLabel('Delegate (email)').fill(colleague.email);
      await page.getByLabel('Reason (optional)').fill('On leave');
      await page.getByRole('button', { name: 'Delegate my approvals' }).click();
      await page.getByText(/may decide your approvals until/).waitFor();
      const list = page.getByRole('list', { name: 'Delegations in force or scheduled' });
      await expect(list.textContent()).resolves.toContain('On leave');

      const held = await call<{ delegations: Array<{ state: string; delegate: { id: string } }> }>(
        `${suite.api.url}/v1/admin/people/${colleague.id}/delegations`,
        { token: suite.api.config.adminToken! },
      );
      expect(held.body.delegations).toEqual([
        expect.objectContaining({ state: 'active', delegate: expect.objectContaining({ id: colleague.id }) }),
      ]);

      await list.getByRole('button', { name: /End the delegation to/ }).click();
      await page.getByText('Delegation ended.').waitFor();
      expect(await list.count()).toBe(0);
      const ended = await call<{ delegations: Array<{ state: string }> }>(`${suite.api.url}/v1/admin/people/${colleague.id}/delegations`, {
        token: suite.api.config.adminToken!,
      });
      expect(ended.body.delegations.map((delegation) => delegation.state)).toEqual(['revoked']);
    } finally {
      await context.close();
    }
  });
});

/** The value a `datetime-local` input takes, in the browser's (and this process's) local time. */
function localDateTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
