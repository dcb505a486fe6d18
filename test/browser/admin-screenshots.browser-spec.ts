import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  addVirtualAuthenticator,
  agentAccessToken,
  call,
  invite,
  newAgent,
  newResourceServer,
  signedInPerson,
  useBrowserSuite,
  withClient,
} from '@countersign/testing';

/**
 * `SCREENSHOTS=1 npx jest --selectProjects browser --runInBand test/browser/admin-screenshots`: seeds a deployment
 * and writes the admin overview and the taxonomy editor (showing a refused edit) to docs/screenshots/. Skipped in
 * `npm test`: it asserts nothing the admin suite does not.
 */
const run = process.env.SCREENSHOTS === '1' ? describe : describe.skip;
const OUT = join(__dirname, '..', '..', 'docs', 'screenshots');

jest.setTimeout(120_000);

run('screenshots of the admin console', () => {
  const suite = useBrowserSuite();

  beforeAll(() => {
    mkdirSync(OUT, { recursive: true });
  });

  it('writes admin-overview.png and admin-taxonomy.png', async () => {
    const { audience } = await newResourceServer(suite.api.app);
    const approvers = await Promise.all(
      ['dana@example.com', 'lee@example.com'].map((email) => signedInPerson(suite.api.app, suite.webUrl, { email, permissions: ['*'] })),
    );
    const agents = await Promise.all(['support-bot', 'release-bot'].map((name) => newAgent(suite.api.app, { name, capabilities: ['*'] })));
    const tokens = await Promise.all(agents.map((agent) => agentAccessToken(suite.api.url, agent.clientId, agent.clientSecret)));
    const requests: Array<{ type: string; resource: string; args: Record<string, unknown> }> = [
      { type: 'payments.refund', resource: 'order:1', args: { amount: 20, currency: 'EUR' } },
      { type: 'payments.refund', resource: 'order:2', args: { amount: 35, currency: 'EUR' } },
      { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'deploy done' } },
      { type: 'chat.message.send', resource: 'channel:support', args: { text: 'on it' } },
      { type: 'chat.message.send', resource: 'channel:eng', args: { text: 'heads up' } },
      { type: 'deploy.service', resource: 'svc:api', args: { environment: 'production', version: '2.4.1' } },
      { type: 'deploy.service', resource: 'svc:web', args: { environment: 'production', version: '1.9.0' } },
      { type: 'payments.refund', resource: 'order:3', args: { amount: 500, currency: 'EUR' } },
      { type: 'payments.refund', resource: 'order:4', args: { amount: 900, currency: 'EUR' } },
      { type: 'email.bulk.send', resource: 'campaign:spring', args: { recipient_count: 4000 } },
      { type: 'database.query', resource: 'db:orders', args: { sql: 'DROP TABLE orders' } },
      { type: 'chat.message.send', resource: 'channel:random', args: { text: 'lunch?' } },
    ];
    const ids: string[] = [];
    for (const [index, action] of requests.entries()) {
      const answer = await call<{ id: string }>(`${suite.api.url}/v1/approvals`, {
        token: tokens[index % 2],
        body: { action, on_behalf_of: approvers[index % 2].person.email, audience },
      });
      ids.push(answer.body.id);
    }
    const decide = (index: number, verdict: 'approve' | 'deny', open = false) => {
      const { browser: person } = approvers[index % 2];
      return (open ? person.request('GET', `/v1/me/approvals/${ids[index]}`) : Promise.resolve()).then(() =>
        person.decide(ids[index], verdict, { reason: verdict === 'deny' ? 'not now' : undefined, stepUp: index === 5 }),
      );
    };
    for (const [index, verdict, open] of [
      [2, 'approve', true],
      [3, 'approve', false],
      [4, 'deny', false],
      [5, 'approve', false],
    ] as const) {
      const decided = await decide(index, verdict, open);
      if (decided.status !== 200) throw new Error(`decision ${index} answered ${decided.status}: ${JSON.stringify(decided.body)}`);
    }
    await call(`${suite.api.url}/v1/approvals/${ids[11]}/cancel`, { token: tokens[1], body: {} });
    await withClient(suite.api.config.databaseUrl, async (client) => {
      // Spread the decisions over minutes, and record two deliveries that did not arrive, as the worker would.
      await client.query(`UPDATE approvals SET created_at = decided_at - interval '95 seconds' WHERE id = $1`, [ids[2]]);
      await client.query(`UPDATE approvals SET created_at = decided_at - interval '4 minutes' WHERE id = $1`, [ids[3]]);
      await client.query(`UPDATE approvals SET created_at = decided_at - interval '11 minutes' WHERE id = $1`, [ids[4]]);
      await client.query(`UPDATE approvals SET created_at = decided_at - interval '7 minutes' WHERE id = $1`, [ids[5]]);
      await client.query(
        `INSERT INTO deliveries (approval_id, person_id, channel, kind, state, attempts) VALUES ($1, $2, 'slack', 'request', 'failed', 5), ($3, $4, 'web_push', 'request', 'gone', 1)`,
        [ids[7], approvers[1].person.id, ids[8], approvers[0].person.id],
      );
    });

    const { enrollmentUrl } = await invite(suite.api, { role: 'admin', permissions: ['*'] });
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await addVirtualAuthenticator(page);
      await page.goto(enrollmentUrl);
      await page.getByRole('button', { name: 'Create my passkey' }).click();
      await page.waitForURL('**/inbox');

      await page.goto(`${suite.webUrl}/admin`);
      await page.getByRole('heading', { name: 'Fast approvals', exact: true }).waitFor();
      await page.screenshot({ path: join(OUT, 'admin-overview.png'), fullPage: true });

      await page.goto(`${suite.webUrl}/admin/taxonomy`);
      const editor = page.getByLabel('Taxonomy file (YAML)');
      await page.getByRole('table', { name: 'Versions' }).waitFor();
      const source = await editor.inputValue();
      await editor.fill(source.replace('when: "double(args.amount) <= 50.0"', 'when: "double(args.amount) <= "'));
      await page.getByRole('button', { name: 'Apply as a new version' }).click();
      await page.getByRole('alert').filter({ hasText: 'Not applied' }).getByRole('button').first().click();
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.screenshot({ path: join(OUT, 'admin-taxonomy.png'), fullPage: false });
    } finally {
      await context.close();
    }
  });
});
