import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import {
  agentAccessToken,
  call,
  enrolledPerson,
  newAgent,
  newResourceServer,
  type RunningApi,
  type SignedInPage,
  useBrowserSuite,
} from '@countersign/testing';

/**
 * `npm run screenshots`: seeds a deployment and writes PNGs of the main pages to docs/screenshots/. Skipped in
 * `npm test` (it asserts nothing a reviewer needs; the other browser suites do).
 */
const run = process.env.SCREENSHOTS === '1' ? describe : describe.skip;
const OUT = join(__dirname, '..', '..', 'docs', 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

interface Seeded {
  api: RunningApi & { webUrl: string };
  admin: SignedInPage;
  phone: SignedInPage;
  approvals: Record<'refund' | 'campaign' | 'write' | 'drop', string>;
}

/** One screenshot: where to go on which page, what to wait for. Add admin pages here (`admin.page` is an admin's). */
interface Shot {
  file: string;
  take: (seeded: Seeded) => Promise<{ page: Page; fullPage?: boolean }>;
}

const SHOTS: Shot[] = [
  {
    file: 'inbox.png',
    take: async ({ admin }) => {
      await admin.page.goto(new URL('/inbox', admin.page.url()).href);
      await admin.page.getByRole('link', { name: /Payments: refund/ }).waitFor();
      return { page: admin.page };
    },
  },
  {
    file: 'approval-phone.png',
    take: async ({ phone, approvals }) => {
      await phone.page.goto(new URL(`/approvals/${approvals.refund}`, phone.page.url()).href);
      await phone.page.getByRole('button', { name: 'Approve with passkey' }).waitFor();
      return { page: phone.page, fullPage: true };
    },
  },
  {
    file: 'approval-desktop.png',
    take: async ({ admin, approvals }) => {
      await admin.page.goto(new URL(`/approvals/${approvals.campaign}`, admin.page.url()).href);
      await admin.page.getByRole('heading', { name: /Untrusted input/ }).waitFor();
      return { page: admin.page, fullPage: true };
    },
  },
  {
    file: 'settings.png',
    take: async ({ admin }) => {
      await admin.page.goto(new URL('/settings', admin.page.url()).href);
      await admin.page.getByRole('list', { name: 'Your sessions' }).waitFor();
      return { page: admin.page, fullPage: true };
    },
  },
];

run('screenshots of the main pages (docs/screenshots)', () => {
  let seeded: Seeded;

  const suite = useBrowserSuite();

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const admin = await enrolledPerson(suite.browser, suite.api, {
      email: 'maya.okafor@example.com',
      displayName: 'Maya Okafor',
      role: 'admin',
      permissions: ['*'],
      context: { viewport: DESKTOP },
    });
    const phone = await enrolledPerson(suite.browser, suite.api, {
      email: 'sam.lindqvist@example.com',
      displayName: 'Sam Lindqvist',
      role: 'approver',
      permissions: ['payments.*'],
      viewport: PHONE,
    });

    const agent = await newAgent(suite.api.app, { name: 'support-copilot', capabilities: ['*'] });
    const token = await agentAccessToken(suite.api.url, agent.clientId, agent.clientSecret);
    const payments = (await newResourceServer(suite.api.app, 'https://payments.internal')).audience;
    const mail = (await newResourceServer(suite.api.app, 'https://mail.internal')).audience;
    const crm = (await newResourceServer(suite.api.app, 'https://crm-db.internal')).audience;
    const request = async (body: Record<string, unknown>) => {
      const created = await call<{ id: string }>(`${suite.api.url}/v1/approvals`, { token, body });
      if (created.status !== 201) throw new Error(`seeding answered ${created.status}: ${JSON.stringify(created.body)}`);
      return created.body.id;
    };
    const write = await request({
      action: {
        type: 'database.write',
        resource: 'crm.contacts',
        args: { table: 'contacts', rows: 312, operation: 'update', set: { newsletter_opt_in: false } },
      },
      on_behalf_of: admin.person.email,
      audience: crm,
      reason: 'Customers asked to be removed from the newsletter.',
    });
    const drop = await request({
      action: { type: 'database.schema.drop_table', resource: 'crm.legacy_leads', args: { table: 'legacy_leads', database: 'crm' } },
      on_behalf_of: admin.person.email,
      audience: crm,
      reason: 'The table has been unused since 2024.',
      expires_in: 7000,
    });
    const campaign = await request({
      action: {
        type: 'email.bulk.send',
        resource: 'campaign:spring-sale',
        args: { recipient_count: 4180, segment: 'all-customers', subject: 'Spring sale: 30% off everything', body: 'Hello…' },
      },
      on_behalf_of: admin.person.email,
      audience: mail,
      reason: 'Marketing asked for the spring campaign to go out today.',
      context: { provenance: ['user', 'email:inbound'] },
    });
    const refund = await request({
      action: {
        type: 'payments.refund',
        resource: 'order:8812',
        args: { amount: 740, currency: 'EUR', customer: 'ACME GmbH', card_number: '4111111111111111' },
      },
      on_behalf_of: phone.person.email,
      audience: payments,
      reason: 'The customer was charged twice for order 8812.',
    });
    await request({
      action: { type: 'payments.refund', resource: 'order:9104', args: { amount: 2400, currency: 'EUR', customer: 'Nordlicht AB' } },
      on_behalf_of: admin.person.email,
      audience: payments,
      reason: 'Damaged goods, photos attached to the ticket.',
    });
    seeded = { api: suite.api, admin, phone, approvals: { refund, campaign, write, drop } };
  }, 120_000);

  it.each(SHOTS.map((shot) => [shot.file, shot] as const))(
    '%s',
    async (file, shot) => {
      const { page, fullPage } = await shot.take(seeded);
      // Let the countdowns and the live indicator settle.
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(OUT, file), fullPage: fullPage ?? false });
    },
    60_000,
  );
});
