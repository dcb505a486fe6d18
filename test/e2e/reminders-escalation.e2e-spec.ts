import { Redis } from 'ioredis';
import { call, defaultTaxonomyWithMediumTier, dmChannel, TEST_REDIS_URL, until, useSlackApprovalSuite } from '@countersign/testing';

jest.setTimeout(60_000);

type View = {
  id: string;
  status: string;
  decisions: Array<{ person: string; channel: string }>;
  notifications: Array<{ person: string; channel: string; state: string; kind: string }>;
};

/** The default taxonomy with a medium tier that reminds after 2 s and escalates to admins after 4 s. */
function fastTaxonomy(): string {
  return defaultTaxonomyWithMediumTier(
    '{ decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none,\n               channels: [slack], ttl: 30m, remind_after: 2s, escalate_after: 4s, escalate_to: ["role:admin"] }',
  );
}

describe('reminders, escalation, and what survives Redis losing its jobs', () => {
  const suite = useSlackApprovalSuite('reminders');
  const { person, postsTo, reached, click } = suite;
  const request = (email: string) => suite.request<View>(email);

  beforeAll(async () => {
    await suite.applyTaxonomy(fastTaxonomy(), 'fast reminders for tests');
  });

  it('reminds the approver on time, then escalates to the admins, who become eligible and can decide', async () => {
    await suite.startWorker();
    const alice = await person();
    const admin = await person('admin');
    const started = Date.now();
    const approval = await request(alice.email);

    await reached(alice.slackUser, approval.id);
    expect((await admin.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);

    const reminder = await suite.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === dmChannel(alice.slackUser.id) && String(c.args.text).startsWith('Reminder'),
    );
    expect(reminder.at - started).toBeGreaterThanOrEqual(2_000);
    expect(reminder.at - started).toBeLessThan(4_000);

    const escalated = await reached(admin.slackUser, approval.id);
    expect(escalated.at - started).toBeGreaterThanOrEqual(4_000);
    expect(escalated.at - started).toBeLessThan(7_000);
    // Exactly one request and one reminder for Alice, one request for the admin.
    expect(postsTo(alice.slackUser, approval.id)).toHaveLength(2);
    expect(postsTo(admin.slackUser, approval.id)).toHaveLength(1);

    const inbox = await admin.browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals');
    expect(inbox.body.approvals.map((item) => item.id)).toContain(approval.id);
    expect((await admin.browser.request<{ escalated_to: string[] }>('GET', `/v1/me/approvals/${approval.id}`)).body.escalated_to).toEqual([
      'role:admin',
    ]);

    expect((await click(suite.slack.signedClick({ approvalId: approval.id, action: 'approve', user: admin.slackUser }))).status).toBe(200);
    // Slack is answered first, the decision follows (ADR 0022).
    const view = await until(
      async () => (await call<View>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: suite.agentToken })).body,
      (read) => read.status === 'approved',
    );
    expect(view.decisions).toEqual([expect.objectContaining({ person: admin.id, channel: 'slack' })]);
    // Both of Alice's messages and the admin's now show the outcome.
    for (const message of [...postsTo(alice.slackUser, approval.id), ...postsTo(admin.slackUser, approval.id)]) {
      const channel = message.args.channel as string;
      await suite.slack.waitFor('chat.update', (c) => c.args.channel === channel && JSON.stringify(c.args.blocks).includes('Approved'));
    }
  });

  it('a delivery whose answer was lost (the worker never learned it was sent) is retried without a second message', async () => {
    const bob = await person();
    suite.slack.dropAnswers.set('chat.postMessage', 1);
    const approval = await request(bob.email);
    const deadline = Date.now() + 10_000;
    let view: View;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = (await call<View>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: suite.agentToken })).body;
    } while (!view.notifications.some((n) => n.kind === 'request' && n.state === 'sent') && Date.now() < deadline);
    expect(view.notifications.find((n) => n.kind === 'request')).toMatchObject({ state: 'sent' });
    expect(suite.slack.callsTo('conversations.history').length).toBeGreaterThan(0);
    expect(postsTo(bob.slackUser, approval.id).filter((c) => !String(c.args.text).startsWith('Reminder'))).toHaveLength(1);
    expect(suite.slack.messages.filter((m) => m.channel === dmChannel(bob.slackUser.id) && !m.text.startsWith('Reminder'))).toHaveLength(1);
  });

  it('Redis loses every job while the worker is down: the sweep re-plans from Postgres; one message, nothing decided', async () => {
    await suite.stopWorker();
    const carol = await person();
    const approval = await request(carol.email);
    // What a Redis restart without persistence does to this deployment: every queued and delayed job is gone.
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${suite.api.config.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    expect(keys.some((key) => key.includes(':bull:notifications:'))).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await suite.startWorker();
    await reached(carol.slackUser, approval.id);
    // The lost reminder is found by the sweep too.
    await suite.slack.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === dmChannel(carol.slackUser.id) &&
        String(c.args.text).startsWith('Reminder') &&
        JSON.stringify(c.args.blocks).includes(approval.id),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(postsTo(carol.slackUser, approval.id)).toHaveLength(2);
    const view = (await call<View>(`${suite.api.url}/v1/approvals/${approval.id}`, { token: suite.agentToken })).body;
    expect(view.status).toBe('pending');
    expect(view.decisions).toEqual([]);
  });
});
