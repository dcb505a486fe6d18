import { ApprovalLifecycleService } from '@countersign/approvals';
import { AuditService } from '@countersign/audit';
import { jobId, QueueName, QueueService } from '@countersign/queue';
import { call, defaultTaxonomyWithMediumTier, type SlackApprover, until, useSlackApprovalSuite } from '@countersign/testing';

jest.setTimeout(90_000);

type Escalation = { step: number; steps: number; next_step_at: string | null };
type View = { id: string; status: string; created_at: string; escalation: Escalation };
type Escalated = {
  step: number;
  steps: number;
  early: boolean;
  added: string[];
  people: string[];
  manager?: string | null;
  groups?: Record<string, string[]>;
  resolved_to_nobody?: boolean;
};

const GROUP = 'ladder-finance';
/** Step delays (s): role:admin, the CFO by email (Slack only), the person's manager, the finance group. */
const AFTER = [2, 4, 6, 8];

/** The default taxonomy with a medium tier (Slack only) that escalates in four steps, 2 s apart. */
function ladderTaxonomy(cfoEmail: string): string {
  const ladder = [
    `{ after: ${AFTER[0]}s, to: ["role:admin"] }`,
    `{ after: ${AFTER[1]}s, to: ["person:${cfoEmail}"], channels: [slack] }`,
    `{ after: ${AFTER[2]}s, to: [manager] }`,
    `{ after: ${AFTER[3]}s, to: ["group:${GROUP}"] }`,
  ].join(',\n                 ');
  return defaultTaxonomyWithMediumTier(
    `{ decision: approve, approvals: 1, approvers: [on_behalf_of], step_up: none, channels: [slack], ttl: 30m,\n               escalation: [${ladder}] }`,
  );
}

