import { type INestApplicationContext, Logger } from '@nestjs/common';
import { AuditService, CLI } from '@countersign/audit';
import { type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  newAgent,
  newResourceServer,
  PersonBrowser,
  type ReceivedMail,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  TestSmtpServer,
  withClient,
} from '@countersign/testing';

jest.setTimeout(90_000);

type Notification = { person: string; channel: string; state: string; kind: string; detail?: string | null };
type View = { id: string; status: string; notifications: Notification[] };
type PersonView = View & { escalated_to: string[]; action: { type: string; resource: string } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await sleep(100);
  }
};

/**
 * Every tier that asks people reaches them by email only. `payments.transfer` is high (a passkey to decide; a reminder
 * after 2 s) and has sensitive paths; `chat.send` is medium (no step-up) and escalates to admins after a minute, or
 * at once when its approver cannot be reached.
 */
const EMAIL_TAXONOMY = `description: email channel tests
trusted_provenance: [user, system]
unknown_action: critical
tiers:
  low:       { decision: auto_approve, token_ttl: 5m }
  medium:    { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none,
               channels: [email], ttl: 30m, escalate_after: 60s, escalate_to: ["role:admin"] }
  high:      { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: passkey,
               channels: [email], ttl: 30m, remind_after: 2s }
  critical:  { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: passkey, channels: [email], ttl: 30m }
  forbidden: { decision: deny }
matrix:
  reversible:   { self: low,    team: low,    organization: medium,   external: medium }
  compensable:  { self: low,    team: medium, organization: high,     external: high }
  irreversible: { self: medium, team: high,   organization: critical, external: critical }
actions:
  - type: "payments.transfer"
    reversibility: irreversible
    blast_radius: team
    sensitive_args: ["account_number", "recipient.iban"]
  - type: "chat.send"
    reversibility: compensable
    blast_radius: team
`;

const SECRETS = ['ACCT-SECRET-111', 'IBAN-SECRET-222'];
const SCRIPT = '<script>alert(1)</script>';
/** A URL an agent slips into its text: mail clients must not be able to turn it into a link. */
const BAIT = 'https://evil.example/approve?id=1';

