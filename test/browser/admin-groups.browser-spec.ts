import { CLI } from '@countersign/audit';
import { GroupsService } from '@countersign/people';
import { axeViolations, enrolledPerson, newPerson, useBrowserSuite } from '@countersign/testing';

jest.setTimeout(90_000);

describe("the admin console's Groups page", () => {
  const suite = useBrowserSuite();

  it('lists the directory’s groups with their member counts and permissions, and edits a group’s permissions', async () => {
    const groups = suite.api.app.get(GroupsService);
    const members = await Promise.all([newPerson(suite.api.app), newPerson(suite.api.app)]);
    const name = `finance-${Date.now().toString(36)}`;
    const group = await groups.create(CLI, { name, externalId: 'entra-finance', memberIds: members.map((member) => member.id) });
    const { context, page } = await enrolledPerson(suite.browser, suite.api, {
      role: 'admin',
      permissions: ['*'],
      context: { bypassCSP: true, viewport: { width: 1280, height: 900 } },
    });
    try {
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Groups' }).click();
      await page.getByRole('heading', { name: 'Groups' }).waitFor();
      const row = page.getByRole('row').filter({ hasText: name });
      await row.waitFor();
      await expect(row.getByRole('cell').nth(1).innerText()).resolves.toBe('2');
      await row.getByText('entra-finance').waitFor();
      expect(await axeViolations(page)).toEqual([]);

      await page.getByRole('button', { name: `Edit permissions of ${name}` }).click();
      const form = page.getByRole('form', { name: `Permissions of ${name}` });
      await form.getByLabel('Permissions').fill('payments/refund');
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByText(/is not an action pattern/).waitFor();
      expect((await groups.find(group.id))!.permissions).toEqual([]);

      await form.getByLabel('Permissions').fill('payments.refund, chat.*');
      await form.getByRole('button', { name: 'Save' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Saved ${name}: payments.refund, chat.*` })
        .waitFor();
      await page.getByRole('row').filter({ hasText: name }).getByText('payments.refund, chat.*').waitFor();
      expect((await groups.find(group.id))!.permissions).toEqual(['payments.refund', 'chat.*']);
    } finally {
      await context.close();
    }
  });
});
