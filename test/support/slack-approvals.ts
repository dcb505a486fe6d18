import { readFileSync } from 'node:fs';
import { type INestApplicationContext } from '@nestjs/common';
import { CLI } from '@countersign/audit';
import { TaxonomyService } from '@countersign/taxonomy';
import { createMigratedDatabase, withClient } from './database';
import { dmChannel, FakeSlack, type FakeSlackUser, type SlackCall } from './fakes/fake-slack';
import { agentAccessToken, call, newAgent, type RunningApi, startApi, startWorker, testConfig } from './harness';
import { type PersonBrowser, signedInPerson } from './people';

/** The default taxonomy with its medium tier replaced (`tier` is the tier's `{ ... }` body, on as many lines as it likes). */
export function defaultTaxonomyWithMediumTier(tier: string): string {
  const source = readFileSync('taxonomy/default.yaml', 'utf8');
  const replaced = source.replace(/ {2}medium: +\{[^}]*\}/, `  medium:    ${tier}`);
  if (replaced === source) throw new Error('the medium tier was not found in the default taxonomy');
  return replaced;
}

export type SlackApprover = Awaited<ReturnType<typeof signedInPerson>>['person'] & { browser: PersonBrowser; slackUser: FakeSlackUser };

/** A suite's own database, fake Slack and API (see `useSlackApprovalSuite`), with what its tests do over and over. */
export interface SlackApprovalSuite {
  readonly databaseUrl: string;
  readonly slack: FakeSlack;
  readonly api: RunningApi;
  /** An agent's access token; its requests are `chat.message.send` (medium in the default taxonomy). */
  readonly agentToken: string;
  /** Applies a taxonomy and waits until every instance reads it (they re-read the active version within 2 s). */
  applyTaxonomy(source: string, reason: string): Promise<void>;
  /** Starts the worker (one at a time); the suite's end closes it before the API. */
  startWorker(): Promise<INestApplicationContext>;
  stopWorker(): Promise<void>;
  sql<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** A person enrolled (signed in through `browser`) and known to the fake Slack by their email. */
  person(role?: 'approver' | 'admin'): Promise<SlackApprover>;
  /** The agent asks to send a chat message on `email`'s behalf; the created approval as the agent sees it. */
  request<View>(email: string): Promise<View>;
  /** The approval's Slack messages to `user` (requests and reminders). */
  postsTo(user: FakeSlackUser, approvalId: string): SlackCall[];
  /** Waits for the approval's first message to `user`. */
  reached(user: FakeSlackUser, approvalId: string): Promise<SlackCall>;
  /** Posts a signed Slack click (`slack.signedClick(...)`) to the API. */
  click(signed: { body: string; headers: Record<string, string> }): ReturnType<typeof call>;
}

/**
 * Registers the hooks of a suite about Slack deliveries over time (reminders, escalation): `beforeAll` creates a
 * database named after `label`, starts the fake Slack and an API that sweeps and redelivers every second, and
 * makes an agent; `afterAll` closes the worker (if started), the API, Slack and drops the database. Call it at the
 * top of the `describe`; the suite's own `beforeAll` (taxonomy, people, worker) runs after it.
 */
export function useSlackApprovalSuite(label: string): SlackApprovalSuite {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>> | undefined;
  let slack: FakeSlack | undefined;
  let api: RunningApi | undefined;
  let agentToken: string | undefined;
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    [database, slack] = await Promise.all([createMigratedDatabase(label), new FakeSlack().start()]);
    api = await startApi(
      testConfig({ DATABASE_URL: database.url, ...slack.config(), EXPIRY_SWEEP_SECONDS: '1', NOTIFICATION_REDELIVERY_AFTER_SECONDS: '1' }),
    );
    const agent = await newAgent(api.app);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await slack?.close();
    await database?.drop();
  });

  const running = () => {
    if (!database || !slack || !api || !agentToken) throw new Error('the suite is not running (use it in a hook or test)');
    return { database, slack, api, agentToken };
  };
  const suite: SlackApprovalSuite = {
    get databaseUrl() {
      return running().database.url;
    },
    get slack() {
      return running().slack;
    },
    get api() {
      return running().api;
    },
    get agentToken() {
      return running().agentToken;
    },
    applyTaxonomy: async (source, reason) => {
      await running().api.app.get(TaxonomyService).apply(CLI, source, reason);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
    },
    startWorker: async () => {
      if (worker) throw new Error('the worker is already running');
      worker = await startWorker(running().api.config);
      return worker;
    },
    stopWorker: async () => {
      const stopping = worker;
      worker = undefined;
      await stopping?.close();
    },
    sql: <T extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
      withClient(running().database.url, async (client) => (await client.query<T>(text, values)).rows),
    person: async (role = 'approver') => {
      const { api: live, slack: fake } = running();
      const { person: created, browser } = await signedInPerson(live.app, live.url, { role });
      return { ...created, browser, slackUser: fake.addUser(created.email) };
    },
    request: async <View>(email: string): Promise<View> => {
      const { api: live, agentToken: token } = running();
      const created = await call<View>(`${live.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.message.send', resource: 'channel:ops', args: { channel: '#ops', text: 'hello' } },
          on_behalf_of: email,
          audience: 'https://chat.internal',
        },
      });
      expect(created.status).toBe(201);
      return created.body;
    },
    postsTo: (user, approvalId) =>
      running()
        .slack.callsTo('chat.postMessage')
        .filter((c) => c.args.channel === dmChannel(user.id) && JSON.stringify(c.args.blocks).includes(approvalId)),
    reached: (user, approvalId) =>
      running().slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === dmChannel(user.id) && JSON.stringify(c.args.blocks).includes(approvalId),
      ),
    click: (signed) => call(`${running().api.url}/slack/events`, { method: 'POST', body: signed.body, headers: signed.headers }),
  };
  return suite;
}
