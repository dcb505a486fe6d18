import { type INestApplicationContext } from '@nestjs/common';
import { CLI } from '@countersign/audit';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import {
  agentAccessToken,
  call,
  type CardMessage,
  createMigratedDatabase,
  FakeTeams,
  type FakeTeamsUser,
  newAgent,
  newPerson,
  type RunningApi,
  startApi,
  startWorker,
  testConfig,
  withClient,
} from '@countersign/testing';

jest.setTimeout(60_000);

type View = {
  id: string;
  status: string;
  approval_token?: string;
  decisions: Array<{ person: string; verdict: string; channel: string; reason: string | null }>;
  notifications: Array<{ person: string; channel: string; state: string; kind: string; detail: string | null }>;
};
type AuditEvent = { subject: { id: string } | null; data: Record<string, unknown> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async <T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await sleep(100);
  }
};

/** Teams only. `chat.send` is medium (no step-up; its `token` arg is sensitive); `payments.transfer` high (a passkey). */
const TEAMS_TAXONOMY = `description: teams channel tests
trusted_provenance: [user, system]
unknown_action: critical
tiers:
  low:       { decision: auto_approve, token_ttl: 5m }
  medium:    { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none, channels: [teams], ttl: 30m }
  high:      { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: passkey, channels: [teams], ttl: 30m }
  critical:  { decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: passkey, channels: [teams], ttl: 30m }
  forbidden: { decision: deny }
matrix:
  reversible:   { self: low,    team: low,    organization: medium,   external: medium }
  compensable:  { self: low,    team: medium, organization: high,     external: high }
  irreversible: { self: medium, team: high,   organization: critical, external: critical }
actions:
  - type: "payments.transfer"
    reversibility: irreversible
    blast_radius: team
    sensitive_args: ["account_number"]
  - type: "chat.send"
    reversibility: compensable
    blast_radius: team
    sensitive_args: ["token"]
`;

const SECRET = 'SECRET-TOKEN-4242';
const BAIT = '[click me](https://evil.example/approve) **now**';

