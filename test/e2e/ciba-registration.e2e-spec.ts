import { type Agent, type CreatedAgent } from '@countersign/contract';
import { newPerson, type PersonBrowser, type RunningApi, signedInPerson, startApi } from '@countersign/testing';

/** The admin API registers an agent's CIBA settings; they decide whether and how the agent may use CIBA. */
describe('CIBA settings through the admin API', () => {
  let api: RunningApi;
  let admin: PersonBrowser;

  beforeAll(async () => {
    api = await startApi();
    admin = (await signedInPerson(api.app, api.url, { role: 'admin' })).browser;
  });
  afterAll(() => api.close());

  const create = (ciba: unknown) =>
    admin.request<CreatedAgent & { code?: string; field?: string }>('POST', '/v1/admin/agents', {
      name: `ciba-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      capabilities: ['payments.*'],
      ciba,
    });
  const backchannel = async (agent: CreatedAgent, email: string) => {
    const response = await fetch(`${api.url}/oauth/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: agent.clientId,
        client_secret: agent.client_secret,
        login_hint: email,
        authorization_details: JSON.stringify([
          { type: 'payments.refund', identifier: 'order:1', amount: 500, locations: ['https://p.example'] },
        ]),
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('creates, shows, changes and removes the settings; the agent may use CIBA only while it has them', async () => {
    const created = await create({ delivery_mode: 'poll', authorization_details_types: ['payments.refund'] });
    expect(created.status).toBe(201);
    expect(created.body.ciba).toEqual({
      delivery_mode: 'poll',
      notification_endpoint: null,
      authorization_details_types: ['payments.refund'],
    });
    const email = (await newPerson(api.app, { permissions: ['payments.*'] })).email;
    // client_secret_post this time.
    expect(await backchannel(created.body, email)).toMatchObject({ status: 200, body: { interval: 5 } });
    const discovery = await fetch(`${api.url}/.well-known/openid-configuration`).then((response) => response.json());
    expect((discovery as { authorization_details_types_supported: string[] }).authorization_details_types_supported).toContain(
      'payments.refund',
    );

    const changed = await admin.request<Agent>('PATCH', `/v1/admin/agents/${created.body.id}`, {
      ciba: { delivery_mode: 'poll', authorization_details_types: ['payments.transfer'] },
    });
    expect(changed.body.ciba?.authorization_details_types).toEqual(['payments.transfer']);
    expect(await backchannel(created.body, email)).toMatchObject({ status: 400, body: { error: 'invalid_authorization_details' } });

    const removed = await admin.request<Agent>('PATCH', `/v1/admin/agents/${created.body.id}`, { ciba: null });
    expect(removed.body.ciba).toBeNull();
    expect(await backchannel(created.body, email)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect((await admin.request<Agent>('GET', `/v1/admin/agents/${created.body.id}`)).body.ciba).toBeNull();
  });

  it('refuses bad settings, naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ delivery_mode: 'push', authorization_details_types: ['payments.refund'] }, 'ciba.delivery_mode'],
      [{ delivery_mode: 'ping', authorization_details_types: ['payments.refund'] }, 'ciba.notification_endpoint'],
      [
        { delivery_mode: 'ping', notification_endpoint: 'http://127.0.0.1/n', authorization_details_types: ['payments.refund'] },
        'ciba.notification_endpoint',
      ],
      [
        { delivery_mode: 'ping', notification_endpoint: 'ftp://example.com/n', authorization_details_types: ['payments.refund'] },
        'ciba.notification_endpoint',
      ],
      [
        { delivery_mode: 'poll', notification_endpoint: 'https://example.com/n', authorization_details_types: ['payments.refund'] },
        'ciba.notification_endpoint',
      ],
      [{ delivery_mode: 'poll', authorization_details_types: [] }, 'ciba.authorization_details_types'],
      [{ delivery_mode: 'poll', authorization_details_types: ['payments.*'] }, 'ciba.authorization_details_types'],
    ];
    for (const [ciba, field] of cases) {
      const refused = await create(ciba);
      expect({ status: refused.status, field: refused.body.field }).toEqual({ status: 400, field });
    }
  });
});
