import { type INestApplicationContext } from '@nestjs/common';
import { SlackHomeService, type SlackUserRef } from '@countersign/channels';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  type RunningApi,
  type SlackCall,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  withClient,
} from '@countersign/testing';

type View = { id: string; status: string };

const until = async <T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

jest.setTimeout(60_000);

describe('Slack App Home and the slash command: the person sees their own pending approvals, kept up to date', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let slack: FakeSlack;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let agentToken: string;
  let home: SlackHomeService;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase('slack_home'), new FakeSlack().start()]);
    api = await startApi(testConfig({ DATABASE_URL: database.url, ...slack.config() }));
    worker = await startWorker(api.config);
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    home = api.app.get(SlackHomeService);
  }, 60_000);
  afterAll(async () => {
    await worker.close();
    await api.close();
    await slack.close();
    await database.drop();
  });

  /** Medium tier in the default taxonomy: the on-behalf-of person decides, no step-up. */
  const request = async (email: string, text = 'deploy done', extra: Record<string, unknown> = {}): Promise<View> => {
    const created = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text } },
        on_behalf_of: email,
        audience: 'https://chat.internal',
        ...extra,
      },
    });
    expect(created.status).toBe(201);
    return created.body;
  };
  const admin = (method: string, path: string, body?: unknown) =>
    call(`${api.url}${path}`, { method, token: api.config.adminToken!, ...(body === undefined ? {} : { body }) });
  /** A person with a Slack user linked by an admin (the link the Home tab and the clicks bind to). */
  const linkedPerson = async (slackUser: Partial<FakeSlackUser> = {}) => {
    const { person, browser } = await signedInPerson(api.app, api.url, { role: 'approver' });
    const user = slack.addUser(person.email, slackUser);
    const linked = await admin('PUT', `/v1/admin/people/${person.id}/slack`, {
      user_id: user.id,
      team_id: user.team_id,
      ...(user.enterprise_id ? { enterprise_id: user.enterprise_id } : {}),
    });
    expect(linked.status).toBe(200);
    const ref: SlackUserRef = { userId: user.id, teamId: user.team_id, enterpriseId: user.enterprise_id ?? null };
    return { person, browser, user, ref };
  };
  const publishesTo = (userId: string) => slack.callsTo('views.publish').filter((c) => c.args.user_id === userId);
  const text = (publish: SlackCall) => JSON.stringify(publish.args.view);
  const lastPublishTo = (userId: string) => publishesTo(userId).at(-1);
  /** Waits for a publish to this user after the `after`-th one that satisfies `done`. */
  const republished = (userId: string, after: number, done: (view: string) => boolean) =>
    until(
      () => publishesTo(userId).slice(after),
      (calls) => calls.some((c) => done(text(c))),
    );
  const refusals = async () => {
    const answer = await call<{ events: Array<{ data: Record<string, unknown> }> }>(
      `${api.url}/v1/admin/audit?type=slack.interaction_refused`,
      { token: api.config.adminToken! },
    );
    return answer.body.events.map((event) => event.data);
  };

  it('opening Home publishes the pending list; new ones, decided and cancelled ones republish it (coalesced); others are never listed or published to', async () => {
    const alice = await linkedPerson();
    const bob = await linkedPerson();
    const first = await request(alice.person.email, '<!channel> *now* <https://evil.example|x>');
    const bobs = await request(bob.person.email);

    await home.homeOpened(alice.ref);
    const opened = lastPublishTo(alice.user.id)!;
    const view = opened.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    expect(text(opened)).toContain(`/approvals/${first.id}|Review in Countersign`);
    expect(text(opened)).not.toContain(bobs.id);
    // The inbox line has no arguments: the hostile text of the request is nowhere, raw or escaped.
    expect(text(opened)).not.toMatch(/evil|<!channel>/);

    // Two new requests at once: one or two publishes (a window's boundary may fall between them), ending with both.
    const before = publishesTo(alice.user.id).length;
    const [second, third] = await Promise.all([request(alice.person.email), request(alice.person.email)]);
    await republished(alice.user.id, before, (v) => v.includes(second.id) && v.includes(third.id) && v.includes(first.id));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(publishesTo(alice.user.id).length - before).toBeLessThanOrEqual(2);

    // Alice decides one in the web app: her tab no longer lists it.
    const afterNew = publishesTo(alice.user.id).length;
    expect((await alice.browser.decide(second.id, 'approve')).status).toBe(200);
    await republished(alice.user.id, afterNew, (v) => !v.includes(second.id) && v.includes(third.id));

    // The agent cancels another: gone too.
    const afterDecision = publishesTo(alice.user.id).length;
    expect((await call(`${api.url}/v1/approvals/${third.id}/cancel`, { method: 'POST', token: agentToken, body: {} })).status).toBe(200);
    await republished(alice.user.id, afterDecision, (v) => !v.includes(third.id) && v.includes(first.id));

    // Bob never opened his Home tab: his approvals' changes publish nothing to him, and nothing of his reached Alice.
    expect(publishesTo(bob.user.id)).toEqual([]);
    expect(publishesTo(alice.user.id).some((c) => text(c).includes(bobs.id))).toBe(false);
  });

  it("an unlinked Slack user, another team's user with a linked id, and a Grid user from another org see that they are not linked, and nothing else", async () => {
    const carol = await linkedPerson();
    const grid = await linkedPerson({ team_id: 'T0GRID', enterprise_id: 'E0ORG' });
    const carols = await request(carol.person.email);
    const grids = await request(grid.person.email);
    const notLinked = async (ref: SlackUserRef) => {
      await home.homeOpened(ref);
      const published = text(lastPublishTo(ref.userId)!);
      expect(published).toContain('not linked to a Countersign account');
      expect(published).not.toMatch(new RegExp(`${carols.id}|${grids.id}|Review in Countersign`));
    };

    await notLinked({ userId: 'U0STRANGER', teamId: 'T0TEAM', enterpriseId: null });
    await notLinked({ userId: carol.user.id, teamId: 'T0OTHER', enterpriseId: null });
    await notLinked({ userId: grid.user.id, teamId: 'T0GRID', enterpriseId: null });
    await notLinked({ userId: grid.user.id, teamId: 'T0GRID', enterpriseId: 'E0EVIL' });
    expect(await refusals()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: 'unknown_slack_user', surface: 'home', slack_user_id: 'U0STRANGER' }),
        expect.objectContaining({ reason: 'unknown_slack_user', surface: 'home', slack_user_id: carol.user.id, team_id: 'T0OTHER' }),
        expect.objectContaining({ reason: 'unknown_slack_user', surface: 'home', slack_user_id: grid.user.id, enterprise_id: 'E0EVIL' }),
      ]),
    );

    // The same Grid user from their own org is bound, and sees their own approval.
    await home.homeOpened(grid.ref);
    expect(text(lastPublishTo(grid.user.id)!)).toContain(grids.id);
  });

  it('a disabled person: their opened Home tab stops listing, and opening it again lists nothing', async () => {
    const dave = await linkedPerson();
    const daves = await request(dave.person.email);
    await home.homeOpened(dave.ref);
    expect(text(lastPublishTo(dave.user.id)!)).toContain(daves.id);

    const before = publishesTo(dave.user.id).length;
    expect((await admin('PATCH', `/v1/admin/people/${dave.person.id}`, { status: 'disabled' })).status).toBe(200);
    await republished(dave.user.id, before, (v) => v.includes('not linked') && !v.includes(daves.id));

    await home.homeOpened(dave.ref);
    expect(text(lastPublishTo(dave.user.id)!)).not.toContain(daves.id);
    expect((await home.commandReply(dave.ref, '')).text).toContain('not linked');
  });

  it('a link left to a person who is no longer active lists nothing, and says the account is not active', async () => {
    const erin = await linkedPerson();
    const erins = await request(erin.person.email);
    // Not through deprovisioning (which removes the link): a link that outlived its person's status must not list.
    await withClient(database.url, (client) => client.query(`UPDATE people SET status = 'disabled' WHERE id = $1`, [erin.person.id]));
    await home.homeOpened(erin.ref);
    const published = text(lastPublishTo(erin.user.id)!);
    expect(published).toContain('not active');
    expect(published).not.toContain(erins.id);
    const reply = await home.commandReply(erin.ref, '');
    expect(JSON.stringify(reply)).not.toContain(erins.id);
    expect(await refusals()).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'person_disabled', surface: 'command' })]));
  });

  it('the slash command lists the pending approvals of the linked person only; help and anything else get the usage', async () => {
    const frank = await linkedPerson();
    const grace = await linkedPerson();
    const franks = await request(frank.person.email);
    const graces = await request(grace.person.email);

    const listed = await home.commandReply(frank.ref, '  ');
    expect(listed).toMatchObject({ response_type: 'ephemeral', text: '1 approval waiting for your decision.' });
    expect(JSON.stringify(listed.blocks)).toContain(`/approvals/${franks.id}|Review in Countersign`);
    expect(JSON.stringify(listed)).not.toContain(graces.id);

    const help = await home.commandReply(frank.ref, 'HELP');
    expect(help).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('`/countersign help`') as string });
    const garbage = await home.commandReply(frank.ref, 'approve everything <!channel>');
    expect(garbage.text).toMatch(/^Unknown option\./);
    expect(JSON.stringify(garbage)).not.toContain(franks.id);

    const stranger = await home.commandReply({ userId: 'U0NOBODY', teamId: 'T0TEAM', enterpriseId: null }, '');
    expect(stranger.text).toContain('not linked');
    expect(JSON.stringify(stranger)).not.toMatch(new RegExp(`${franks.id}|${graces.id}`));
    expect(await refusals()).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: 'unknown_slack_user', surface: 'command', slack_user_id: 'U0NOBODY' })]),
    );
    // The command does not count as opening the Home tab: nothing is published to Frank.
    expect(publishesTo(frank.user.id)).toEqual([]);
  });

  it('an approval that expires leaves the Home tab by itself', async () => {
    const judy = await linkedPerson();
    await home.homeOpened(judy.ref);
    const before = publishesTo(judy.user.id).length;
    const soon = await request(judy.person.email, 'deploy done', { expires_in: 2 });
    await republished(judy.user.id, before, (v) => v.includes(soon.id));
    const listed = publishesTo(judy.user.id).length;
    await republished(judy.user.id, listed, (v) => !v.includes(soon.id) && v.includes('Nothing waits for your decision'));
  });

  it("a delegate who opened Home is republished when their delegator's approval arrives, and it is listed", async () => {
    const henry = await linkedPerson();
    const ivy = await linkedPerson();
    const ends = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    expect(
      (await admin('POST', `/v1/admin/people/${henry.person.id}/delegations`, { delegate: ivy.person.id, ends_at: ends })).status,
    ).toBe(201);
    await home.homeOpened(ivy.ref);
    const before = publishesTo(ivy.user.id).length;
    const henrys = await request(henry.person.email);
    await republished(ivy.user.id, before, (v) => v.includes(henrys.id));
  });
});