describe('Microsoft Teams: an Adaptive Card DM; only the linked user, from our tenant, on their card, decides', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let teams: FakeTeams;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let agentToken: string;

  beforeAll(async () => {
    [database, teams] = await Promise.all([createMigratedDatabase('teams'), new FakeTeams().start()]);
    api = await startApi(testConfig({ DATABASE_URL: database.url, ...teams.config() }));
    await api.app.get(TaxonomyService).apply(CLI, TEAMS_TAXONOMY, 'teams for every tier');
    await sleep(2_100); // every instance re-reads the active version within 2 s
    worker = await startWorker(api.config);
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await worker.close();
    await api.close();
    await teams.close();
    await database.drop();
  });

  const request = async (body: unknown): Promise<View> => {
    const created = await call<View>(`${api.url}/v1/approvals`, { token: agentToken, body });
    expect({ status: created.status, body: created.status === 201 ? null : created.body }).toEqual({ status: 201, body: null });
    return created.body;
  };
  const chat = (email: string, text = 'deploy done') =>
    request({
      action: { type: 'chat.send', resource: 'channel:ops', args: { channel: '#ops', text, token: SECRET } },
      on_behalf_of: email,
      audience: 'https://chat.internal',
    });
  const view = async (id: string) => (await call<View>(`${api.url}/v1/approvals/${id}`, { token: agentToken })).body;
  const refusals = async (): Promise<AuditEvent[]> =>
    (
      await call<{ events: AuditEvent[] }>(`${api.url}/v1/admin/audit?type=teams.activity_refused&limit=200`, {
        token: api.config.adminToken!,
      })
    ).body.events;
  const refusalOf = async (activity: Record<string, unknown>) =>
    (await refusals()).filter((event) => event.data.activity_id === activity.id).map((event) => event.data.reason);
  const linkOf = (personId: string) =>
    withClient(
      database.url,
      async (client) =>
        (await client.query<Record<string, unknown>>(`SELECT * FROM teams_identities WHERE person_id = $1`, [personId])).rows[0],
    );
  const card = (approvalId: string, user: FakeTeamsUser): Promise<CardMessage> =>
    until(
      `the card about ${approvalId}`,
      () => teams.cardsAbout(approvalId, user)[0],
      (message) => message !== undefined,
    );
  /** An approver who installed the bot in Teams (linked by email). */
  const linkedPerson = async (): Promise<{ person: PersonRecord; user: FakeTeamsUser }> => {
    const person = await newPerson(api.app, { role: 'approver' });
    const user = teams.addUser(person.email);
    const answer = await teams.post(api.url, teams.installation(user));
    expect(answer.status).toBe(200);
    await until(
      'the link',
      () => linkOf(person.id),
      (row) => row !== undefined,
    );
    return { person, user };
  };

  it('installing the bot links the Teams user to the person with that email, through the connector, with the bot token it obtained', async () => {
    const { person, user } = await linkedPerson();
    expect(await linkOf(person.id)).toMatchObject({
      tenant_id: teams.tenantId,
      aad_object_id: user.aadObjectId,
      teams_user_id: user.id,
      conversation_id: user.conversationId,
      service_url: teams.serviceUrl,
    });
    const lookup = teams.calls.find((c) => c.method === 'GET' && c.path.endsWith(`/members/${encodeURIComponent(user.id)}`));
    expect(lookup?.token).toBeTruthy();
    // The token came from the login URL with the app's credentials, for the Bot Framework scope.
    expect(teams.tokenRequests[0]).toMatchObject({
      grant_type: 'client_credentials',
      client_id: teams.appId,
      scope: 'https://api.botframework.com/.default',
    });
    // A user whose address matches nobody is not linked.
    const stranger = teams.addUser('nobody-here@example.com');
    const installation = teams.installation(stranger);
    expect((await teams.post(api.url, installation)).status).toBe(200);
    expect(await refusalOf(installation)).toEqual(['no_matching_person']);
  });

  it('a card arrives with the summary and Approve/Deny, no sensitive arg, the agent text inert; Approve decides, the agent gets its token, the card shows the outcome', async () => {
    const { person, user } = await linkedPerson();
    const approval = await chat(person.email, `hello ${BAIT}`);
    const message = await card(approval.id, user);
    const json = JSON.stringify(message.card);
    // What the person reads (the zero-width spaces that keep Markdown inert are invisible).
    const visible = json.replace(/\u200b/g, '');
    expect(visible).not.toContain(SECRET);
    expect(visible).toContain('• token: [REDACTED]');
    expect(visible).toContain(`on behalf of ${person.email}`);
    expect(visible).toContain(`text: hello ${BAIT}`);
    // ... but Teams can neither link nor format the agent's text.
    expect(json).not.toContain('https://evil.example');
    expect(json).not.toContain('**now**');
    expect(json).not.toContain('[click me]');
    expect(message.card.actions?.map((action) => [action.type, action.verb ?? action.title])).toEqual([
      ['Action.Execute', 'approve'],
      ['Action.Execute', 'deny'],
      ['Action.OpenUrl', 'Open in Countersign'],
    ]);
    expect(message.card.actions?.[2]?.url).toBe(`${api.config.publicUrl}/approvals/${approval.id}`);
    expect(message.card.body.some((element) => element.type === 'Input.Text' && element.id === 'reason')).toBe(true);
    const sent = await until(
      'sent',
      () => view(approval.id),
      (v) => v.notifications.some((n) => n.channel === 'teams' && n.state === 'sent'),
    );
    expect(sent.notifications).toEqual([expect.objectContaining({ channel: 'teams', state: 'sent', kind: 'request' })]);

    const answer = await teams.post(api.url, teams.cardAction(user, { verb: 'approve', approvalId: approval.id, replyToId: message.id }));
    expect(answer).toEqual({
      status: 200,
      body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Approved: your decision is recorded.' },
    });
    const decided = await view(approval.id);
    expect(decided.status).toBe('approved');
    expect(decided.approval_token).toEqual(expect.any(String));
    expect(decided.decisions).toEqual([expect.objectContaining({ verdict: 'approve', channel: 'teams' })]);
    const updated = await until(
      'the card updated',
      () => teams.cardsAbout(approval.id, user)[0],
      (m) => m.updates > 0,
    );
    expect(updated.card.actions?.map((action) => action.type)).toEqual(['Action.OpenUrl']);
    expect(updated.card.body.some((element) => element.type === 'Input.Text')).toBe(false);
    expect(JSON.stringify(updated.card)).toContain('Approved by');
  });

  it('Deny with a reason decides, the reason reaches the agent; the same action again is a replay, refused and audited', async () => {
    const { person, user } = await linkedPerson();
    const approval = await chat(person.email);
    const message = await card(approval.id, user);
    const deny = teams.cardAction(user, { verb: 'deny', approvalId: approval.id, replyToId: message.id, reason: 'not during the freeze' });
    expect((await teams.post(api.url, deny)).status).toBe(200);
    const denied = await view(approval.id);
    expect(denied.status).toBe('denied');
    expect(denied.decisions).toEqual([expect.objectContaining({ verdict: 'deny', reason: 'not during the freeze', channel: 'teams' })]);
    const replay = await teams.post(api.url, deny);
    expect(replay.body).toMatchObject({ value: 'This action was already received.' });
    expect(await refusalOf(deny)).toEqual(['replay']);
    expect((await view(approval.id)).decisions).toHaveLength(1);
    await until(
      'the card updated',
      () => teams.cardsAbout(approval.id, user)[0],
      (m) => m.updates > 0,
    );
    expect(JSON.stringify(teams.cardsAbout(approval.id, user)[0].card)).toContain('not during the freeze');
  });

  it('a step-up tier gets only the link to the approval page: no buttons, no input, no sensitive arg', async () => {
    const { person, user } = await linkedPerson();
    const approval = await request({
      action: { type: 'payments.transfer', resource: 'account:ops', args: { amount: 5000, account_number: SECRET } },
      on_behalf_of: person.email,
      audience: 'https://payments.internal',
    });
    const message = await card(approval.id, user);
    expect(message.card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Review in Countersign',
        url: `${api.config.publicUrl}/approvals/${approval.id}`,
        style: 'positive',
      },
    ]);
    expect(message.card.body.some((element) => String(element.type).startsWith('Input.'))).toBe(false);
    expect(JSON.stringify(message)).not.toContain(SECRET);
    // Even an action crafted for it does not decide: the tier needs a passkey.
    const crafted = teams.cardAction(user, { verb: 'approve', approvalId: approval.id, replyToId: message.id });
    expect((await teams.post(api.url, crafted)).status).toBe(200);
    expect((await view(approval.id)).status).toBe('pending');
  });

  it('refuses forged, mis-issued, mis-addressed and expired tokens, other tenants and service URLs, other users and other cards; the approval stays pending', async () => {
    const { person, user } = await linkedPerson();
    const { user: bob } = await linkedPerson();
    const approval = await chat(person.email);
    const message = await card(approval.id, user);
    const otherApproval = await chat(person.email, 'another one');
    const otherCard = await card(otherApproval.id, user);
    const approve = (overrides: Partial<Parameters<FakeTeams['cardAction']>[1]> = {}, who = user) =>
      teams.cardAction(who, { verb: 'approve', approvalId: approval.id, replyToId: message.id, ...overrides });

    const tokenCases: Array<[string, Parameters<FakeTeams['token']>[0], string]> = [
      ['forged', { forged: true }, 'invalid_token'],
      ['wrong issuer', { issuer: 'https://evil.example' }, 'wrong_issuer'],
      ['an Emulator issuer', { issuer: 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/' }, 'wrong_issuer'],
      ['wrong audience', { audience: '00000000-0000-0000-0000-000000000000' }, 'invalid_token'],
      ['expired', { expiresIn: -3600 }, 'invalid_token'],
      ['another service URL claimed', { serviceUrl: `${teams.serviceUrl}other/` }, 'invalid_token'],
    ];
    for (const [what, tampering, reason] of tokenCases) {
      const activity = approve();
      const answer = await teams.post(api.url, activity, await teams.token(tampering));
      expect({ what, status: answer.status }).toEqual({ what, status: 401 });
      expect({ what, reasons: await refusalOf(activity) }).toEqual({ what, reasons: [reason] });
    }
    const noToken = await fetch(`${api.url}/teams/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(approve()),
    });
    expect(noToken.status).toBe(401);

    // Not an activity at all: refused at the edge, audited.
    const before = (await refusals()).filter((event) => event.data.reason === 'invalid_activity').length;
    expect((await teams.post(api.url, { ...approve(), type: 42 })).status).toBe(400);
    expect((await refusals()).filter((event) => event.data.reason === 'invalid_activity')).toHaveLength(before + 1);

    // A service URL outside the allow-list, even signed: refused before anything is sent there.
    const elsewhere = { ...approve(), serviceUrl: teams.elsewhereUrl };
    const outside = await teams.post(api.url, elsewhere, await teams.token({ serviceUrl: teams.elsewhereUrl }));
    expect(outside.status).toBe(403);
    expect(await refusalOf(elsewhere)).toEqual(['service_url_not_allowed']);
    expect(teams.calls.filter((c) => c.path.startsWith('/elsewhere/'))).toEqual([]);

    const refusedInTurn: Array<[string, Record<string, unknown>, string, number]> = [
      ['another tenant', approve({ tenantId: '11111111-2222-3333-4444-555555555555' }), 'wrong_tenant', 403],
      ['another linked person, on the card', approve({ conversationId: user.conversationId }, bob), 'not_the_persons_card', 200],
      ['another linked person, in their own chat', approve({}, bob), 'not_the_persons_card', 200],
      [
        'the same Entra user under another Teams id',
        { ...approve(), from: { id: '29:someone-else', aadObjectId: user.aadObjectId } },
        'wrong_user',
        200,
      ],
      ['an unlinked user', approve({}, teams.addUser('unlinked@example.com')), 'unknown_teams_user', 200],
      ["a card that is not this approval's", approve({ replyToId: otherCard.id }), 'not_the_persons_card', 200],
      ['an unknown verb', approve({ verb: 'escalate' }), 'invalid_action', 200],
    ];
    for (const [what, activity, reason, status] of refusedInTurn) {
      const answer = await teams.post(api.url, activity);
      expect({ what, status: answer.status }).toEqual({ what, status });
      expect({ what, reasons: await refusalOf(activity) }).toEqual({ what, reasons: [reason] });
    }
    const after = await view(approval.id);
    expect(after.status).toBe('pending');
    expect(after.decisions).toEqual([]);
    // The real card still works afterwards.
    await teams.post(api.url, approve());
    expect((await view(approval.id)).status).toBe('approved');
  });

  it('a 403 from the Bot Connector fails the delivery without retrying; a 503 is retried and one card arrives', async () => {
    const { person: carol, user: carolUser } = await linkedPerson();
    teams.onSend = (conversationId) => (conversationId === carolUser.conversationId ? { status: 403 } : null);
    const refused = await chat(carol.email);
    const failed = await until(
      'failed',
      () => view(refused.id),
      (v) => v.notifications.some((n) => n.state === 'failed'),
    );
    expect(failed.notifications).toEqual([expect.objectContaining({ channel: 'teams', state: 'failed' })]);
    const posts = () =>
      teams.calls.filter(
        (c) => c.method === 'POST' && c.path === `/teams/v3/conversations/${encodeURIComponent(carolUser.conversationId)}/activities`,
      );
    expect(posts()).toHaveLength(1);

    let unavailable = 1;
    teams.onSend = (conversationId) => (conversationId === carolUser.conversationId && unavailable-- > 0 ? { status: 503 } : null);
    const retried = await chat(carol.email, 'second try');
    await until(
      'sent',
      () => view(retried.id),
      (v) => v.notifications.some((n) => n.state === 'sent'),
    );
    expect(teams.cardsAbout(retried.id, carolUser)).toHaveLength(1);
    teams.onSend = null;
  });

  it('a card posted whose answer was lost is posted again (at least once); only the recorded card decides', async () => {
    const { person, user } = await linkedPerson();
    let drops = 1;
    teams.onSend = (conversationId) => (conversationId === user.conversationId && drops-- > 0 ? 'drop' : null);
    const approval = await chat(person.email);
    await until(
      'sent',
      () => view(approval.id),
      (v) => v.notifications.some((n) => n.state === 'sent'),
    );
    teams.onSend = null;
    const cards = teams.cardsAbout(approval.id, user);
    expect(cards).toHaveLength(2);
    const [lost, recorded] = cards;
    const onLost = teams.cardAction(user, { verb: 'approve', approvalId: approval.id, replyToId: lost.id });
    await teams.post(api.url, onLost);
    expect(await refusalOf(onLost)).toEqual(['not_the_persons_card']);
    expect((await view(approval.id)).status).toBe('pending');
    await teams.post(api.url, teams.cardAction(user, { verb: 'approve', approvalId: approval.id, replyToId: recorded.id }));
    expect((await view(approval.id)).status).toBe('approved');
    await until(
      'the recorded card updated',
      () => teams.cardsAbout(approval.id, user)[1],
      (m) => m.updates > 0,
    );
    expect(teams.cardsAbout(approval.id, user)[0].updates).toBe(0);
  });

  it('a person who has not installed the bot is unreachable; disabling a person removes their link', async () => {
    const unlinked = await newPerson(api.app, { role: 'approver' });
    const approval = await chat(unlinked.email);
    const unreachable = await until(
      'planned',
      () => view(approval.id),
      (v) => v.notifications.some((n) => n.state === 'unreachable'),
    );
    expect(unreachable.notifications).toEqual([expect.objectContaining({ channel: 'teams', state: 'unreachable' })]);

    const { person } = await linkedPerson();
    await api.app.get(PeopleService).update(CLI, person.id, { status: 'disabled' });
    expect(await linkOf(person.id)).toBeUndefined();
  });
});