/** Every URL a mail client would link in the text part (zero-width spaces kept: they break the agent's URLs). */
const linkableUrls = (mail: ReceivedMail) => (mail.parsed.text ?? '').match(/https?:\/\/[^\s<>"]+/g) ?? [];
/** The one URL a mail client would link in the text part (the test fails if there is another). */
const onlyLink = (mail: ReceivedMail): string => {
  const urls = linkableUrls(mail);
  expect(urls).toHaveLength(1);
  return urls[0]!;
};
const hrefs = (mail: ReceivedMail) => [...mail.html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);
const isRequest = (mail: ReceivedMail) => mail.subject.startsWith('[Countersign] Approval requested');
const isReminder = (mail: ReceivedMail) => mail.subject.startsWith('[Countersign] Reminder: approval requested');
const isOutcome = (mail: ReceivedMail) => /^\[Countersign\] (Approved|Denied|Expired|Cancelled)/.test(mail.subject);
const about = (approvalId: string) => (mail: ReceivedMail) => mail.text.includes(`/approvals/${approvalId}`);

describe('email (SMTP): approval mails through a real SMTP server', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let smtp: TestSmtpServer;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let agentToken: string;
  let admin: { person: PersonRecord; browser: PersonBrowser };

  beforeAll(async () => {
    [database, smtp] = await Promise.all([createMigratedDatabase('email'), new TestSmtpServer().start()]);
    api = await startApi(
      testConfig({ DATABASE_URL: database.url, ...smtp.config(), NOTIFICATION_REDELIVERY_AFTER_SECONDS: '1', EXPIRY_SWEEP_SECONDS: '1' }),
    );
    await api.app.get(TaxonomyService).apply(CLI, EMAIL_TAXONOMY, 'email for every tier');
    // Every instance re-reads the active version within 2 s.
    await sleep(2_100);
    worker = await startWorker(api.config);
    agent = await newAgent(api.app, { ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.transfer'] } });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    admin = await signedInPerson(api.app, api.url, { role: 'admin' });
  });
  afterEach(() => {
    smtp.refuse = null;
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
    await smtp.close();
    await database.drop();
  });

  const chat = async (email: string, text = 'deploy done') => {
    const created = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type: 'chat.send', resource: 'channel:ops', args: { channel: '#ops', text } },
        on_behalf_of: email,
        audience: 'https://chat.internal',
      },
    });
    expect({ status: created.status, body: created.status === 201 ? null : created.body }).toEqual({ status: 201, body: null });
    return created.body;
  };
  const view = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const emailDelivery = (approval: View, kind = 'request') => approval.notifications.find((n) => n.channel === 'email' && n.kind === kind);
  const mailsAbout = (email: string, approvalId: string) => smtp.mailsTo(email).filter(about(approvalId));

  it('a request: summary, tier, binding message and the link to the approval page; no sensitive arg, no token, nothing to click but the page', async () => {
    const { person: alice, browser } = await signedInPerson(api.app, api.url);
    const server = await newResourceServer(api.app);
    const answer = await fetch(`${api.url}/oauth/bc-authorize`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams({
        login_hint: alice.email,
        binding_message: 'Transfer 5000 to ops',
        authorization_details: JSON.stringify([
          {
            type: 'payments.transfer',
            identifier: 'account:ops',
            locations: [server.audience],
            amount: 5000,
            memo: `${SCRIPT} see ${BAIT}`,
            account_number: SECRETS[0],
            recipient: { name: `Eve ${SCRIPT}`, iban: SECRETS[1] },
          },
        ]),
      }),
    });
    expect(answer.status).toBe(200);

    const [mail] = await smtp.waitForMails(alice.email, 1, isRequest);
    // The link names the approval's page on the API's PUBLIC_URL, and that page is alice's pending transfer.
    const link = new RegExp(`^${api.config.publicUrl.replace(/[.]/g, '\\.')}/approvals/([0-9a-f-]{36})$`);
    const [, approvalId] = link.exec(onlyLink(mail))!;
    expect(hrefs(mail)).toEqual([`${api.config.publicUrl}/approvals/${approvalId}`]);
    const page = await browser.request<PersonView>('GET', `/v1/me/approvals/${approvalId}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ status: 'pending', action: { type: 'payments.transfer', resource: 'account:ops' } });
    // Deciding from the mail alone is impossible: without a session the page's API refuses.
    expect((await new PersonBrowser(api.url).request('GET', `/v1/me/approvals/${approvalId}`)).status).toBe(401);

    expect(mail.from).toBe('countersign@example.test');
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.text : null).toBe(alice.email);
    expect(mail.subject).toBe('[Countersign] Approval requested (high): payments.\u200btransfer on account:ops');
    expect(mail.parsed.messageId).toMatch(/^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
    expect(mail.text).toContain('Tier: high');
    expect(mail.text).toContain('wants to run payments.transfer on account:ops');
    expect(mail.text).toContain('amount: 5000');
    expect(mail.text).toContain('Binding message (the agent shows the same):\n  Transfer 5000 to ops');
    expect(mail.text).toContain('confirm with your passkey');
    expect(mail.html).toContain('Transfer 5000 to ops');
    // Redacted before storage, absent from every part of the mail.
    for (const secret of SECRETS) {
      expect(mail.raw).not.toContain(secret);
      expect(mail.text).not.toContain(secret);
      expect(mail.html).not.toContain(secret);
    }
    expect(mail.text).toContain('account_number: [REDACTED]');
    expect(mail.text).toContain('recipient.iban: [REDACTED]');
    // The agent's markup is text in the HTML part, and its URL cannot be linked in either part.
    expect(mail.html).not.toContain('<script');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).toContain(`recipient.name: Eve ${SCRIPT}`);
    expect(mail.parsed.text).not.toContain(BAIT);
    expect(mail.html).not.toContain(BAIT);
    // No token of any kind: no enrollment or approval token, no JWT, nothing but the page's address.
    for (const part of [mail.raw, mail.text, mail.html]) {
      expect(part).not.toMatch(/token=|eyJ[A-Za-z0-9_-]{10,}|\/decision|step.up/i);
    }
    expect(mail.parsed.attachments).toEqual([]);
  });

  it('a reminder, then one outcome mail per person in the request thread, escaped, though two deliveries were sent', async () => {
    const { person: bob, browser } = await signedInPerson(api.app, api.url);
    const created = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type: 'payments.transfer', resource: 'account:bob', args: { amount: 12 } },
        on_behalf_of: bob.email,
        audience: 'https://payments.internal',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const [request] = await smtp.waitForMails(bob.email, 1, (mail) => isRequest(mail) && about(id)(mail));
    const [reminder] = await smtp.waitForMails(bob.email, 1, (mail) => isReminder(mail) && about(id)(mail));
    expect(reminder.text).toContain('Reminder: approval requested (high)');
    expect(hrefs(reminder)).toEqual([`${api.config.publicUrl}/approvals/${id}`]);
    expect(reminder.parsed.messageId).not.toBe(request.parsed.messageId);
    await until(
      'both deliveries sent',
      () => view(id),
      (v) => emailDelivery(v)?.state === 'sent' && emailDelivery(v, 'reminder')?.state === 'sent',
    );

    const reason = `<img src=x onerror=alert(1)> not today`;
    expect((await browser.decide(id, 'deny', { reason, stepUp: true })).status).toBe(200);
    const [outcome] = await smtp.waitForMails(bob.email, 1, (mail) => isOutcome(mail) && about(id)(mail));
    expect(outcome.subject).toBe('[Countersign] Denied: payments.\u200btransfer on account:bob');
    expect(outcome.parsed.inReplyTo).toBe(request.parsed.messageId);
    expect(outcome.text).toContain('is final: denied by');
    expect(outcome.text).toContain(`Reason:\n  ${reason}`);
    expect(outcome.html).not.toContain('<img');
    expect(outcome.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(hrefs(outcome)).toEqual([`${api.config.publicUrl}/approvals/${id}`]);
    // The outcome job ran; nothing sends a second outcome mail (the reminder's delivery adds none).
    await until(
      'messages updated',
      () => withClient(database.url, (client) => client.query(`SELECT messages_updated_at FROM approvals WHERE id = $1`, [id])),
      (result) => result.rows[0]?.messages_updated_at !== null,
    );
    await sleep(1_500);
    expect(mailsAbout(bob.email, id).filter(isOutcome)).toHaveLength(1);
    expect(mailsAbout(bob.email, id)).toHaveLength(3);
  });

  it.each([
    ['RCPT', 550, '5.1.1 No such user here'],
    ['DATA', 554, '5.7.1 Message rejected as spam'],
  ] as const)('a %s %d: the delivery fails without retrying, and the escalation comes at once', async (stage, code, message) => {
    const { person: carol } = await signedInPerson(api.app, api.url);
    smtp.refuse = (at, recipient) => (at === stage && recipient === carol.email ? { code, message } : null);
    const approval = await chat(carol.email);
    const failed = await until(
      'delivery failed',
      () => view(approval.id),
      (v) => emailDelivery(v)?.state === 'failed',
    );
    expect(emailDelivery(failed)?.detail).toContain(String(code));
    // Not retried: one try at the refusing stage.
    expect(smtp.attempts.filter((a) => a.recipient === carol.email && a.stage === stage && a.code === code)).toHaveLength(1);
    // Nobody else can be reached for carol: the admins are added long before escalate_after (60 s), and mailed.
    const escalated = await until(
      'escalated early',
      () => admin.browser.request<PersonView>('GET', `/v1/me/approvals/${approval.id}`),
      (response) => response.status === 200 && response.body.escalated_to.includes('role:admin'),
    );
    expect(escalated.body.status).toBe('pending');
    const [toAdmin] = await smtp.waitForMails(admin.person.email, 1, (mail) => isRequest(mail) && about(approval.id)(mail));
    expect(hrefs(toAdmin)).toEqual([`${api.config.publicUrl}/approvals/${approval.id}`]);
    expect(mailsAbout(carol.email, approval.id)).toEqual([]);
    const audit = await withClient(database.url, async (client) => {
      await api.app.get(AuditService).flush();
      return client.query<{ data: { channel: string; state: string } }>(
        `SELECT data FROM audit_events WHERE subject_id = $1 AND type = 'notification.failed'`,
        [approval.id],
      );
    });
    expect(audit.rows.map((row) => row.data)).toEqual([expect.objectContaining({ channel: 'email', state: 'failed' })]);
  });

  it('a 4xx is retried, then delivered once; no escalation', async () => {
    const { person: dave } = await signedInPerson(api.app, api.url);
    let deferred = 0;
    smtp.refuse = (stage, recipient) =>
      stage === 'RCPT' && recipient === dave.email && deferred++ < 2 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : null;
    const approval = await chat(dave.email);
    const sent = await until(
      'delivery sent',
      () => view(approval.id),
      (v) => emailDelivery(v)?.state === 'sent',
    );
    expect(smtp.attempts.filter((a) => a.recipient === dave.email && a.stage === 'RCPT' && a.code === 451)).toHaveLength(2);
    await sleep(1_500);
    expect(mailsAbout(dave.email, approval.id)).toHaveLength(1);
    expect(sent.status).toBe('pending');
    expect((await admin.browser.request<PersonView>('GET', `/v1/me/approvals/${approval.id}`)).body.escalated_to ?? []).toEqual([]);
  });

  it('the SMTP server down: retried until it is back, then delivered once', async () => {
    const { person: erin } = await signedInPerson(api.app, api.url);
    await smtp.stop();
    try {
      const approval = await chat(erin.email);
      await sleep(2_500);
      const waiting = await view(approval.id);
      expect(emailDelivery(waiting)?.state).toBe('queued');
      const attempts = await withClient(database.url, (client) =>
        client.query<{ attempts: number; detail: string }>(`SELECT attempts, detail FROM deliveries WHERE approval_id = $1`, [approval.id]),
      );
      expect(attempts.rows[0].attempts).toBeGreaterThanOrEqual(2);
      expect(attempts.rows[0].detail).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
      await smtp.start();
      await until(
        'delivery sent',
        () => view(approval.id),
        (v) => emailDelivery(v)?.state === 'sent',
        30_000,
      );
      await sleep(1_500);
      expect(mailsAbout(erin.email, approval.id)).toHaveLength(1);
    } finally {
      if (smtp.port && !(await isListening(smtp.port))) await smtp.start();
    }
  });

  it('a worker that died after the server took the mail (recorded) does not send it again on retry', async () => {
    const { person: frank } = await signedInPerson(api.app, api.url);
    // The first attempts are deferred, so the delivery is still queued while the test plays the dead worker's part.
    let open = false;
    smtp.refuse = (_stage, recipient) => (!open && recipient === frank.email ? { code: 421, message: '4.3.2 Try again later' } : null);
    const approval = await chat(frank.email);
    // Attempts are counted when claimed, before the SMTP conversation: wait until the first one was refused, or it
    // could still be talking to the server when it opens below, and send the mail itself.
    await until(
      'an attempt refused',
      () =>
        withClient(database.url, (client) =>
          client.query<{ attempts: number; detail: string | null }>(`SELECT attempts, detail FROM deliveries WHERE approval_id = $1`, [
            approval.id,
          ]),
        ),
      (result) => (result.rows[0]?.attempts ?? 0) >= 1 && (result.rows[0]?.detail ?? '').includes('421'),
    );
    await withClient(database.url, (client) =>
      client.query(
        `UPDATE deliveries SET external_ref = '{"message_id": "<earlier@127.0.0.1>", "accepted": true}' WHERE approval_id = $1`,
        [approval.id],
      ),
    );
    open = true;
    const sent = await until(
      'delivery sent',
      () => view(approval.id),
      (v) => emailDelivery(v)?.state === 'sent',
    );
    expect(emailDelivery(sent)?.detail).toContain('an earlier attempt handed the mail to the SMTP server');
    await sleep(1_000);
    expect(mailsAbout(frank.email, approval.id)).toEqual([]);
  });
});

async function isListening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('email (SMTP): enrollment links are emailed', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    [database, smtp] = await Promise.all([createMigratedDatabase('email_enroll'), new TestSmtpServer().start()]);
  });
  afterAll(async () => {
    await smtp.close();
    await database.drop();
  });

  const auditOf = async (api: RunningApi, personId: string) => {
    await api.app.get(AuditService).flush();
    return (
      await withClient(database.url, (client) =>
        client.query<{ type: string; data: Record<string, unknown> }>(
          `SELECT type, data FROM audit_events WHERE subject_id = $1 AND type LIKE 'person.enrollment%' ORDER BY seq`,
          [personId],
        ),
      )
    ).rows;
  };
  const tokenOf = (url: string) => new URL(url).hash.replace(/^#token=/, '');

  it('the bootstrap admin gets the link by mail, the log says so without the token, and the link enrolls them', async () => {
    const email = `root-${Date.now()}@example.com`;
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const api = await startApi(testConfig({ DATABASE_URL: database.url, ...smtp.config(), COUNTERSIGN_BOOTSTRAP_EMAIL: email }));
    try {
      const [mail] = await smtp.waitForMails(email, 1);
      expect(mail.subject).toBe('[Countersign] Create your passkey');
      const url = onlyLink(mail);
      expect(url).toMatch(new RegExp(`^${api.config.publicUrl.replace(/[.]/g, '\\.')}/enroll#token=[A-Za-z0-9_-]{43}$`));
      expect(hrefs(mail)).toEqual([url]);
      const lines = warn.mock.calls.map((args) => String(args[0])).filter((line) => line.includes(email));
      expect(lines).toEqual([expect.stringContaining(`first admin ${email}: an enrollment link was emailed to them`)]);
      expect(lines.join('\n')).not.toContain(tokenOf(url));
      const browser = new PersonBrowser(api.url);
      expect((await browser.enroll(url)).status).toBe(200);
      expect((await browser.request('GET', '/v1/admin/people')).status).toBe(200);
      expect((await new PersonBrowser(api.url).enroll(url)).body).toMatchObject({ code: 'invalid_enrollment_link' });
    } finally {
      warn.mockRestore();
      await api.close();
    }
  });

  it('an invitation and a re-issued link are emailed and audited; a refused mail still returns the link, audited as failed', async () => {
    const api = await startApi(testConfig({ DATABASE_URL: database.url, ...smtp.config() }));
    const admin = { authorization: `Bearer ${api.config.adminToken!}` };
    try {
      const email = `invited-${Date.now()}@example.com`;
      const invited = await call<{ person: { id: string }; enrollment: { url: string; expires_at: string; emailed: boolean } }>(
        `${api.url}/v1/admin/people`,
        { headers: admin, body: { email, role: 'approver', permissions: ['*'] } },
      );
      expect(invited.status).toBe(201);
      expect(invited.body.enrollment.emailed).toBe(true);
      const [mail] = await smtp.waitForMails(email, 1);
      const url = onlyLink(mail);
      expect(url).toBe(invited.body.enrollment.url);
      expect(mail.text).toContain(invited.body.enrollment.expires_at);

      // A re-issued link is mailed too, and the first one stops working.
      const reissued = await call<{ url: string; emailed: boolean }>(`${api.url}/v1/admin/people/${invited.body.person.id}/enrollment`, {
        headers: admin,
        body: {},
      });
      expect(reissued.body.emailed).toBe(true);
      const [, second] = await smtp.waitForMails(email, 2);
      const secondUrl = onlyLink(second);
      expect(secondUrl).toBe(reissued.body.url);
      expect((await new PersonBrowser(api.url).enroll(url)).body).toMatchObject({ code: 'invalid_enrollment_link' });
      const browser = new PersonBrowser(api.url);
      expect((await browser.enroll(secondUrl)).status).toBe(200);
      expect((await browser.request<{ person: { email: string } }>('GET', '/v1/me')).body.person.email).toBe(email);
      const audit = await auditOf(api, invited.body.person.id);
      expect(audit.map((event) => event.type)).toEqual([
        'person.enrollment_link_issued',
        'person.enrollment_link_emailed',
        'person.enrollment_link_issued',
        'person.enrollment_link_emailed',
      ]);
      expect(audit[1].data).toEqual({ to: email, expires_at: invited.body.enrollment.expires_at });
      expect(JSON.stringify(audit)).not.toContain(tokenOf(url));

      // The mailbox refuses: the invitation stands, the admin gets the link to hand over, and the audit says why.
      const refused = `refused-${Date.now()}@example.com`;
      smtp.refuse = (_stage, recipient) => (recipient === refused ? { code: 550, message: '5.1.1 No such user' } : null);
      const notMailed = await call<{ person: { id: string }; enrollment: { url: string; emailed: boolean } }>(
        `${api.url}/v1/admin/people`,
        {
          headers: admin,
          body: { email: refused, role: 'approver', permissions: [] },
        },
      );
      expect(notMailed.status).toBe(201);
      expect(notMailed.body.enrollment.emailed).toBe(false);
      expect(smtp.mailsTo(refused)).toEqual([]);
      const failed = await auditOf(api, notMailed.body.person.id);
      expect(failed.map((event) => event.type)).toEqual(['person.enrollment_link_issued', 'person.enrollment_link_email_failed']);
      expect(String(failed[1].data.detail)).toContain('550');
      expect((await new PersonBrowser(api.url).enroll(notMailed.body.enrollment.url)).status).toBe(200);
    } finally {
      smtp.refuse = null;
      await api.close();
    }
  });
});

