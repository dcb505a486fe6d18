import { type INestApplicationContext } from '@nestjs/common';
import {
  agentAccessToken,
  call,
  dmChannel,
  FakeSlack,
  type FakeSlackUser,
  newAgent,
  newResourceServer,
  type PersonBrowser,
  type RunningApi,
  signedInPerson,
  startApi,
  startWorker,
  testConfig,
  onlineVerifier,
} from '@countersign/testing';
import { type PersonRecord } from '@countersign/people';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

type ApproverView = {
  id: string;
  classification: Record<string, unknown>;
  requirement: Record<string, unknown>;
  on_behalf_of: { id: string };
  action: Record<string, unknown>;
  audience: string;
};

/** CIBA is another door to the same approval: the same request through both doors is the same approval. */
describe('the same request through CIBA and through POST /v1/approvals', () => {
  let api: RunningApi;
  let agent: Awaited<ReturnType<typeof newAgent>>;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let agentToken: string;
  let person: PersonRecord;
  let browser: PersonBrowser;
  let bystander: PersonBrowser;
  let slack: FakeSlack;
  let worker: INestApplicationContext;
  let slackUser: FakeSlackUser;

  beforeAll(async () => {
    slack = await new FakeSlack().start();
    api = await startApi(testConfig({ ...slack.config() }));
    worker = await startWorker(api.config);
    agent = await newAgent(api.app, {
      capabilities: ['payments.*'],
      ciba: { deliveryMode: 'poll', authorizationDetailsTypes: ['payments.refund'] },
    });
    server = await newResourceServer(api.app);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    ({ person, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] }));
    ({ browser: bystander } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] }));
    slackUser = slack.addUser(person.email);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
    await slack.close();
  });

  const form = (path: string, body: Record<string, string>) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
  const throughCiba = (amount: number) =>
    form('/oauth/bc-authorize', {
      login_hint: person.email,
      binding_message: `Refund ${amount}`,
      authorization_details: JSON.stringify([
        { type: 'payments.refund', identifier: 'order:77', locations: [server.audience], amount, currency: 'EUR' },
      ]),
    });
  const throughApi = (amount: number) =>
    call<{ id: string; status: string; approval_token?: string }>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type: 'payments.refund', resource: 'order:77', args: { amount, currency: 'EUR' } },
        on_behalf_of: person.email,
        audience: server.audience,
      },
    });
  const inbox = async (reader: PersonBrowser) =>
    (await reader.request<{ approvals: Array<{ id: string }> }>('GET', '/v1/me/approvals')).body.approvals.map((item) => item.id);
  const view = async (id: string) => (await browser.request<ApproverView>('GET', `/v1/me/approvals/${id}`)).body;
  const verifier = () => onlineVerifier(api, server);
  const realCall = (amount: number) => ({
    type: 'payments.refund',
    resource: 'order:77',
    args: { amount, currency: 'EUR' },
    agent: agent.clientId,
  });

  const dmAbout = (approvalId: string) =>
    slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === dmChannel(slackUser.id) && JSON.stringify(c.args.blocks).includes(approvalId),
    );

  it('a pending request: the same classification, requirement and action; the same person is notified, and only they', async () => {
    const ciba = await throughCiba(500);
    expect(ciba.status).toBe(200);
    const direct = await throughApi(500);
    expect(direct.body.status).toBe('pending');

    const pending = await inbox(browser);
    expect(pending).toContain(direct.body.id);
    expect(pending).toHaveLength(2);
    const cibaId = pending.find((id) => id !== direct.body.id)!;
    // Nobody else was asked through either door.
    expect(await inbox(bystander)).toEqual([]);

    const [fromCiba, fromApi] = await Promise.all([view(cibaId), view(direct.body.id)]);
    for (const key of ['classification', 'requirement', 'on_behalf_of', 'action', 'audience'] as const) {
      expect({ key, value: fromCiba[key] }).toEqual({ key, value: fromApi[key] });
    }
    expect(fromCiba.classification).toMatchObject({ tier: 'high' });
    // Both reach the person by the same channel, as the same message; the CIBA one also shows its binding message.
    const [cibaMessage, apiMessage] = await Promise.all([dmAbout(cibaId), dmAbout(direct.body.id)]);
    const blockIds = (message: typeof cibaMessage, id: string) =>
      (message.args.blocks as Array<{ block_id?: string }>).map((block) => block.block_id?.replace(id, '<id>'));
    expect(blockIds(cibaMessage, cibaId).filter((blockId) => blockId !== 'binding_message')).toEqual(blockIds(apiMessage, direct.body.id));
    expect(JSON.stringify(cibaMessage.args.blocks)).toContain('Refund 500');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
  });

  it('an automatic approval: both tokens pass the same verifier for the same call, and neither for another', async () => {
    const ciba = await throughCiba(20);
    const redeemed = await form('/oauth/token', { grant_type: CIBA_GRANT, auth_req_id: ciba.body.auth_req_id as string });
    expect(redeemed.status).toBe(200);
    const direct = await throughApi(20);
    expect(direct.body.status).toBe('approved');

    const tokens = [redeemed.body.access_token as string, direct.body.approval_token!];
    for (const token of tokens) {
      await expect(verifier().verify(token, realCall(21))).rejects.toMatchObject({ code: 'action_mismatch' });
      const verified = await verifier().verify(token, realCall(20));
      expect({ subject: verified.subject, actor: verified.actor, risk: verified.risk }).toEqual({
        subject: person.id,
        actor: agent.clientId,
        risk: { tier: 'low', reversibility: expect.any(String) as string, blast_radius: expect.any(String) as string },
      });
    }
  });
});
