import { agentAccessToken, call, newAgent, newPerson, type RunningApi, startApi, testConfig, withClient } from '@countersign/testing';
import { type Client } from 'pg';
import { createDataSource } from '@countersign/database';

/**
 * The per-agent count of pending approvals that intake's `max_pending` check reads (migration 1764500000000), and the
 * per-person one its `PERSON_MAX_PENDING` check reads (1764640000000): kept by triggers, each must equal a real count
 * after every kind of change, whichever code path makes it.
 */
describe('the pending count per agent', () => {
  let api: RunningApi;
  let url: string;
  let agents: Array<{ id: string; token: string }>;
  let email: string;

  beforeAll(async () => {
    api = await startApi(testConfig({ PUBLIC_URL: 'http://countersign.test' }));
    url = api.config.databaseUrl;
    email = (await newPerson(api.app, { permissions: ['*'] })).email;
    agents = [];
    for (let i = 0; i < 2; i++) {
      const agent = await newAgent(api.app, { maxPending: 1000 });
      agents.push({ id: agent.id, token: await agentAccessToken(api.url, agent.clientId, agent.clientSecret) });
    }
  });
  afterAll(() => api.close());

  // payments.refund of 500 is high (pending); of 1 it is auto-approved (never pending).
  const request = (token: string, amount: number) =>
    call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'payments.refund', resource: `order:${amount}`, args: { amount } },
        on_behalf_of: email,
        audience: 'https://payments.internal',
      },
    });

  /** The counter beside a real count, per agent of this suite. */
  const counts = (client: Client) =>
    client
      .query<{ agent_id: string; kept: number; real: number }>(
        `SELECT a.id AS agent_id, COALESCE((SELECT pending FROM agent_pending WHERE agent_id = a.id), 0) AS kept,
                (SELECT count(*)::int FROM approvals WHERE agent_id = a.id AND status = 'pending') AS real
           FROM agents a WHERE a.id = ANY($1::uuid[]) ORDER BY a.id`,
        [agents.map((agent) => agent.id)],
      )
      .then((result) => result.rows);

  /** The person's counter (everything here is on their behalf) beside a real count. */
  const personCount = (client: Client) =>
    client
      .query<{ kept: number; real: number }>(
        `SELECT COALESCE((SELECT c.pending FROM person_pending c JOIN people p ON p.id = c.person_id WHERE p.email = $1), 0) AS kept,
                (SELECT count(*)::int FROM approvals a JOIN people p ON p.id = a.on_behalf_of_id WHERE p.email = $1 AND a.status = 'pending') AS real`,
        [email],
      )
      .then((result) => result.rows[0]);

  it('counts intake (batched across agents), cancel, expiry, any status update and delete', async () => {
    const created = await Promise.all([
      ...[1, 2, 3].map((n) => request(agents[0].token, 500 + n)),
      ...[1, 2].map((n) => request(agents[1].token, 600 + n)),
      request(agents[0].token, 1),
    ]);
    expect(created.map((response) => response.body.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'approved']);
    await withClient(url, async (client) => {
      expect((await counts(client)).map((row) => row.kept).sort()).toEqual([2, 3]);
      for (const row of await counts(client)) expect(row.kept).toBe(row.real);
      expect(await personCount(client)).toEqual({ kept: 5, real: 5 });
    });

    // The agent cancels one through the API.
    expect((await call(`${api.url}/v1/approvals/${created[0].body.id}/cancel`, { token: agents[0].token, body: {} })).status).toBe(200);
    await withClient(url, async (client) => {
      // Updates that leave the status alone change nothing; an expiry by hand and a delete are counted too.
      await client.query(`UPDATE approvals SET reminded_at = now() WHERE agent_id = $1`, [agents[0].id]);
      await client.query(`UPDATE approvals SET status = 'expired' WHERE id = $1`, [created[3].body.id]);
      await client.query(`DELETE FROM deliveries WHERE approval_id = $1`, [created[1].body.id]);
      await client.query(`DELETE FROM approvals WHERE id = $1`, [created[1].body.id]);
      const rows = await counts(client);
      for (const row of rows) expect(row.kept).toBe(row.real);
      expect(rows.find((row) => row.agent_id === agents[0].id)?.kept).toBe(1);
      expect(rows.find((row) => row.agent_id === agents[1].id)?.kept).toBe(1);
      expect(await personCount(client)).toEqual({ kept: 2, real: 2 });
    });
  });

  it('is filled from the approvals already there when the migration runs', async () => {
    const dataSource = createDataSource(url, 1);
    await dataSource.initialize();
    try {
      // Back to before the counter's migration (reverting the later ones with it), then forward again.
      for (;;) {
        const [last] = await dataSource.query<Array<{ name: string }>>(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
        await dataSource.undoLastMigration({ transaction: 'each' });
        if (last.name === 'AgentPendingCount1764500000000') break;
      }
      await withClient(url, async (client) =>
        expect((await client.query(`SELECT to_regclass('agent_pending') AS t, to_regclass('person_pending') AS p`)).rows[0]).toEqual({
          t: null,
          p: null,
        }),
      );
      await withClient(url, (client) =>
        client.query(`UPDATE approvals SET status = 'pending' WHERE agent_id = $1 AND status <> 'approved'`, [agents[1].id]),
      );
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    await withClient(url, async (client) => {
      const rows = await counts(client);
      for (const row of rows) expect(row.kept).toBe(row.real);
      expect(rows.find((row) => row.agent_id === agents[1].id)?.kept).toBe(2);
      const person = await personCount(client);
      expect(person.kept).toBe(person.real);
    });
  });
});