describe('email (SMTP): without SMTP_URL', () => {
  it('email deliveries are planned off, and enrollment links are only returned', async () => {
    // A database of its own: the taxonomy applied here must not become the shared test database's active version.
    const database = await createMigratedDatabase('email_off');
    const api = await startApi(testConfig({ DATABASE_URL: database.url }));
    try {
      await api.app.get(TaxonomyService).apply(CLI, EMAIL_TAXONOMY, 'email for every tier, SMTP off');
      await sleep(2_100);
      const agent = await newAgent(api.app);
      const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
      const invited = await call<{ person: { email: string }; enrollment: { url: string; emailed: boolean } }>(
        `${api.url}/v1/admin/people`,
        {
          headers: { authorization: `Bearer ${api.config.adminToken!}` },
          body: { email: `nosmtp-${Date.now()}@example.com`, role: 'approver', permissions: ['*'] },
        },
      );
      expect(invited.status).toBe(201);
      expect(invited.body.enrollment.emailed).toBe(false);
      expect(invited.body.enrollment.url).toMatch(/\/enroll#token=/);
      const created = await call<View>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.send', resource: 'channel:ops', args: { channel: '#ops' } },
          on_behalf_of: invited.body.person.email,
          audience: 'https://chat.internal',
        },
      });
      expect(created.status).toBe(201);
      const approval = await until(
        'planned',
        async () => (await call<View>(`${api.url}/v1/approvals/${created.body.id}`, { token })).body,
        (v) => v.notifications.length > 0,
      );
      expect(approval.notifications).toEqual([expect.objectContaining({ channel: 'email', kind: 'request', state: 'off' })]);
    } finally {
      await api.close();
      await database.drop();
    }
  });
});
