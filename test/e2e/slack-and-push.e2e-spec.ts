import { type INestApplicationContext } from '@nestjs/common';
import { AuditService } from '@countersign/audit';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  dmChannel,
  type EnvelopeAck,
  FakePushService,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  until,
} from '@countersign/testing';

type View = {
  id: string;
  status: string;
  approval_token?: string;
  decisions: Array<{ person: string; verdict: string; channel: string; reason: string | null }>;
  notifications: Array<{ person: string; channel: string; state: string; kind: string; attempts: number; detail: string | null }>;
};
type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ action_id?: string; text?: { text: string }; url?: string; value?: string }>;
};

type Answer = { status: number; body: Record<string, unknown> };

jest.setTimeout(30_000);

/**
 * Slack's interactions arrive over HTTP (signed requests to `/slack/events`) or over Socket Mode (envelopes on the
 * app's WebSocket), chosen by configuration (ADR 0022): the whole Slack flow runs through both.
 */
describe.each(['http', 'socket'] as const)(
  'out-of-band channels (Slack over %s): a Slack DM and a web push reach the person; only the right click decides',
  (transport) => {
    let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
    let slack: FakeSlack;
    let push: FakePushService;
    let api: RunningApi;
    let worker: INestApplicationContext;
    let agentToken: string;

    beforeAll(async () => {
      [database, slack, push] = await Promise.all([
        createMigratedDatabase('channels'),
        new FakeSlack().start(),
        new FakePushService().start(),
      ]);
      if (transport === 'socket') await slack.withSocketMode();
      api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config(), ...push.config() }));
      worker = await startWorker(api.config);
      await slack.socketMode?.whenConnected();
      const agent = await newAgent(api.app, { capabilities: ['*'] });
      agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    }, 60_000);
    afterAll(async () => {
      await worker.close();
      await api.close();
      await Promise.all([slack.close(), push.close()]);
      await database.drop();
    });

    const request = async (body: unknown): Promise<View> => {
      const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body });
      expect(created.status).toBe(201);
      return created.body;
    };
    const agentView = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
    /** Medium tier in the default taxonomy: a chat message to a team channel; Slack and push, no step-up. */
    const chatMessage = (email: string, text = 'deploy done') => ({
      action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text } },
      on_behalf_of: email,
      audience: 'https://chat.internal',
      reason: 'The deploy finished.',
    });
    const click = (signed: { body: string; headers: Record<string, string> }) =>
      call<Record<string, unknown>>(`${api.url}/slack/events`, { method: 'POST', body: signed.body, headers: signed.headers });
    /**
     * An interaction as Slack hands it over on this way in: signed and posted (HTTP), or an envelope on the socket. The
     * answer is Slack's view of the acknowledgement (the HTTP status and body, or the envelope's ack); `again` is the
     * same interaction replayed (the same signed request, or the same envelope id).
     */
    const send = (payload: Record<string, unknown>): { answer: Promise<Answer>; again: () => Promise<Answer> } => {
      if (transport === 'http') {
        const signed = slack.signedPayload(payload);
        return { answer: click(signed), again: () => click(signed) };
      }
      const { envelope, acked } = slack.socketMode!.send('interactive', payload);
      const answer = (ack: Promise<EnvelopeAck>) => ack.then((received) => ({ status: 200, body: received.payload ?? {} }));
      return { answer: answer(acked), again: () => answer(slack.socketMode!.resend(envelope)) };
    };
    const statusOf = async (id: string, status: string) =>
      until(
        () => agentView(id),
        (view) => view.status === status,
      );
    const refusals = async (approvalId: string) => {
      const answer = await call<{ events: Array<{ data: { reason: string } }> }>(
        `${api.url}/v1/admin/audit?type=slack.interaction_refused&subject_id=${approvalId}`,
        { token: api.config.adminToken! },
      );
      return answer.body.events.map((event) => event.data.reason);
    };
    const personWithSlack = async (
      options: { role?: 'approver' | 'admin' } = {},
    ): Promise<{ email: string; id: string; browser: PersonBrowser; slackUser: FakeSlackUser }> => {
      const { person, browser } = await signedInPerson(api.app, api.url, { role: options.role ?? 'approver' });
      return { email: person.email, id: person.id, browser, slackUser: slack.addUser(person.email) };
    };
    /** A click counts only in the DM the delivery recorded: the fake has the message a moment before the worker has its answer. */
    const recorded = (personId: string, approvalId: string) =>
      until(
        () => agentView(approvalId),
        (view) => view.notifications.some((n) => n.person === personId && n.channel === 'slack' && n.state === 'sent'),
      );
    const postedTo = (user: FakeSlackUser, approvalId: string) =>
      slack.waitFor('chat.postMessage', (c) => c.args.channel === dmChannel(user.id) && JSON.stringify(c.args.blocks).includes(approvalId));

    it('medium tier: the DM arrives rendered from the action, a signed click approves, the agent gets its token, the message shows the outcome', async () => {
      const alice = await personWithSlack();
      const approval = await request(chatMessage(alice.email, 'Ship it *now* <https://evil.example|click here> <!channel> @here'));
      const posted = await postedTo(alice.slackUser, approval.id);

      expect(slack.callsTo('users.lookupByEmail').map((c) => c.args.email)).toContain(alice.email);
      expect(slack.callsTo('conversations.open').some((c) => c.args.users === alice.slackUser.id)).toBe(true);
      const blocks = posted.args.blocks as Block[];
      const text = JSON.stringify(blocks);
      expect(text).toContain('medium');
      expect(text).toContain('compensable');
      expect(blocks.find((block) => block.block_id === 'agent_reason')?.text?.text).toMatch(/agent's own words[\s\S]*The deploy finished/i);
      // The agent's text cannot make a link, a mention or bold text: <, > and & are entities, * is broken.
      const args = blocks.find((block) => block.block_id === 'args')!.text!.text;
      expect(args).not.toMatch(/<https?:|<!channel>|\*now\*/);
      expect(args).toContain('&lt;https:\u200b//');
      expect(args).toContain('&lt;!channel&gt;');
      const buttons = blocks.find((block) => block.type === 'actions')!.elements!.map((element) => element.action_id);
      expect(buttons).toEqual(['approve', 'deny', 'open']);

      const postedTs = slack.dmAbout(approval.id, alice.slackUser)[0].ts;
      await recorded(alice.id, approval.id);
      const waiting = call<View>(`${api.url}/v1/approvals/${approval.id}?wait=20`, { token: agentToken });
      const answer = await send(slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser })).answer;
      expect(answer.status).toBe(200);
      const decided = (await waiting).body;
      expect(decided.status).toBe('approved');
      expect(decided.approval_token).toMatch(/^ey/);
      expect(decided.decisions).toEqual([expect.objectContaining({ person: alice.id, verdict: 'approve', channel: 'slack' })]);
      const claims = JSON.parse(Buffer.from(decided.approval_token!.split('.')[1], 'base64url').toString()) as {
        approvers: Array<{ channel: string; amr: string[] }>;
      };
      expect(claims.approvers).toEqual([{ sub: alice.id, channel: 'slack', amr: ['slack'] }]);

      const updated = await slack.waitFor('chat.update', (c) => c.args.ts === postedTs);
      expect(JSON.stringify(updated.args.blocks)).toMatch(/Approved\*? by/);
      expect(JSON.stringify(updated.args.blocks)).not.toContain('"action_id":"approve"');
      expect(decided.notifications).toEqual(
        expect.arrayContaining([expect.objectContaining({ person: alice.id, channel: 'slack', state: 'sent', kind: 'request' })]),
      );
    });

    it('opens the DM once per person and remembers it; a remembered DM Slack no longer knows is opened again', async () => {
      const alice = await personWithSlack();
      const opens = () => slack.callsTo('conversations.open').filter((c) => c.args.users === alice.slackUser.id).length;
      for (const text of ['first', 'second']) {
        const approval = await request(chatMessage(alice.email, text));
        await postedTo(alice.slackUser, approval.id);
      }
      expect(opens()).toBe(1);

      const reopened = slack.closeDm(alice.slackUser.id);
      const third = await request(chatMessage(alice.email, 'third'));
      const posted = await slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === reopened && JSON.stringify(c.args.blocks).includes(third.id),
      );
      expect(posted.args.channel).toBe(reopened);
      expect(opens()).toBe(2);
      const view = await until(
        () => agentView(third.id),
        (v) => v.notifications.some((n) => n.person === alice.id && n.state === 'sent'),
      );
      expect(view.notifications.filter((n) => n.person === alice.id && n.channel === 'slack')).toEqual([
        expect.objectContaining({ state: 'sent' }),
      ]);
    });

    it('refuses the wrong Slack user, the right user id in another team, another app, another channel; the approval stays pending', async () => {
      const alice = await personWithSlack();
      const bob = await personWithSlack();
      const approval = await request(chatMessage(alice.email));
      await postedTo(alice.slackUser, approval.id);
      await recorded(alice.id, approval.id);

      const attempts: Array<[string, Record<string, unknown>]> = [
        [
          'wrong user',
          slack.clickPayload({ approvalId: approval.id, action: 'approve', user: bob.slackUser, channel: dmChannel(alice.slackUser.id) }),
        ],
        [
          'same id, other team',
          slack.clickPayload({ approvalId: approval.id, action: 'approve', user: { ...alice.slackUser, team_id: 'T0OTHER' } }),
        ],
        ['other app', slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser, appId: 'AOTHERAPP' })],
        ['public channel', slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser, channel: 'C0GENERAL' })],
      ];
      for (const [label, payload] of attempts) expect([label, (await send(payload).answer).status]).toEqual([label, 200]);
      // Refusals are audited after the acknowledgement: all four are there before the approval is looked at.
      expect(
        await until(
          () => refusals(approval.id),
          (reasons) => reasons.length >= 4,
        ),
      ).toEqual(expect.arrayContaining(['not_the_persons_dm', 'unknown_slack_user', 'wrong_app', 'not_the_persons_dm']));
      const view = await agentView(approval.id);
      expect([view.status, view.decisions]).toEqual(['pending', []]);
      expect(slack.ephemerals.filter((message) => message.text.includes(approval.id))).toEqual([]);
    });

    if (transport === 'http')
      it('refuses a bad signature, stale and future timestamps and a body changed after signing, with 401 before anything is read', async () => {
        const alice = await personWithSlack();
        const approval = await request(chatMessage(alice.email));
        await postedTo(alice.slackUser, approval.id);
        await recorded(alice.id, approval.id);
        // 10 s past the 300 s window each way: the attempts are signed up front and sent one after another, and a
        // timestamp only 301 s ahead fell inside the window once a slow run took a second to reach it.
        const now = Math.floor(Date.now() / 1000);
        const attempts: Array<[string, { body: string; headers: Record<string, string> }]> = [
          [
            'bad signature',
            slack.signedClick({
              approvalId: approval.id,
              action: 'approve',
              user: alice.slackUser,
              secret: 'not-the-signing-secret-at-all',
            }),
          ],
          ['stale', slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser, timestamp: now - 310 })],
          ['future', slack.signedClick({ approvalId: approval.id, action: 'approve', user: alice.slackUser, timestamp: now + 310 })],
        ];
        // A body changed after signing (the approval id swapped in) is a bad signature too.
        const signed = slack.signedClick({ approvalId: '00000000-0000-4000-8000-000000000000', action: 'approve', user: alice.slackUser });
        attempts.push(['changed body', { ...signed, body: signed.body.replace(/00000000-0000-4000-8000-000000000000/g, approval.id) }]);
        for (const [label, attempt] of attempts) {
          const answer = await click(attempt);
          expect([label, answer.status, answer.body.code]).toEqual([label, 401, 'invalid_signature']);
        }
        // Nothing was acknowledged, so nothing runs later either: still pending once a good click decided another approval.
        const other = await request(chatMessage(alice.email, 'other'));
        await postedTo(alice.slackUser, other.id);
        await recorded(alice.id, other.id);
        expect((await click(slack.signedClick({ approvalId: other.id, action: 'approve', user: alice.slackUser }))).status).toBe(200);
        await statusOf(other.id, 'approved');
        expect((await agentView(approval.id)).status).toBe('pending');
      });

    if (transport === 'socket')
      it('an envelope sent again with the same id is a no-op (audited), and the app id is checked on the socket too', async () => {
        const alice = await personWithSlack();
        const approval = await request(chatMessage(alice.email));
        await postedTo(alice.slackUser, approval.id);
        await recorded(alice.id, approval.id);
        // The socket is authenticated by the app-level token, yet a payload of another app is still not ours.
        await send(slack.clickPayload({ approvalId: approval.id, action: 'deny', user: alice.slackUser, appId: 'AOTHERAPP' })).answer;
        const approve = send(slack.clickPayload({ approvalId: approval.id, action: 'approve', user: alice.slackUser }));
        expect((await approve.answer).status).toBe(200);
        await statusOf(approval.id, 'approved');
        expect((await approve.again()).status).toBe(200);
        expect(
          await until(
            () => refusals(approval.id),
            (reasons) => reasons.includes('replay'),
          ),
        ).toEqual(expect.arrayContaining(['wrong_app', 'replay']));
        const decided = await agentView(approval.id);
        expect(decided.decisions).toEqual([expect.objectContaining({ person: alice.id, verdict: 'approve', channel: 'slack' })]);
        const recordedEvents = await api.app.get(AuditService).search({ type: 'decision.recorded', subjectId: approval.id, limit: 10 });
        expect(recordedEvents).toHaveLength(1);
        // The replay told nobody anything: it was not a second decision that failed.
        expect(slack.ephemerals.filter((message) => message.text.includes(approval.id))).toEqual([]);
      });

    it('a replayed click is a no-op (audited); deny through the modal carries the reason', async () => {
      const alice = await personWithSlack();
      const approval = await request(chatMessage(alice.email));
      await postedTo(alice.slackUser, approval.id);
      await recorded(alice.id, approval.id);
      const denyClick = send(slack.clickPayload({ approvalId: approval.id, action: 'deny', user: alice.slackUser }));
      expect((await denyClick.answer).status).toBe(200);
      const modal = await slack.waitFor(
        'views.open',
        (c) => (c.args.view as { private_metadata: string }).private_metadata === approval.id,
      );
      expect(modal.args.trigger_id).toBeDefined();
      expect((await agentView(approval.id)).status).toBe('pending');

      // A reason with U+0000 cannot be stored: refused as bad input (over HTTP a 400 naming the field), the approval untouched.
      const nul = await send(slack.denySubmissionPayload({ approvalId: approval.id, user: alice.slackUser, reason: 'Not\u0000during' }))
        .answer;
      if (transport === 'http') {
        expect(nul.status).toBe(400);
        expect(nul.body).toMatchObject({ code: 'invalid_request', field: '/view/state/values/reason/reason/value' });
      } else expect(nul).toMatchObject({ status: 200, body: {} });
      // A reason longer than the modal allows is shown in the modal, and decides nothing.
      const long = await send(slack.denySubmissionPayload({ approvalId: approval.id, user: alice.slackUser, reason: 'x'.repeat(1001) }))
        .answer;
      expect(long.body).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringMatching(/at most 1000/) } });
      expect(
        await until(
          () => refusals(approval.id),
          (reasons) => reasons.includes('invalid_reason'),
        ),
      ).toContain('invalid_reason');
      expect((await agentView(approval.id)).status).toBe('pending');

      const submitted = await send(
        slack.denySubmissionPayload({ approvalId: approval.id, user: alice.slackUser, reason: 'Not during the freeze' }),
      ).answer;
      expect(submitted).toMatchObject({ status: 200, body: { response_action: 'clear' } });
      const denied = await statusOf(approval.id, 'denied');
      expect(denied.decisions).toEqual([expect.objectContaining({ verdict: 'deny', reason: 'Not during the freeze', channel: 'slack' })]);

      expect((await denyClick.again()).status).toBe(200);
      expect(
        await until(
          () => refusals(approval.id),
          (reasons) => reasons.includes('replay'),
        ),
      ).toContain('replay');
      expect((await agentView(approval.id)).decisions).toHaveLength(1);
      // One modal: the replayed click opened none.
      expect(
        slack.callsTo('views.open').filter((c) => (c.args.view as { private_metadata: string }).private_metadata === approval.id),
      ).toHaveLength(1);
    });

    it('high tier: the push arrives, decrypts and holds no action details; Slack shows only the link to the web app; 410 deletes the subscription', async () => {
      const carol = await personWithSlack();
      const browserSubscription = push.subscription();
      const subscribed = await carol.browser.request<{ id: string }>('POST', '/v1/me/push-subscriptions', browserSubscription.json);
      expect(subscribed.status).toBe(201);

      const approval = await request({
        action: { type: 'payments.refund', resource: 'order:42', args: { amount: 500, currency: 'EUR', card_number: '4111111111111111' } },
        on_behalf_of: carol.email,
        audience: 'https://payments.internal',
        reason: 'Refund ACME Corp for the double charge',
      });
      expect(approval.status).toBe('pending');
      const received = await push.waitFor((p) => p.payload.approval_id === approval.id);
      expect(Object.keys(received.payload).sort()).toEqual(['approval_id', 'tier', 'title', 'type']);
      expect(received.payload.tier).toBe('high');
      expect(received.raw).not.toMatch(/500|EUR|4111|ACME|refund|order:42/i);
      expect(received.urgency).toBe('high');
      expect(Number(received.ttl)).toBeGreaterThan(1700);
      expect(Number(received.ttl)).toBeLessThanOrEqual(1800);
      expect(received.jwt.claims.aud).toBe(push.origin);

      const posted = await postedTo(carol.slackUser, approval.id);
      const actions = (posted.args.blocks as Block[]).filter((block) => block.type === 'actions').flatMap((block) => block.elements ?? []);
      expect(actions.map((element) => element.action_id)).toEqual(['open']);
      expect(actions[0].url).toBe(`${api.config.publicUrl}/approvals/${approval.id}`);
      expect(JSON.stringify(posted.args.blocks)).not.toContain('4111111111111111');
      // An approve click for a step-up tier (forged: the DM has no such button) decides nothing; the person is told
      // in the DM, after the acknowledgement, that it needs the web app.
      await recorded(carol.id, approval.id);
      expect((await send(slack.clickPayload({ approvalId: approval.id, action: 'approve', user: carol.slackUser })).answer).status).toBe(
        200,
      );
      const told = await slack.waitFor('chat.postEphemeral', (c) => String(c.args.text).includes(approval.id));
      expect(told.args).toMatchObject({ channel: dmChannel(carol.slackUser.id), user: carol.slackUser.id });
      expect(String(told.args.text)).toMatch(/did not record your approval/);
      expect((await agentView(approval.id)).status).toBe('pending');

      push.script.set(browserSubscription.id, [{ status: 410 }]);
      const next = await request({
        action: { type: 'payments.refund', resource: 'order:43', args: { amount: 600, currency: 'EUR' } },
        on_behalf_of: carol.email,
        audience: 'https://payments.internal',
      });
      const gone = await until(
        () => agentView(next.id),
        (view) => view.notifications.some((n) => n.channel === 'web_push' && n.state !== 'queued'),
      );
      expect(gone.notifications.find((n) => n.channel === 'web_push')).toMatchObject({ state: 'gone' });
      expect((await carol.browser.request<{ subscriptions: unknown[] }>('GET', '/v1/me/push-subscriptions')).body.subscriptions).toEqual(
        [],
      );
    });

    if (transport === 'http') {
      it('push subscriptions: the public key, and keys not on P-256 refused', async () => {
        const key = await call<{ public_key: string }>(`${api.url}/v1/push/public-key`);
        expect(Buffer.from(key.body.public_key, 'base64url')).toHaveLength(65);
        const { browser } = await signedInPerson(api.app, api.url);
        const good = push.subscription().json;
        const notAPoint = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
        for (const p256dh of [notAPoint, Buffer.alloc(97, 4).toString('base64url'), 'short']) {
          const answer = await browser.request('POST', '/v1/me/push-subscriptions', { ...good, keys: { ...good.keys, p256dh } });
          expect(answer.status).toBe(400);
          expect(answer.body.field).toBe('keys.p256dh');
        }
        const plainHttp = await browser.request('POST', '/v1/me/push-subscriptions', { ...good, endpoint: 'http://push.example/x' });
        expect([plainHttp.status, plainHttp.body.field]).toEqual([400, '/endpoint']);
      });

      describe('push services the service will not contact', () => {
        type Problem = { code: string; field?: string; detail: string };

        it('refuses loopback, private and link-local endpoints, and origins outside the allow-list, when a browser subscribes', async () => {
          // A deployment's defaults: the browsers' push services only, no private addresses.
          const strict = await startApi(testConfig({ DATABASE_URL: database.url }));
          try {
            const { browser } = await signedInPerson(strict.app, strict.url);
            const good = push.subscription().json;
            for (const endpoint of [
              good.endpoint,
              'https://[::1]/push/x',
              'https://169.254.169.254/latest/meta-data/',
              'https://10.0.0.1/push/x',
              'https://localhost./push/x',
              'https://[::ffff:7f00:1]/push/x',
            ]) {
              const answer = await browser.request<Problem>('POST', '/v1/me/push-subscriptions', { ...good, endpoint });
              expect([endpoint, answer.status, answer.body.code, answer.body.field, answer.body.detail]).toEqual([
                endpoint,
                400,
                'invalid_request',
                '/endpoint',
                expect.stringMatching(/loopback or private/),
              ]);
            }
            const elsewhere = await browser.request<Problem>('POST', '/v1/me/push-subscriptions', {
              ...good,
              endpoint: 'https://push.example.net/send/x',
            });
            expect([elsewhere.status, elsewhere.body.field, elsewhere.body.detail]).toEqual([
              400,
              '/endpoint',
              expect.stringMatching(/not a known push service/),
            ]);
            // A browser's push service is accepted; removed at once, so that nothing ever pushes to it from a test.
            const mozilla = await browser.request<{ id: string }>('POST', '/v1/me/push-subscriptions', {
              ...good,
              endpoint: 'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
            });
            expect(mozilla.status).toBe(201);
            expect((await browser.request('DELETE', `/v1/me/push-subscriptions/${mozilla.body.id}`)).status).toBe(204);
            expect((await browser.request<{ subscriptions: unknown[] }>('GET', '/v1/me/push-subscriptions')).body.subscriptions).toEqual(
              [],
            );
          } finally {
            await strict.close();
          }
        });

        it('does not connect to a push service whose name resolves to a loopback address; the delivery fails without retrying', async () => {
          const target = await new FakePushService().start();
          const byName = target.origin.replace('127.0.0.1', 'localhost');
          // The subscription was accepted where this origin and private addresses were allowed (as one from before the
          // rule would have been); the worker does not allow private addresses, and `localhost` resolves to one.
          const lenient = await startApi(testConfig({ DATABASE_URL: database.url, ...target.config(), PUSH_SERVICE_ORIGINS: byName }));
          const strictWorker = await startWorker({ ...lenient.config, allowPrivatePushEndpoints: false });
          try {
            const agent = await newAgent(lenient.app, { capabilities: ['*'] });
            const token = await agentAccessToken(lenient.url, agent.clientId, agent.clientSecret);
            const { person, browser } = await signedInPerson(lenient.app, lenient.url);
            expect((await browser.request('POST', '/v1/me/push-subscriptions', target.subscription(byName).json)).status).toBe(201);
            const created = await call<View>(`${lenient.url}/v1/approvals`, { token, body: chatMessage(person.email) });
            const view = await until(
              async () => (await call<View>(`${lenient.url}/v1/approvals/${created.body.id}`, { token })).body,
              (read) => read.notifications.some((n) => n.channel === 'web_push' && n.state !== 'queued'),
            );
            expect(view.notifications.find((n) => n.channel === 'web_push')).toMatchObject({
              state: 'failed',
              attempts: 1,
              detail: expect.stringMatching(/localhost resolves to (127\.0\.0\.1|::1)/),
            });
            expect(target.connections).toBe(0);
          } finally {
            await strictWorker.close();
            await lenient.close();
            await target.close();
          }
        });
      });
    }

    it('a person with no reachable channel is visible in the approval', async () => {
      const { person } = await signedInPerson(api.app, api.url);
      const approval = await request(chatMessage(person.email));
      const view = await until(
        () => agentView(approval.id),
        (v) => v.notifications.length === 2 && v.notifications.every((n) => n.state !== 'queued'),
      );
      expect(view.notifications.map((n) => [n.channel, n.state]).sort()).toEqual([
        ['slack', 'unreachable'],
        ['web_push', 'unreachable'],
      ]);
      // Slack learns it from users.lookupByEmail in an attempt; push knows at planning (no subscription), so no job ran.
      expect(Object.fromEntries(view.notifications.map((n) => [n.channel, [n.attempts, n.detail]]))).toEqual({
        slack: [1, 'no Slack user with this email address'],
        web_push: [0, 'no push subscription (the person has not enabled notifications in a browser)'],
      });
    });
  },
);