describe('an escalation ladder: steps fire in order, each reaching the approvers it adds; a decision stops the rest', () => {
  const suite = useSlackApprovalSuite('ladder');
  const { person, sql, postsTo, reached, click } = suite;
  const request = (email: string) => suite.request<View>(email);
  let admin: SlackApprover;
  let cfo: SlackApprover;
  let manager: SlackApprover;
  let finance: SlackApprover[];

  beforeAll(async () => {
    [admin, cfo, manager] = [await person('admin'), await person(), await person()];
    finance = [await person(), await person(), await person()];
    // The finance group: two enabled members and one who was disabled (not part of the snapshot).
    const [group] = await sql<{ id: string }>(`INSERT INTO groups (name) VALUES ($1) RETURNING id`, [GROUP]);
    for (const member of finance) await sql(`INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)`, [group.id, member.id]);
    await sql(`UPDATE people SET status = 'disabled' WHERE id = $1`, [finance[2].id]);

    await suite.applyTaxonomy(ladderTaxonomy(cfo.email), 'an escalation ladder for tests');
    await suite.startWorker();
  });

  const agentView = async (id: string): Promise<View> =>
    (await call<View>(`${suite.api.url}/v1/approvals/${id}`, { token: suite.agentToken })).body;
  /** The approval's `approval.escalated` events, oldest first, with when each was written. */
  const escalations = async (approvalId: string): Promise<Array<Escalated & { at: number }>> => {
    const events = await suite.api.app.get(AuditService).search({ type: 'approval.escalated', subjectId: approvalId, limit: 50 });
    return events
      .sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)))
      .map((event) => ({ ...(event.data as unknown as Escalated), at: new Date(event.occurredAt).getTime() }));
  };
  const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

  it('fires each step at its time and in order, reaching the role, the person, the manager; records the group snapshot', async () => {
    const alice = await person();
    await sql(`UPDATE people SET manager_id = $1 WHERE id = $2`, [manager.id, alice.id]);
    const approval = await request(alice.email);
    const created = new Date(approval.created_at).getTime();
    expect(approval.escalation).toEqual({ step: 0, steps: 4, next_step_at: new Date(created + AFTER[0] * 1000).toISOString() });

    await reached(alice.slackUser, approval.id);
    // Not yet theirs: the manager may not even see it before their step.
    expect((await manager.browser.request('GET', `/v1/me/approvals/${approval.id}`)).status).toBe(404);

    const toAdmin = await reached(admin.slackUser, approval.id);
    const mid = await admin.browser.request<{ escalation: Escalation; escalated_to: string[] }>('GET', `/v1/me/approvals/${approval.id}`);
    expect(mid.body.escalated_to).toEqual(['role:admin']);
    expect(mid.body.escalation.step).toBeGreaterThanOrEqual(1);
    const toCfo = await reached(cfo.slackUser, approval.id);
    const toManager = await reached(manager.slackUser, approval.id);
    expect(toAdmin.at).toBeLessThan(toCfo.at);
    expect(toCfo.at).toBeLessThan(toManager.at);

    // Step 4 (the group) adds its enabled members as they are now.
    const deadline = Date.now() + 10_000;
    while ((await escalations(approval.id)).length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const steps = await escalations(approval.id);
    expect(steps.map(({ at: _at, ...step }) => step)).toEqual([
      expect.objectContaining({ step: 1, steps: 4, early: false, added: ['role:admin'], people: [] }),
      expect.objectContaining({ step: 2, steps: 4, early: false, added: [`person:${cfo.email}`], people: [] }),
      expect.objectContaining({
        step: 3,
        steps: 4,
        early: false,
        added: [`person:${manager.id}`],
        manager: manager.id,
        people: [manager.id],
      }),
      expect.objectContaining({
        step: 4,
        early: false,
        added: [`group:${GROUP}`],
        groups: { [GROUP]: [finance[0].id, finance[1].id].sort() },
        people: [finance[0].id, finance[1].id].sort(),
      }),
    ]);
    // None before its time (measured from the request), each after the one before.
    steps.forEach((step, index) => expect(step.at - created).toBeGreaterThanOrEqual(AFTER[index] * 1000 - 50));
    const [row] = await sql<{ escalation_step: number; escalated_to: string[]; group_members: Record<string, string[]> }>(
      `SELECT escalation_step, escalated_to, group_members FROM approvals WHERE id = $1`,
      [approval.id],
    );
    expect(row).toEqual({
      escalation_step: 4,
      escalated_to: ['role:admin', `person:${cfo.email}`, `person:${manager.id}`, `group:${GROUP}`],
      group_members: { [GROUP]: [finance[0].id, finance[1].id].sort() },
    });

    // The manager, added as themselves, sees it and sees where it is on the ladder.
    const managerView = await manager.browser.request<{ escalation: Escalation }>('GET', `/v1/me/approvals/${approval.id}`);
    expect(managerView.status).toBe(200);
    expect(managerView.body.escalation).toEqual({ step: 4, steps: 4, next_step_at: null });
    expect((await agentView(approval.id)).escalation).toEqual({ step: 4, steps: 4, next_step_at: null });

    // Nobody was notified twice: Alice once (the request), every step's approver once.
    for (const reachedOnce of [alice, admin, cfo, manager]) expect(postsTo(reachedOnce.slackUser, approval.id)).toHaveLength(1);
    expect((await click(suite.slack.signedClick({ approvalId: approval.id, action: 'approve', user: manager.slackUser }))).status).toBe(
      200,
    );
    // Slack is answered first, the decision follows (ADR 0022).
    await until(
      () => agentView(approval.id),
      (view) => view.status === 'approved',
    );
  });

  it('a decision after step 1 stops steps 2, 3 and 4: nothing more is posted or audited', async () => {
    const bob = await person();
    await sql(`UPDATE people SET manager_id = $1 WHERE id = $2`, [manager.id, bob.id]);
    const approval = await request(bob.email);
    const created = new Date(approval.created_at).getTime();
    await reached(admin.slackUser, approval.id);
    expect((await click(suite.slack.signedClick({ approvalId: approval.id, action: 'approve', user: admin.slackUser }))).status).toBe(200);
    await until(
      () => agentView(approval.id),
      (view) => view.status === 'approved',
    );

    // Past the last step's time, with the sweep running every second.
    await sleepUntil(created + (AFTER[3] + 2) * 1000);
    expect(postsTo(cfo.slackUser, approval.id)).toEqual([]);
    expect(postsTo(manager.slackUser, approval.id)).toEqual([]);
    expect((await escalations(approval.id)).map((step) => step.step)).toEqual([1]);
    const [row] = await sql<{ escalation_step: number; escalated_to: string[] }>(
      `SELECT escalation_step, escalated_to FROM approvals WHERE id = $1`,
      [approval.id],
    );
    expect(row).toEqual({ escalation_step: 1, escalated_to: ['role:admin'] });
    expect((await agentView(approval.id)).escalation).toEqual({ step: 1, steps: 4, next_step_at: null });
  });

  it('a step that resolves to nobody (the manager is disabled) is audited so, and brings the next step forward', async () => {
    const carol = await person();
    const gone = await person();
    await sql(`UPDATE people SET manager_id = $1 WHERE id = $2`, [gone.id, carol.id]);
    await sql(`UPDATE people SET status = 'disabled' WHERE id = $1`, [gone.id]);
    const approval = await request(carol.email);
    const created = new Date(approval.created_at).getTime();

    const deadline = Date.now() + 15_000;
    while ((await escalations(approval.id)).length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const steps = await escalations(approval.id);
    expect(steps[2]).toMatchObject({ step: 3, manager: null, added: [], people: [], resolved_to_nobody: true, early: false });
    // The group step did not wait for its own time: the manager step reached nobody new.
    expect(steps[3]).toMatchObject({ step: 4, early: true });
    expect(steps[3].at - created).toBeLessThan(AFTER[3] * 1000);
    expect(postsTo(gone.slackUser, approval.id)).toEqual([]);
    expect((await call(`${suite.api.url}/v1/approvals/${approval.id}/cancel`, { token: suite.agentToken, body: {} })).status).toBe(200);
  });

  it('escalateNow takes the next step at once (for an approver who was disabled); the scheduled job of that step is then a no-op', async () => {
    const dave = await person();
    const approval = await request(dave.email);
    const created = new Date(approval.created_at).getTime();
    const lifecycle = suite.api.app.get(ApprovalLifecycleService);

    const taken = await lifecycle.escalateNow(approval.id);
    expect(taken).toMatchObject({ step: 1, added: ['role:admin'] });
    const toAdmin = await reached(admin.slackUser, approval.id);
    expect(toAdmin.at - created).toBeLessThan(AFTER[0] * 1000);
    expect((await agentView(approval.id)).escalation).toEqual({
      step: 1,
      steps: 4,
      next_step_at: new Date(created + AFTER[1] * 1000).toISOString(),
    });

    // Step 1's own job fires at 2 s and finds it taken; step 2 still waits for its time.
    await reached(cfo.slackUser, approval.id);
    const steps = await escalations(approval.id);
    expect(steps.slice(0, 2)).toEqual([
      expect.objectContaining({ step: 1, early: true }),
      expect.objectContaining({ step: 2, early: false }),
    ]);
    expect(steps[1].at - created).toBeGreaterThanOrEqual(AFTER[1] * 1000 - 50);
    expect(postsTo(admin.slackUser, approval.id)).toHaveLength(1);

    // Cancelled: nothing is left to take.
    expect((await call(`${suite.api.url}/v1/approvals/${approval.id}/cancel`, { token: suite.agentToken, body: {} })).status).toBe(200);
    expect(await lifecycle.escalateNow(approval.id)).toBeNull();
    const after = (await escalations(approval.id)).length;
    await sleepUntil(created + (AFTER[3] + 2) * 1000);
    expect(await escalations(approval.id)).toHaveLength(after);
  });

  it('a requirement stored before the ladder (escalate_after + escalate_to only) is one step, found by the sweep when its job was lost', async () => {
    const erin = await person();
    const approval = await request(erin.email);
    // What an approval requested before this version looks like, with its delayed job gone with Redis.
    expect(await suite.api.app.get(QueueService).queue(QueueName.Lifecycle).remove(jobId.escalate(approval.id, 1))).toBe(1);
    await sql(`UPDATE approvals SET requirement = requirement - 'escalation' WHERE id = $1`, [approval.id]);
    expect((await agentView(approval.id)).escalation).toMatchObject({ step: 0, steps: 1 });

    await reached(admin.slackUser, approval.id);
    expect(await escalations(approval.id)).toEqual([expect.objectContaining({ step: 1, steps: 1, added: ['role:admin'] })]);
    expect((await agentView(approval.id)).escalation).toEqual({ step: 1, steps: 1, next_step_at: null });
    expect((await call(`${suite.api.url}/v1/approvals/${approval.id}/cancel`, { token: suite.agentToken, body: {} })).status).toBe(200);
  });

  it('a step is taken once, only after the step before it, and never on a final approval (races, out of order, no such step)', async () => {
    const frank = await person();
    const approval = await request(frank.email);
    const lifecycle = suite.api.app.get(ApprovalLifecycleService);
    const both = await Promise.all([lifecycle.escalate(approval.id, 1), lifecycle.escalate(approval.id, 1)]);
    expect(both.filter((taken) => taken !== null)).toEqual([expect.objectContaining({ step: 1 })]);
    expect(await lifecycle.escalate(approval.id, 3)).toBeNull();
    expect(await lifecycle.escalate(approval.id, 2)).toMatchObject({ step: 2, added: [`person:${cfo.email}`] });
    expect(await lifecycle.escalate(approval.id, 2)).toBeNull();
    expect((await call(`${suite.api.url}/v1/approvals/${approval.id}/cancel`, { token: suite.agentToken, body: {} })).status).toBe(200);
    expect(await lifecycle.escalate(approval.id, 3)).toBeNull();
    expect(await lifecycle.escalate('00000000-0000-4000-8000-000000000000', 1)).toBeNull();
    expect((await escalations(approval.id)).map((step) => step.step)).toEqual([1, 2]);
    const [row] = await sql<{ escalation_step: number }>(`SELECT escalation_step FROM approvals WHERE id = $1`, [approval.id]);
    expect(row.escalation_step).toBe(2);
  });
});
