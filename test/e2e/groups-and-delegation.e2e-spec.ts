import { CLI } from '@countersign/audit';
import { type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import {
  agentAccessToken,
  call,
  createMigratedDatabase,
  newAgent,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  testConfig,
  withClient,
} from '@countersign/testing';

/**
 * Tiers for this suite. medium: two distinct people of group:finance. high: two approvals, one of them from
 * group:finance (approvals_from), the rest from role:admin. critical: one approval from group:finance (delegation).
 */
const TAXONOMY = `trusted_provenance: [user]
unknown_action: forbidden
tiers:
  low:       { decision: auto_approve }
  medium:    { decision: approve, approvals: 2, approvers: ["group:finance"], ttl: 30m }
  high:      { decision: approve, approvals: 2, approvers: ["group:finance", "role:admin"], approvals_from: { "group:finance": 1 }, ttl: 30m }
  critical:  { decision: approve, approvals: 1, approvers: ["group:finance"], ttl: 30m }
  forbidden: { decision: deny }
matrix:
  reversible:   { self: low, team: medium, organization: high, external: critical }
  compensable:  { self: low, team: medium, organization: high, external: critical }
  irreversible: { self: low, team: medium, organization: high, external: critical }
actions:
  - { type: "finance.pay", reversibility: reversible, blast_radius: team }
  - { type: "finance.mixed", reversibility: reversible, blast_radius: organization }
  - { type: "finance.wire", reversibility: reversible, blast_radius: external }
`;

type View = {
  id: string;
  status: string;
  status_reason: string | null;
  decisions: Array<{ person: { id: string }; for: { id: string; email: string } | null; verdict: string }>;
  groups: Array<{ entry: string; members: Array<{ person: { id: string }; state: string; eligible: boolean }> }>;
  you: { can_decide: boolean; deciding_for: { id: string } | null };
};
type Delegation = { id: string; state: string; delegator: { id: string }; delegate: { id: string } };
type Someone = { person: PersonRecord; browser: PersonBrowser };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('groups in the taxonomy, and delegation', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let api: RunningApi;
  let agentToken: string;
  let requester: PersonRecord;

  const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    withClient(database.url, async (client) => (await client.query(text, values)).rows as T[]);
  // The directory (SCIM or the admin API fill it in production), written directly here.
  const addToGroup = async (group: string, ...people: Someone[]) => {
    await sql(`INSERT INTO groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [group]);
    for (const { person } of people)
      await sql(`INSERT INTO group_members (group_id, person_id) SELECT id, $2 FROM groups WHERE name = $1`, [group, person.id]);
  };
  const removeFromGroup = (group: string, someone: Someone) =>
    sql(`DELETE FROM group_members WHERE person_id = $2 AND group_id = (SELECT id FROM groups WHERE name = $1)`, [
      group,
      someone.person.id,
    ]);
  const person = (role: 'approver' | 'admin' = 'approver') => signedInPerson(api.app, api.url, { role, permissions: ['*'] });

  const request = async (type: string, onBehalfOf: PersonRecord = requester) => {
    const created = await call<View>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type, resource: 'invoice:7', args: { amount: 1200 } },
        on_behalf_of: onBehalfOf.email,
        audience: 'https://erp.internal',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');
    return created.body;
  };
  const inboxIds = async (someone: Someone) =>
    (await someone.browser.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals')).body.approvals.map((item) => item.id);
  const recordedMembers = async (approvalId: string) =>
    (await sql<{ group_members: Record<string, string[]> }>(`SELECT group_members FROM approvals WHERE id = $1`, [approvalId]))[0]
      .group_members;
  /** Who the delivery planner reached (planned at intake, in the API): one row per person × channel. */
  const notified = async (approvalId: string): Promise<string[]> => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const rows = await sql<{ person_id: string }>(`SELECT DISTINCT person_id FROM deliveries WHERE approval_id = $1`, [approvalId]);
      if (rows.length > 0) return rows.map((row) => row.person_id).sort();
      await sleep(100);
    }
    return [];
  };
  const delegate = (from: Someone, to: Someone, body: Record<string, unknown> = {}) =>
    from.browser.request<Delegation>('POST', '/v1/me/delegations', {
      delegate: to.person.email,
      ends_at: new Date(Date.now() + 86_400_000).toISOString(),
      ...body,
    });

  beforeAll(async () => {
    database = await createMigratedDatabase('groups_delegation');
    api = await startApi(testConfig({ DATABASE_URL: database.url }));
    await api.app.get(TaxonomyService).apply(CLI, TAXONOMY, 'groups and delegation');
    const agent = await newAgent(api.app, { capabilities: ['*'] });
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    requester = (await person()).person;
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  describe('groups', () => {
    it('two of group:finance: one approval leaves it pending, a non-member gets 404, a second member approves it', async () => {
      const [alice, carol, outsider] = await Promise.all([person(), person(), person()]);
      await addToGroup('finance', alice, carol);
      const approval = await request('finance.pay');
      expect(await recordedMembers(approval.id)).toEqual({ finance: [alice.person.id, carol.person.id].sort() });

      // Every path that resolves approvers agrees: the inbox, the planner, the view.
      expect(await inboxIds(alice)).toContain(approval.id);
      expect(await inboxIds(outsider)).not.toContain(approval.id);
      expect(await notified(approval.id)).toEqual([alice.person.id, carol.person.id].sort());
      expect((await outsider.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);

      const first = await alice.browser.decide(approval.id, 'approve');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: 'pending' });
      // One decision per person: Alice cannot count twice.
      expect((await alice.browser.decide(approval.id, 'approve')).body).toMatchObject({ code: 'already_decided' });
      expect((await outsider.browser.decide(approval.id, 'approve')).status).toBe(404);

      const second = await carol.browser.decide(approval.id, 'approve');
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'approved' });
    });

    it('approvals_from: two approvals from admins are not enough without one from group:finance', async () => {
      const [admin1, admin2, treasurer] = await Promise.all([person('admin'), person('admin'), person()]);
      await addToGroup('finance', treasurer);
      const approval = await request('finance.mixed');
      expect((await admin1.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'pending' });
      expect((await admin2.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'pending' });
      expect((await treasurer.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'approved' });
    });

    it('a group that does not exist resolves to nobody: nobody may decide, nobody is notified', async () => {
      const admin = await person('admin');
      await sql(`DELETE FROM group_members`);
      await sql(`DELETE FROM groups`);
      const approval = await request('finance.wire');
      expect(await recordedMembers(approval.id)).toEqual({ finance: [] });
      expect((await admin.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);
      expect(await inboxIds(admin)).not.toContain(approval.id);
      expect(await notified(approval.id)).toEqual([]);
    });

    it('a membership change during a pending approval is shown, and eligibility keeps to the record', async () => {
      const [alice, dave, frank, erin] = await Promise.all([person(), person(), person(), person()]);
      await addToGroup('finance', alice, dave, frank);
      const approval = await request('finance.pay');

      await removeFromGroup('finance', dave);
      await addToGroup('finance', erin);
      await sql(`UPDATE people SET status = 'disabled' WHERE id = $1`, [frank.person.id]);

      const view = await alice.browser.request<View>('GET', `/v1/me/approvals/${approval.id}`);
      expect(view.status).toBe(200);
      const members = Object.fromEntries(view.body.groups[0].members.map((member) => [member.person.id, member]));
      expect(view.body.groups[0].entry).toBe('group:finance');
      expect(members[alice.person.id]).toMatchObject({ state: 'member', eligible: true });
      expect(members[dave.person.id]).toMatchObject({ state: 'left', eligible: true });
      expect(members[frank.person.id]).toMatchObject({ state: 'disabled', eligible: false });
      expect(members[erin.person.id]).toMatchObject({ state: 'joined', eligible: false });

      // Erin joined after the request: not eligible on any path.
      expect((await erin.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);
      expect(await inboxIds(erin)).not.toContain(approval.id);
      expect((await erin.browser.decide(approval.id, 'approve')).status).toBe(404);
      expect(await notified(approval.id)).not.toContain(erin.person.id);

      // Dave left the group but was recorded: the record decides (the ADR's snapshot rule).
      expect(await inboxIds(dave)).toContain(approval.id);
      expect((await alice.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'pending' });
      expect((await dave.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'approved' });
    });

    it('the admin taxonomy lint warns about a group that does not exist', async () => {
      await addToGroup('finance');
      const checked = await call<{
        lint: { errors: number; findings: Array<{ code: string; severity: string; path: string; message: string }> };
      }>(`${api.url}/v1/admin/taxonomy/lint`, {
        body: TAXONOMY.replace('approvers: ["group:finance", "role:admin"]', 'approvers: ["group:treasury", "role:admin"]').replace(
          'approvals_from: { "group:finance": 1 }',
          'approvals_from: { "group:treasury": 1 }',
        ),
        headers: { authorization: `Bearer ${api.config.adminToken}`, 'content-type': 'application/yaml' },
      });
      expect(checked.status).toBe(200);
      expect(checked.body.lint.errors).toBe(0);
      expect(checked.body.lint.findings).toEqual([
        expect.objectContaining({
          code: 'unknown_group',
          severity: 'warning',
          path: 'tiers.high.approvers[0]',
          message: expect.stringContaining('group:treasury'),
        }),
      ]);
    });
  });

  describe('delegation', () => {
    let alice: Someone;
    let bob: Someone;

    beforeEach(async () => {
      [alice, bob] = await Promise.all([person(), person()]);
      await addToGroup('finance', alice);
    });

    it('a delegate decides for the delegator: shown as "Bob for Alice", audited, and in the inbox', async () => {
      const created = await delegate(alice, bob, { reason: 'on leave' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ state: 'active', delegator: { id: alice.person.id }, delegate: { id: bob.person.id } });
      expect((await bob.browser.request<{ delegations: Delegation[] }>('GET', '/v1/me/delegations')).body.delegations).toEqual([
        expect.objectContaining({ id: created.body.id }),
      ]);

      // Two of group:finance: Bob (not a member) stands in for Alice, who is.
      const carol = await person();
      await addToGroup('finance', carol);
      const approval = await request('finance.pay');
      expect(await inboxIds(bob)).toContain(approval.id);
      const view = await bob.browser.request<View>('GET', `/v1/me/approvals/${approval.id}`);
      expect(view.body.you).toMatchObject({ can_decide: true, deciding_for: { id: alice.person.id } });

      const decided = await bob.browser.decide(approval.id, 'approve');
      expect(decided.status).toBe(200);
      expect((decided.body as unknown as View).status).toBe('pending');
      // Alice's right was used: she cannot count it a second time.
      const aliceView = await alice.browser.request<View>('GET', `/v1/me/approvals/${approval.id}`);
      expect(aliceView.body.you.can_decide).toBe(false);
      expect((await alice.browser.decide(approval.id, 'approve')).body).toMatchObject({ code: 'already_decided' });

      const settled = (await carol.browser.decide(approval.id, 'approve')).body as unknown as View;
      expect(settled.status).toBe('approved');
      expect(settled.status_reason).toBe(`approved by ${bob.person.email} for ${alice.person.email}, ${carol.person.email}`);
      expect(settled.decisions[0]).toMatchObject({ person: { id: bob.person.id }, for: { id: alice.person.id } });
      expect(settled.decisions[1]).toMatchObject({ person: { id: carol.person.id }, for: null });

      const audit = await sql<{ type: string; actor_id: string; subject_id: string; data: Record<string, unknown> }>(
        `SELECT type, actor_id, subject_id, data FROM audit_outbox WHERE (subject_id = $1 OR subject_id = $2) AND type LIKE ANY('{delegation.%,decision.recorded}')
          UNION ALL SELECT type, actor_id, subject_id, data FROM audit_events WHERE (subject_id = $1 OR subject_id = $2) AND type LIKE ANY('{delegation.%,decision.recorded}')`,
        [approval.id, created.body.id],
      );
      const types = audit.map((row) => row.type).sort();
      expect(types).toEqual(['decision.recorded', 'decision.recorded', 'delegation.created', 'delegation.used']);
      expect(audit.filter((row) => row.type === 'decision.recorded').map((row) => row.data.via_delegation_of ?? null)).toContain(
        alice.person.id,
      );
      expect(audit.find((row) => row.type === 'delegation.used')).toMatchObject({
        actor_id: bob.person.id,
        data: { approval_id: approval.id },
      });
    });

    it("never lets the delegate approve a request made on the delegate's own behalf", async () => {
      expect((await delegate(alice, bob)).status).toBe(201);
      const bobsOwn = await request('finance.wire', bob.person);
      expect((await bob.browser.request('GET', `/v1/me/approvals/${bobsOwn.id}`)).status).toBe(404);
      expect(await inboxIds(bob)).not.toContain(bobsOwn.id);
      expect((await bob.browser.decide(bobsOwn.id, 'approve')).status).toBe(404);
      // Alice herself still may.
      expect((await alice.browser.decide(bobsOwn.id, 'approve')).body).toMatchObject({ status: 'approved' });
    });

    it('an expired delegation stops at once, without any job', async () => {
      const created = await delegate(alice, bob, { ends_at: new Date(Date.now() + 3_000).toISOString() });
      expect(created.status).toBe(201);
      const approval = await request('finance.wire');
      expect((await bob.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(200);
      await sleep(3_100);
      expect((await bob.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);
      expect(await inboxIds(bob)).not.toContain(approval.id);
      expect((await bob.browser.decide(approval.id, 'approve')).status).toBe(404);
      expect((await bob.browser.request<{ delegations: Delegation[] }>('GET', '/v1/me/delegations')).body.delegations[0].state).toBe(
        'ended',
      );
    });

    it('a revoked delegation stops at once; only its parties (or an admin) may revoke it', async () => {
      const created = await delegate(alice, bob);
      const approval = await request('finance.wire');
      const stranger = await person();
      expect((await stranger.browser.request('DELETE', `/v1/me/delegations/${created.body.id}`)).status).toBe(404);
      const revoked = await alice.browser.request<Delegation>('DELETE', `/v1/me/delegations/${created.body.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.state).toBe('revoked');
      expect((await alice.browser.request('DELETE', `/v1/me/delegations/${created.body.id}`)).body).toMatchObject({ code: 'conflict' });
      expect((await bob.browser.decide(approval.id, 'approve')).status).toBe(404);
      expect(await inboxIds(bob)).not.toContain(approval.id);
      const audit = await sql(
        `SELECT 1 FROM audit_outbox WHERE subject_id = $1 AND type = 'delegation.revoked'
                                UNION ALL SELECT 1 FROM audit_events WHERE subject_id = $1 AND type = 'delegation.revoked'`,
        [created.body.id],
      );
      expect(audit).toHaveLength(1);
    });

    it('refuses bad delegations, naming the problem, and writes nothing', async () => {
      const before = (await sql<{ count: number }>(`SELECT count(*)::int AS count FROM delegations`))[0].count;
      expect((await delegate(alice, alice)).body).toMatchObject({ status: 400, field: 'delegate' });
      expect((await delegate(alice, bob, { delegate: 'nobody@example.com' })).body).toMatchObject({ status: 400, field: 'delegate' });
      expect((await delegate(alice, bob, { ends_at: new Date(Date.now() + 91 * 86_400_000).toISOString() })).body).toMatchObject({
        status: 400,
        field: 'ends_at',
      });
      expect((await delegate(alice, bob, { ends_at: new Date(Date.now() - 1_000).toISOString() })).body).toMatchObject({
        status: 400,
        field: 'ends_at',
      });
      expect((await delegate(alice, bob, { ends_at: 'tomorrow' })).body).toMatchObject({ status: 400, field: 'ends_at' });
      expect((await delegate(alice, bob, { forever: true })).body).toMatchObject({ status: 400, field: 'forever' });
      await sql(`UPDATE people SET status = 'disabled' WHERE id = $1`, [bob.person.id]);
      expect((await delegate(alice, bob)).body).toMatchObject({ status: 400, field: 'delegate' });
      expect((await sql<{ count: number }>(`SELECT count(*)::int AS count FROM delegations`))[0].count).toBe(before);
    });

    it('an admin delegates for a person; a delegate who is eligible in their own right decides once, as themselves', async () => {
      await addToGroup('finance', bob);
      const admin = `Bearer ${api.config.adminToken}`;
      const created = await call<Delegation>(`${api.url}/v1/admin/people/${alice.person.id}/delegations`, {
        headers: { authorization: admin },
        body: { delegate: bob.person.id, ends_at: new Date(Date.now() + 3_600_000).toISOString() },
      });
      expect(created.status).toBe(201);
      const listed = await call<{ delegations: Delegation[] }>(`${api.url}/v1/admin/people/${bob.person.id}/delegations`, {
        headers: { authorization: admin },
      });
      expect(listed.body.delegations.map((delegation) => delegation.id)).toContain(created.body.id);

      const approval = await request('finance.pay');
      const decided = (await bob.browser.decide(approval.id, 'approve')).body as unknown as View;
      expect(decided.status).toBe('pending');
      expect(decided.decisions).toEqual([expect.objectContaining({ for: null })]);
      expect((await bob.browser.decide(approval.id, 'approve')).body).toMatchObject({ code: 'already_decided' });
      expect((await alice.browser.decide(approval.id, 'approve')).body).toMatchObject({ status: 'approved' });

      const revoked = await call<Delegation>(`${api.url}/v1/admin/people/${alice.person.id}/delegations/${created.body.id}`, {
        method: 'DELETE',
        headers: { authorization: admin },
      });
      expect(revoked.body.state).toBe('revoked');
    });
  });
});
