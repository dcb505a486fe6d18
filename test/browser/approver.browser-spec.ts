import { createECDH, randomBytes } from 'node:crypto';
import { ApprovalLifecycleService } from '@countersign/approvals';
import {
  addVirtualAuthenticator,
  agentAccessToken,
  call,
  enrolledPerson,
  newAgent,
  newResourceServer,
  useBrowserSuite,
} from '@countersign/testing';

jest.setTimeout(90_000);

type AgentView = {
  id: string;
  status: string;
  status_reason: string | null;
  approval_token?: string;
  decisions: Array<{ person: string; verdict: string; reason: string | null }>;
};

describe('the approver in the browser: live inbox, the approval page, step-up, deny, expiry, settings', () => {
  let agentToken: string;
  let agentName: string;
  let audience: string;

  // The settings test's stubbed subscription points at push.example.test (no worker runs here: nothing is pushed).
  const suite = useBrowserSuite({ PUSH_SERVICE_ORIGINS: 'https://push.example.test' });

  beforeAll(async () => {
    agentName = `refund-bot-${randomBytes(3).toString('hex')}`;
    const agent = await newAgent(suite.api.app, { name: agentName, capabilities: ['payments.*', 'email.*'] });
    agentToken = await agentAccessToken(suite.api.url, agent.clientId, agent.clientSecret);
    audience = (await newResourceServer(suite.api.app, `https://payments.internal/${Date.now()}`)).audience;
  });

  /** High tier in the default taxonomy: a refund between 50 and 10,000 needs the person and a passkey step-up. */
  const requestRefund = async (onBehalfOf: string, overrides: Record<string, unknown> = {}) => {
    const created = await call<AgentView>(`${suite.api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: {
          type: 'payments.refund',
          resource: 'order:8812',
          args: { amount: 740, currency: 'EUR', customer: 'ACME GmbH', card_number: '4111111111111111' },
        },
        on_behalf_of: onBehalfOf,
        audience,
        reason: 'The customer was charged twice for order 8812.',
        ...overrides,
      },
    });
    expect(created.status).toBe(201);
    return created.body;
  };

  const decodeJwt = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

  it('the whole journey: invited by an admin, enrolled, the request appears live, step-up approve, the agent gets its token', async () => {
    const email = `journey-${Date.now()}@example.com`;
    const invited = await call<{ person: { id: string }; enrollment: { url: string } }>(`${suite.api.url}/v1/admin/people`, {
      token: suite.api.config.adminToken!,
      body: { email, role: 'approver', permissions: ['payments.*'] },
    });
    expect(invited.status).toBe(201);
    const context = await suite.browser.newContext();
    try {
      const page = await context.newPage();
      const authenticator = await addVirtualAuthenticator(page);
      await page.goto(invited.body.enrollment.url);
      await page.getByRole('button', { name: 'Create my passkey' }).click();
      await page.waitForURL('**/inbox');
      await page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      // A marker that a reload or navigation would wipe.
      await page.evaluate('window.__noReload = true');

      const approval = await requestRefund(email);
      expect(approval.status).toBe('pending');
      const row = page.getByRole('link', { name: /Payments: refund/ });
      await row.waitFor({ timeout: 10_000 });
      expect(await page.evaluate('window.__noReload')).toBe(true);
      await expect(row.textContent()).resolves.toMatch(new RegExp(`High risk.*order:8812.*Agent ${agentName} for `, 's'));
      await expect(row.textContent()).resolves.toMatch(/\d+ min \d+ s left/);

      await row.click();
      await page.waitForURL(`**/approvals/${approval.id}`);
      await page.getByRole('heading', { name: 'Payments: refund' }).waitFor();
      const table = page.getByRole('table');
      await expect(table.locator('tr.key-fact', { hasText: 'amount' }).textContent()).resolves.toContain('740');
      // The card number is sensitive in the taxonomy: redacted when stored, shown as hidden.
      await expect(table.locator('tr', { hasText: 'card number' }).textContent()).resolves.toContain('hidden (sensitive)');
      await expect(page.content()).resolves.not.toContain('4111111111111111');
      await page.getByRole('heading', { name: 'Cannot be undone, only offset' }).waitFor();
      await page.getByRole('heading', { name: 'Reaches outside the organisation' }).waitFor();
      await expect(page.locator('.risk-line').textContent()).resolves.toBe(
        'Cannot be undone, only offset · Reaches outside the organisation',
      );
      await page.getByText("The agent's own words: Countersign has not verified them.").waitFor();
      await page.getByText('The customer was charged twice for order 8812.').waitFor();

      const waiting = call<AgentView>(`${suite.api.url}/v1/approvals/${approval.id}?wait=30`, { token: agentToken });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signCountBefore = (await authenticator.credentials())[0].signCount;
      await page.getByRole('button', { name: 'Approve with passkey' }).click();
      await page.getByRole('heading', { name: 'You approved it' }).waitFor();
      await page.getByText(`Countersign issued the agent ${agentName} a single-use approval token`, { exact: false }).waitFor();
      expect((await authenticator.credentials())[0].signCount).toBeGreaterThan(signCountBefore);

      const answered = await waiting;
      expect(answered.body.status).toBe('approved');
      expect(answered.body.decisions).toEqual([expect.objectContaining({ person: invited.body.person.id, verdict: 'approve' })]);
      const claims = decodeJwt(answered.body.approval_token!);
      expect(claims).toMatchObject({
        sub: invited.body.person.id,
        approval_id: approval.id,
        approvers: [{ sub: invited.body.person.id, channel: 'web', amr: expect.arrayContaining(['passkey']) }],
      });

      // Decided: the inbox no longer lists it, and the page cannot decide it again.
      await page.getByRole('link', { name: '← Inbox' }).click();
      await page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByRole('heading', { name: 'Approved', exact: true }).waitFor();
      expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('deny with a reason: the agent sees denied and the reason', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      const approval = await requestRefund(person.email);
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByLabel(/Reason for denying/).fill('We already refunded this order last week.');
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.getByRole('heading', { name: 'You denied it' }).waitFor();

      const seen = await call<AgentView>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: agentToken });
      expect(seen.body.status).toBe('denied');
      expect(seen.body.approval_token).toBeUndefined();
      expect(seen.body.decisions).toEqual([
        expect.objectContaining({ person: person.id, verdict: 'deny', reason: 'We already refunded this order last week.' }),
      ]);
    } finally {
      await context.close();
    }
  });

  it('an expired approval shows as expired and offers no decision; the API refuses one too', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      const approval = await requestRefund(person.email, { expires_in: 2 });
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByRole('heading', { name: 'Payments: refund' }).waitFor();
      await page.getByRole('heading', { name: 'Expired: it can no longer be decided' }).waitFor({ timeout: 10_000 });
      await expect(page.getByTestId('approval-status').textContent()).resolves.toBe('Expired');
      expect(await page.getByRole('button', { name: /Approve|Deny/ }).count()).toBe(0);

      const refused = await page.evaluate(async (id: string) => {
        const me = (await (await fetch('/v1/me')).json()) as { csrf_token: string };
        const response = await fetch(`/v1/me/approvals/${id}/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token },
          body: JSON.stringify({ verdict: 'deny' }),
        });
        return { status: response.status, body: (await response.json()) as { code: string } };
      }, approval.id);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.body.code).toBe('expired');
      const seen = await call<AgentView>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: agentToken });
      expect(seen.body.status).toBe('expired');
    } finally {
      await context.close();
    }
  });

  it('the approval page follows a change made elsewhere without a reload (the agent cancels)', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      const approval = await requestRefund(person.email);
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByRole('button', { name: 'Approve with passkey' }).waitFor();
      await page.waitForTimeout(300);
      expect((await call(`${suite.api.url}/v1/approvals/${approval.id}/cancel`, { token: agentToken, body: {} })).status).toBe(200);
      await page.getByRole('heading', { name: 'Cancelled' }).waitFor({ timeout: 10_000 });
      expect(await page.getByRole('button', { name: /Approve|Deny/ }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('the approval page shows where the approval is on its escalation ladder', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      // A large refund is critical: the default taxonomy escalates it to the admins after 30 minutes (one step).
      const approval = await requestRefund(person.email, {
        action: { type: 'payments.refund', resource: 'order:9001', args: { amount: 20000, currency: 'EUR' } },
      });
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByText('Not escalated yet (the tier has one escalation step); the next step is due', { exact: false }).waitFor();
      // What deprovisioning does when the only approver is gone: the step is taken now.
      expect(await suite.api.app.get(ApprovalLifecycleService).escalateNow(approval.id)).toMatchObject({ step: 1 });
      await page.reload();
      await page.getByText('Escalation step 1 of 1.', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('the inbox pages through older approvals with the cursor', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      for (let index = 0; index < 26; index++) {
        await requestRefund(person.email, {
          action: { type: 'payments.refund', resource: `order:${1000 + index}`, args: { amount: 100 + index, currency: 'EUR' } },
        });
      }
      await page.reload();
      const rows = page.getByRole('list', { name: 'Approvals waiting for you' }).getByRole('listitem');
      await rows.nth(24).waitFor();
      expect(await rows.count()).toBe(25);
      // Newest first: the first request is the one left for the second page.
      await expect(rows.first().textContent()).resolves.toContain('order:1025');
      await page.getByRole('button', { name: 'Show older approvals' }).click();
      await rows.nth(25).waitFor();
      expect(await rows.count()).toBe(26);
      await expect(rows.last().textContent()).resolves.toContain('order:1000');
      expect(await page.getByRole('button', { name: 'Show older approvals' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('an approval created while the live connection is still being made appears once it connects', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      // Hold the page's socket until the approval exists: the event about it is sent while nobody listens.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await context.routeWebSocket(/\/v1\/live/, async (socket) => {
        await held;
        socket.connectToServer();
      });
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'Connecting' }).waitFor();
      await page.getByRole('heading', { name: 'Nothing waits for you' }).waitFor();
      await requestRefund(person.email);
      release();
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      await page.getByRole('link', { name: /Payments: refund/ }).waitFor({ timeout: 5_000 });
    } finally {
      await context.close();
    }
  });

  it('keyboard only: from the inbox to a denied approval without a mouse', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      const approval = await requestRefund(person.email);
      await page.getByRole('link', { name: /Payments: refund/ }).waitFor();
      // "TAG:accessible-ish text" of the focused element.
      const focused = () =>
        page.evaluate<string>(
          '(e => e.tagName + ":" + (e.getAttribute("aria-label") || e.textContent || "").trim())(document.activeElement)',
        );
      const tabTo = async (pattern: RegExp) => {
        for (let presses = 0; presses < 30; presses++) {
          await page.keyboard.press('Tab');
          if (pattern.test(await focused())) return;
        }
        throw new Error(`Tab never reached ${String(pattern)}`);
      };
      await tabTo(/^A:High risk.*Payments: refund/s);
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/approvals/${approval.id}`);
      await page.getByRole('heading', { name: 'Payments: refund' }).waitFor();
      await tabTo(/^TEXTAREA:/);
      await page.keyboard.type('Not during the freeze.');
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('BUTTON:Deny');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'You denied it' }).waitFor();
      const seen = await call<AgentView>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: agentToken });
      expect(seen.body.decisions).toEqual([expect.objectContaining({ verdict: 'deny', reason: 'Not during the freeze.' })]);
    } finally {
      await context.close();
    }
  });

  it('someone who may not decide an approval is told so, not shown it', async () => {
    const owner = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    const other = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      const approval = await requestRefund(owner.person.email);
      await other.page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await expect(other.page.getByRole('alert').textContent()).resolves.toBe(
        'This approval does not exist, or it is not yours to decide.',
      );
      await expect(other.page.content()).resolves.not.toContain('order:8812');
    } finally {
      await owner.context.close();
      await other.context.close();
    }
  });

  it('on a phone (390×844): the approval page fits the width, the key facts are on the first screen, the buttons reachable', async () => {
    const { context, page, person } = await enrolledPerson(suite.browser, suite.api, {
      permissions: ['payments.*'],
      viewport: { width: 390, height: 844 },
    });
    try {
      const approval = await requestRefund(person.email);
      await page.goto(`${suite.webUrl}/approvals/${approval.id}`);
      await page.getByRole('heading', { name: 'Payments: refund' }).waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      const facts = page.locator('dl.facts');
      const box = await facts.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.y + box!.height).toBeLessThanOrEqual(844);
      await expect(facts.textContent()).resolves.toMatch(/amount\s*740.*currency\s*EUR/s);
      for (const name of ['Approve with passkey', 'Deny']) {
        const button = page.getByRole('button', { name });
        await button.scrollIntoViewIfNeeded();
        const buttonBox = await button.boundingBox();
        expect(buttonBox!.width).toBeGreaterThan(300);
        expect(buttonBox!.height).toBeGreaterThanOrEqual(44);
      }
      await page.getByRole('button', { name: 'Approve with passkey' }).click();
      await page.getByRole('heading', { name: 'You approved it' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('settings: passkeys listed, another added, the last one cannot be removed; push enabled on this device', async () => {
    const { context, page, authenticator } = await enrolledPerson(suite.browser, suite.api, { permissions: ['payments.*'] });
    try {
      await page.getByRole('link', { name: 'Settings' }).click();
      const passkeys = page.getByRole('list', { name: 'Your passkeys' });
      await passkeys.getByRole('listitem').first().waitFor();
      expect(await passkeys.getByRole('listitem').count()).toBe(1);

      page.on('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: /Remove passkey/ }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/last/i);
      expect(await passkeys.getByRole('listitem').count()).toBe(1);

      // A second authenticator (another device) for the new passkey: the first already holds one for this person.
      await authenticator.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator.authenticatorId });
      const second = await addVirtualAuthenticator(page);
      await page.getByLabel('Name for a new passkey (optional)').fill('Work phone');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('Passkey “Work phone” added.').waitFor();
      expect(await passkeys.getByRole('listitem').count()).toBe(2);
      expect(await second.credentials()).toHaveLength(1);
      await page.getByRole('button', { name: 'Remove passkey Work phone' }).click();
      await page.getByText('Passkey “Work phone” removed.').waitFor();
      expect(await passkeys.getByRole('listitem').count()).toBe(1);

      await page.getByText('Not linked.', { exact: false }).waitFor();
      await expect(page.getByRole('list', { name: 'Your sessions' }).textContent()).resolves.toContain('this device');

      // Headless Chromium has no push service: PushManager.subscribe would never settle, so the subscription the
      // browser would hand back is stubbed (a real P-256 key); the service worker registration is real.
      const p256dh = createECDH('prime256v1');
      p256dh.generateKeys();
      const subscription = {
        endpoint: `https://push.example.test/send/${randomBytes(8).toString('hex')}`,
        expirationTime: null,
        keys: { p256dh: p256dh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
      };
      await context.grantPermissions(['notifications'], { origin: suite.webUrl });
      await page.evaluate(`(() => {
        const fake = ${JSON.stringify(subscription)};
        PushManager.prototype.getSubscription = async () => null;
        PushManager.prototype.subscribe = async (options) => {
          window.__subscribedWithKey = options.applicationServerKey.byteLength;
          return { toJSON: () => fake };
        };
      })()`);
      await page.getByRole('button', { name: 'Enable notifications on this device' }).click();
      await page.getByText(/Notifications are on for this device/).waitFor({ timeout: 15_000 });
      expect(await page.evaluate('window.__subscribedWithKey')).toBe(65);
      expect(await page.evaluate('navigator.serviceWorker.getRegistration("/").then((r) => r && r.active && r.active.scriptURL)')).toBe(
        `${suite.webUrl}/sw.js`,
      );
      await expect(page.getByRole('list', { name: 'Devices that get notifications' }).textContent()).resolves.toContain(
        'https://push.example.test',
      );
    } finally {
      await context.close();
    }
  });
});
