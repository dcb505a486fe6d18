import { AgentControlService } from '@countersign/approvals';
import { CLI } from '@countersign/audit';
import { PeopleService } from '@countersign/people';
import { agentAccessToken, call, newAgent, newPerson, type RunningApi, startApi, testConfig, withClient } from '@countersign/testing';

jest.setTimeout(180_000);

/** Approvals per round: the kill switch and the disable both lock all of them, the one by agent, the other by person. */
const APPROVALS = 12;
const ROUNDS = 25;

/**
 * The kill switch (suspend an agent, cancel its pending approvals) and disabling a person (cancel the approvals on
 * their behalf) lock the same approvals when the agent asked on the person's behalf. Each must lock them in one
 * order (by id): the kill switch used to lock them in the order its UPDATE met them, and the two deadlocked.
 */
describe('the kill switch and disabling a person, at the same time', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig({ PERSON_MAX_PENDING: '1000', PERSON_REQUESTS_PER_MINUTE: '10000' }));
  });
  afterAll(async () => {
    await api?.close();
  });

  const round = async (index: number) => {
    const person = await newPerson(api.app, { email: `both-${index}-${Date.now()}@example.com` });
    const agent = await newAgent(api.app, { requestsPerMinute: 10_000, maxPending: 1_000 });
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const ids: string[] = [];
    for (let n = 0; n < APPROVALS; n++) {
      const created = await call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: `hello ${n}` } },
          on_behalf_of: person.email,
          audience: 'https://chat.internal',
        },
      });
      expect(created.body.status).toBe('pending');
      ids.push(created.body.id);
    }

    const [suspended, disabled] = await Promise.allSettled([
      api.app.get(AgentControlService).suspend(CLI, agent.id, 'compromised'),
      api.app.get(PeopleService).update(CLI, person.id, { status: 'disabled' }),
    ]);
    return { person, agent, ids, suspended, disabled };
  };

  it(`both always succeed, and every approval ends cancelled once (${ROUNDS} rounds)`, async () => {
    const failures: string[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const { person, agent, ids, suspended, disabled } = await round(index);
      for (const outcome of [suspended, disabled])
        if (outcome.status === 'rejected') failures.push(`round ${index}: ${String((outcome.reason as Error).message)}`);
      if (suspended.status === 'rejected' || disabled.status === 'rejected') continue;

      // Each approval was cancelled by exactly one of them.
      const byKillSwitch = suspended.value.cancelledApprovals;
      expect(byKillSwitch.every((id) => ids.includes(id))).toBe(true);
      await withClient(api.config.databaseUrl, async (client) => {
        const approvals = await client.query<{ status: string; status_reason: string }>(
          `SELECT status, status_reason FROM approvals WHERE id = ANY($1::uuid[])`,
          [ids],
        );
        expect(approvals.rows).toHaveLength(APPROVALS);
        expect(approvals.rows.every((row) => row.status === 'cancelled')).toBe(true);
        const cancelledByDisable = approvals.rows.filter((row) => row.status_reason.includes(`${person.email} was disabled`)).length;
        expect(cancelledByDisable + byKillSwitch.length).toBe(APPROVALS);
        const [agentRow] = (await client.query<{ status: string }>(`SELECT status FROM agents WHERE id = $1`, [agent.id])).rows;
        const [personRow] = (await client.query<{ status: string }>(`SELECT status FROM people WHERE id = $1`, [person.id])).rows;
        expect({ agent: agentRow.status, person: personRow.status }).toEqual({ agent: 'suspended', person: 'disabled' });
      });
    }
    expect(failures).toEqual([]);
  });
});
