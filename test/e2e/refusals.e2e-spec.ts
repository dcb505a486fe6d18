import { readFileSync } from 'node:fs';
import {
  agentAccessToken,
  call,
  newAgent,
  newPerson,
  newResourceServer,
  type RunningApi,
  signedInPerson,
  startApi,
  withClient,
} from '@countersign/testing';
import { AuditService } from '@countersign/audit';
import { type PersonRecord } from '@countersign/people';

type Problem = { code: string; field?: string; detail: string; status: number; correlation_id: string; approval_id?: string };

describe('refusals: bad input, wrong credentials, policy', () => {
  let api: RunningApi;
  let person: PersonRecord;
  let token: string;
  let agent: Awaited<ReturnType<typeof newAgent>>;

  beforeAll(async () => {
    api = await startApi();
    person = await newPerson(api.app, { permissions: ['payments.*', 'email.*', 'chat.*'] });
    agent = await newAgent(api.app, { capabilities: ['payments.*', 'email.*', 'deploy.*'] });
    token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
  });
  afterAll(() => api.close());

  const valid = () => ({ action: { type: 'payments.refund', resource: 'order:7', args: { amount: 10 } }, on_behalf_of: person.email });
  const post = (body: unknown, headers: Record<string, string> = {}) => call<Problem>(`${api.url}/v1/approvals`, { token, body, headers });

  async function auditTypesFor(subjectId: string): Promise<string[]> {
    await api.app.get(AuditService).flush();
    return withClient(api.config.databaseUrl, async (client) =>
      (await client.query<{ type: string }>('SELECT type FROM audit_events WHERE subject_id = $1 ORDER BY seq', [subjectId])).rows.map(
        (row) => row.type,
      ),
    );
  }

  describe('I-JSON', () => {
    it.each([
      [
        'a duplicate key',
        '{"action":{"type":"payments.refund","resource":"r","args":{"amount":1,"amount":2}},"on_behalf_of":"x"}',
        '/action/args/amount',
        'duplicate_key',
      ],
      [
        'an integer beyond 2^53',
        '{"action":{"type":"payments.refund","resource":"r","args":{"amount":9007199254740993}},"on_behalf_of":"x"}',
        '/action/args/amount',
        'integer_out_of_range',
      ],
      [
        'a lone surrogate',
        '{"action":{"type":"payments.refund","resource":"r","args":{"note":"\\ud800"}},"on_behalf_of":"x"}',
        '/action/args/note',
        'lone_surrogate',
      ],
      [
        'nesting deeper than 32',
        '{"action":{"type":"t","resource":"r","args":' + '{"a":'.repeat(40) + '1' + '}'.repeat(40) + '},"on_behalf_of":"x"}',
        undefined,
        'too_deep',
      ],
      ['a syntax error', '{"action":', undefined, 'syntax'],
    ])('refuses %s with 400 naming the field', async (_label, raw, field, reason) => {
      const response = await call<Problem & { reason: string }>(`${api.url}/v1/approvals`, { token, body: raw });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe('invalid_json');
      expect(response.body.reason).toBe(reason);
      if (field) expect(response.body.field).toBe(field);
      expect(response.body.correlation_id).toBe(response.headers.get('x-request-id'));
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const response = await post({ ...valid(), action: { ...valid().action, args: { blob: 'x'.repeat(70 * 1024) } } });
      expect(response.status).toBe(413);
      expect(response.body.code).toBe('body_too_large');
    });
  });

  describe('NUL and control characters', () => {
    const storedFor = async (agentId: string) =>
      withClient(
        api.config.databaseUrl,
        async (client) =>
          (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM approvals WHERE agent_id = $1', [agentId])).rows[0].n,
      );
    const admin = () => ({ authorization: `Bearer ${api.config.adminToken!}` });

    it.each([
      ['reason', () => ({ ...valid(), reason: 'because\u0000' }), '/reason'],
      ['resource', () => ({ ...valid(), action: { ...valid().action, resource: 'order:\u00007' } }), '/action/resource'],
      ['on_behalf_of', () => ({ ...valid(), on_behalf_of: `${person.email}\u0000` }), '/on_behalf_of'],
      ['an args value', () => ({ ...valid(), action: { ...valid().action, args: { amount: 10, note: 'a\u0000b' } } }), '/action/args/note'],
      [
        'a nested args value',
        () => ({ ...valid(), action: { ...valid().action, args: { amount: 10, lines: [{ memo: 'ok' }, { memo: '\u0000' }] } } }),
        '/action/args/lines/1/memo',
      ],
      [
        'an args key',
        () => ({ ...valid(), action: { ...valid().action, args: { amount: 10, 'no\u0000te': 'x' } } }),
        '/action/args/no\u0000te',
      ],
      ['a provenance label', () => ({ ...valid(), context: { provenance: ['user\u0000'] } }), '/context/provenance/0'],
      ['the audience', () => ({ ...valid(), audience: 'https://payments.internal/\u0000' }), '/audience'],
    ])('refuses U+0000 in %s with 400 invalid_json naming the field, and stores nothing', async (_label, body, field) => {
      const before = await storedFor(agent.id);
      const response = await post(body());
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body).toMatchObject({ code: 'invalid_json', reason: 'nul_character', field });
      expect(await storedFor(agent.id)).toBe(before);
    });

    it('refuses a "__proto__" key in args (it used to vanish before the digest) with 400 invalid_json, and stores nothing', async () => {
      const before = await storedFor(agent.id);
      const raw = `{"action":{"type":"payments.refund","resource":"order:7","args":{"amount":10,"__proto__":{"amount":99999}}},"on_behalf_of":${JSON.stringify(person.email)}}`;
      const response = await call<Problem & { reason: string }>(`${api.url}/v1/approvals`, { token, body: raw });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'invalid_json', reason: 'reserved_key', field: '/action/args/__proto__' });
      expect(await storedFor(agent.id)).toBe(before);
    });

    it.each([
      [
        'a line break in resource',
        () => ({ ...valid(), action: { ...valid().action, resource: 'order:7\nresource: order:8' } }),
        '/action/resource',
      ],
      [
        'a control character in resource',
        () => ({ ...valid(), action: { ...valid().action, resource: 'order:\u001b[2J7' } }),
        '/action/resource',
      ],
      ['a tab in on_behalf_of', () => ({ ...valid(), on_behalf_of: `\t${person.email}` }), '/on_behalf_of'],
      ['DEL in the audience', () => ({ ...valid(), audience: 'https://payments.internal/\u007f' }), '/audience'],
    ])('refuses %s (single-line identifiers) with 400 invalid_request naming the field', async (_label, body, field) => {
      const before = await storedFor(agent.id);
      const response = await post(body());
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'invalid_request', field });
      expect(response.body.detail).toMatch(/control characters/);
      expect(await storedFor(agent.id)).toBe(before);
    });

    it('keeps other control characters in args and reason as data, exactly as sent', async () => {
      const args = { amount: 10, note: 'line one\nline two\ttabbed\r\n\u0001\u001f\u007f' };
      const created = await call<{ id: string; action: { args: typeof args }; reason: string }>(`${api.url}/v1/approvals`, {
        token,
        body: { ...valid(), action: { ...valid().action, args }, reason: 'two\nlines' },
      });
      expect(created.status).toBe(201);
      const stored = await withClient(
        api.config.databaseUrl,
        async (client) =>
          (await client.query<{ args: typeof args; reason: string }>('SELECT args, reason FROM approvals WHERE id = $1', [created.body.id]))
            .rows[0],
      );
      expect(stored).toEqual({ args, reason: 'two\nlines' });
    });

    it("refuses U+0000 in a decision reason of the people's API, and records no decision", async () => {
      const { person: decider, browser } = await signedInPerson(api.app, api.url, { permissions: ['payments.*'] });
      const pending = await call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
        token,
        body: { ...valid(), on_behalf_of: decider.email, action: { ...valid().action, args: { amount: 600 } } },
      });
      expect(pending.body.status).toBe('pending');
      const decided = await browser.request<Problem>('POST', `/v1/me/approvals/${pending.body.id}/decision`, {
        verdict: 'deny',
        reason: 'no\u0000',
      });
      expect(decided.body).toMatchObject({ status: 400, code: 'invalid_json', field: '/reason' });
      expect((await call<{ status: string }>(`${api.url}/v1/approvals/${pending.body.id}`, { token })).body.status).toBe('pending');
      const inbox = await browser.request<Problem>('GET', '/v1/me/approvals?cursor=x%00');
      expect(inbox.body).toMatchObject({ status: 400, code: 'invalid_request', field: 'cursor' });
    });

    it.each([
      ["a person's email", 'POST', '/v1/admin/people', { email: 'nul\u0000@example.com', role: 'approver' }, '/email'],
      ["an agent's name", 'POST', '/v1/admin/agents', { name: 'bot\u0000', capabilities: [] }, '/name'],
      ["an agent's capability", 'PATCH', '/v1/admin/agents/:agent', { capabilities: ['payments.*\u0000'] }, '/capabilities/0'],
    ])('refuses U+0000 in %s in the admin API with 400 invalid_json', async (_label, method, path, body, field) => {
      const response = await call<Problem>(`${api.url}${path.replace(':agent', agent.id)}`, { method, headers: admin(), body });
      expect(response.body).toMatchObject({ status: 400, code: 'invalid_json', field });
    });

    it('refuses a taxonomy file holding U+0000 with 400 invalid_taxonomy', async () => {
      const source = readFileSync('taxonomy/default.yaml', 'utf8');
      const taxonomy = await call<Problem>(`${api.url}/v1/admin/taxonomy/versions`, {
        headers: { ...admin(), 'content-type': 'application/yaml' },
        body: `${source}\n# a comment with \u0000\n`,
      });
      expect(taxonomy.body).toMatchObject({ status: 400, code: 'invalid_taxonomy' });
    });

    it('refuses %00 in a query parameter (naming it) or a path with 400 invalid_request', async () => {
      const query = await call<Problem>(`${api.url}/v1/admin/audit?type=approval.requested&actor_id=%00`, { headers: admin() });
      expect(query.body).toMatchObject({ status: 400, code: 'invalid_request', field: 'actor_id' });
      const path = await call<Problem>(`${api.url}/v1/admin/people/a%00b`, {
        method: 'PATCH',
        headers: admin(),
        body: { status: 'disabled' },
      });
      expect(path.body).toMatchObject({ status: 400, code: 'invalid_request' });
    });

    it("refuses U+0000 in the token endpoint's form (400 invalid_request) and in Basic credentials (401)", async () => {
      const form = await fetch(`${api.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${agent.clientId}%00&client_secret=x`,
      });
      expect(form.status).toBe(400);
      expect(((await form.json()) as { error: string }).error).toBe('invalid_request');
      const basic = (id: string, secret: string) =>
        `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      const viaBasic = await fetch(`${api.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(`${agent.clientId}\u0000`, 'x') },
        body: 'grant_type=client_credentials',
      });
      expect(viaBasic.status).toBe(401);
      expect(((await viaBasic.json()) as { error: string }).error).toBe('invalid_client');
      const server = await newResourceServer(api.app);
      const consume = await call<Problem>(`${api.url}/v1/approval-tokens/consume`, {
        headers: { authorization: basic(`${server.clientId}\u0000`, server.clientSecret) },
        body: { token: 'x' },
      });
      expect(consume.status).toBe(401);
    });
  });

  it.each([
    ['a missing action', { on_behalf_of: 'x' }, '/action'],
    ['a non-object args', { action: { type: 'payments.refund', resource: 'r', args: [1] }, on_behalf_of: 'x' }, '/action/args'],
    ['a malformed action type', { action: { type: 'pay ments', resource: 'r', args: {} }, on_behalf_of: 'x' }, '/action/type'],
    [
      'a fractional expires_in',
      { action: { type: 'payments.refund', resource: 'r', args: {} }, on_behalf_of: 'x', expires_in: 1.5 },
      '/expires_in',
    ],
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.field).toBe(field);
  });

  it('audits a refused body and a refused Idempotency-Key: the log says what was refused and why', async () => {
    const latestRefusal = async (): Promise<{ code: string; reason: string }> => {
      await api.app.get(AuditService).flush();
      return withClient(
        api.config.databaseUrl,
        async (client) =>
          (
            await client.query<{ data: { code: string; reason: string } }>(
              `SELECT data FROM audit_events WHERE type = 'approval.refused' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`,
              [agent.clientId],
            )
          ).rows[0].data,
      );
    };
    expect((await post({ on_behalf_of: person.email })).status).toBe(400);
    expect(await latestRefusal()).toEqual({ code: 'invalid_request', reason: '/action: is required' });
    const badKey = await post(valid(), { 'idempotency-key': 'two words' });
    expect(badKey.body).toMatchObject({ status: 400, code: 'invalid_request', field: 'Idempotency-Key' });
    expect(await latestRefusal()).toEqual({ code: 'invalid_request', reason: 'Idempotency-Key must be 1-255 visible ASCII characters' });
  });

  it('refuses an unknown or disabled on_behalf_of with unknown_person, and stores nothing', async () => {
    const before = await withClient(
      api.config.databaseUrl,
      async (client) =>
        (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM approvals WHERE agent_id = $1', [agent.id])).rows[0].n,
    );
    const unknown = await post({ ...valid(), on_behalf_of: 'nobody@example.com' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('unknown_person');
    const disabled = await newPerson(api.app, { permissions: ['*'] });
    await withClient(api.config.databaseUrl, (client) =>
      client.query(`UPDATE people SET status = 'disabled' WHERE id = $1`, [disabled.id]),
    );
    const refused = await post({ ...valid(), on_behalf_of: disabled.id });
    expect(refused.body.code).toBe('unknown_person');
    const after = await withClient(
      api.config.databaseUrl,
      async (client) =>
        (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM approvals WHERE agent_id = $1', [agent.id])).rows[0].n,
    );
    expect(after).toBe(before);
    await api.app.get(AuditService).flush();
    const audited = await withClient(
      api.config.databaseUrl,
      async (client) =>
        (
          await client.query<{ data: { code: string } }>(
            `SELECT data FROM audit_events WHERE type = 'approval.refused' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`,
            [agent.clientId],
          )
        ).rows[0].data,
    );
    expect(audited.code).toBe('unknown_person');
  });

  it('refuses the confused deputy: the person lacks the permission (403, stored as denied with the reason)', async () => {
    const response = await post({
      action: { type: 'deploy.production', resource: 'svc:api', args: {} },
      on_behalf_of: person.email,
      audience: 'https://deploy.internal',
    });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('permission_missing');
    const approvalId = response.body.approval_id!;
    const stored = await withClient(
      api.config.databaseUrl,
      async (client) =>
        (
          await client.query<{ status: string; status_reason: string }>('SELECT status, status_reason FROM approvals WHERE id = $1', [
            approvalId,
          ])
        ).rows[0],
    );
    expect(stored.status).toBe('denied');
    expect(stored.status_reason).toContain('lacks the permission');
    expect(await auditTypesFor(approvalId)).toEqual(['approval.requested', 'approval.classified', 'approval.refused']);
    const read = await call<{ status: string }>(`${api.url}/v1/approvals/${approvalId}`, { token });
    expect(read.body.status).toBe('denied');
  });

  it('refuses when the agent lacks the capability even if the person holds the permission', async () => {
    const response = await post({
      action: { type: 'chat.message.send', resource: 'channel:general', args: {} },
      on_behalf_of: person.email,
      audience: 'https://chat.internal',
    });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('capability_missing');
  });

  it('refuses a forbidden tier by policy, and ignores risk labels the agent supplies', async () => {
    const response = await post({
      ...valid(),
      action: { type: 'payments.transfer', resource: 'acct:1', args: { amount: 250000, tier: 'low' } },
      tier: 'low',
      risk: { tier: 'low' },
    });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('forbidden_by_policy');
  });

  it('treats an unknown action type as critical, never as safe', async () => {
    const response = await call<{ status: string; classification: { tier: string; rule: string } }>(`${api.url}/v1/approvals`, {
      token,
      body: { action: { type: 'payments.teleport', resource: 'r', args: {} }, on_behalf_of: person.email },
    });
    // payments.* matches; a type outside every pattern is unknown_action.
    expect(['critical', 'high']).toContain(response.body.classification.tier);
    const unknownAgent = await newAgent(api.app, { capabilities: ['*'] });
    const unknownToken = await agentAccessToken(api.url, unknownAgent.clientId, unknownAgent.clientSecret);
    const unknown = await call<{ status: string; classification: { tier: string; rule: string } }>(`${api.url}/v1/approvals`, {
      token: unknownToken,
      body: { action: { type: 'teleport.person', resource: 'r', args: {} }, on_behalf_of: person.email, audience: 'https://x.example' },
    });
    expect(unknown.status).toBe(403); // person lacks teleport.* permission
    const admin = await newPerson(api.app, { permissions: ['*'] });
    const allowed = await call<{ status: string; classification: { tier: string; rule: string } }>(`${api.url}/v1/approvals`, {
      token: unknownToken,
      body: { action: { type: 'teleport.person', resource: 'r', args: {} }, on_behalf_of: admin.email, audience: 'https://x.example' },
    });
    expect(allowed.status).toBe(201);
    expect(allowed.body.classification).toMatchObject({ tier: 'critical', rule: 'unknown_action' });
    expect(allowed.body.status).toBe('pending');
  });

  it('raises untrusted provenance one tier', async () => {
    const trusted = await call<{ classification: { tier: string; reasons: string[] } }>(`${api.url}/v1/approvals`, {
      token,
      body: { ...valid(), context: { provenance: ['user'] } },
    });
    const untrusted = await call<{ classification: { tier: string; reasons: string[] } }>(`${api.url}/v1/approvals`, {
      token,
      body: { ...valid(), context: { provenance: ['user', 'web_page'] } },
    });
    expect(trusted.body.classification.tier).toBe('low');
    expect(untrusted.body.classification.tier).toBe('medium');
    expect(untrusted.body.classification.reasons.join(' ')).toMatch(/provenance/);
  });

  it('refuses callback URLs that are not http(s) or point at private addresses', async () => {
    for (const url of [
      'ftp://example.com/cb',
      'http://127.0.0.1:9/cb',
      'http://10.1.2.3/cb',
      'http://[::1]/cb',
      'http://localhost/cb',
      'not a url',
      // The same hosts spelled otherwise: a trailing dot, upper case, an IPv4-mapped IPv6 address, link-local (cloud metadata).
      'http://localhost./cb',
      'http://LOCALHOST./cb',
      'http://agent.localhost./cb',
      'http://[::ffff:127.0.0.1]/cb',
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const response = await post({ ...valid(), callback_url: url });
      expect([url, response.status]).toEqual([url, 400]);
      expect(response.body).toMatchObject({ code: 'invalid_callback_url', field: '/callback_url' });
    }
  });

  it('shows an agent only its own approvals', async () => {
    const mine = await call<{ id: string }>(`${api.url}/v1/approvals`, { token, body: valid() });
    const other = await newAgent(api.app);
    const otherToken = await agentAccessToken(api.url, other.clientId, other.clientSecret);
    expect((await call(`${api.url}/v1/approvals/${mine.body.id}`, { token: otherToken })).status).toBe(404);
    expect((await call(`${api.url}/v1/approvals/${mine.body.id}/cancel`, { token: otherToken, method: 'POST' })).status).toBe(404);
    expect((await call(`${api.url}/v1/approvals/not-a-uuid`, { token })).status).toBe(404);
  });

  it('cancels a pending approval once; a final one answers 409', async () => {
    const pending = await call<{ id: string; status: string }>(`${api.url}/v1/approvals`, {
      token,
      body: { ...valid(), action: { ...valid().action, args: { amount: 600 } } },
    });
    expect(pending.body.status).toBe('pending');
    const cancelled = await call<{ status: string }>(`${api.url}/v1/approvals/${pending.body.id}/cancel`, { token, method: 'POST' });
    expect(cancelled.body.status).toBe('cancelled');
    const again = await call<Problem>(`${api.url}/v1/approvals/${pending.body.id}/cancel`, { token, method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_final');
  });

  describe('authentication', () => {
    it('refuses missing, malformed and foreign bearer tokens', async () => {
      expect((await call(`${api.url}/v1/approvals`, { body: valid() })).status).toBe(401);
      const garbage = await call<Problem>(`${api.url}/v1/approvals`, { token: 'abc.def.ghi', body: valid() });
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toContain('Bearer');
    });

    it('cuts off a suspended agent at once, at the token endpoint and with a token already issued', async () => {
      const doomed = await newAgent(api.app);
      const doomedToken = await agentAccessToken(api.url, doomed.clientId, doomed.clientSecret);
      await withClient(api.config.databaseUrl, (client) =>
        client.query(`UPDATE agents SET status = 'suspended' WHERE id = $1`, [doomed.id]),
      );
      expect((await call(`${api.url}/v1/approvals`, { token: doomedToken, body: valid() })).status).toBe(401);
      await expect(agentAccessToken(api.url, doomed.clientId, doomed.clientSecret)).rejects.toThrow(/401.*invalid_client/);
    });
  });

  describe('the token endpoint (RFC 6749)', () => {
    const form = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${api.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      }).then(async (response) => ({
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as { error?: string; access_token?: string; token_type?: string; expires_in?: number },
      }));

    it('issues an at+jwt with client_secret_post', async () => {
      const response = await form(`grant_type=client_credentials&client_id=${agent.clientId}&client_secret=${agent.clientSecret}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body.token_type).toBe('Bearer');
      const header = JSON.parse(Buffer.from(response.body.access_token!.split('.')[0], 'base64url').toString()) as { typ: string };
      expect(header.typ).toBe('at+jwt');
    });

    it.each([
      ['a wrong secret', () => `grant_type=client_credentials&client_id=${agent.clientId}&client_secret=wrong`, 401, 'invalid_client'],
      ['an unknown client', () => 'grant_type=client_credentials&client_id=agt_nobody&client_secret=x', 401, 'invalid_client'],
      ['no client authentication', () => 'grant_type=client_credentials', 401, 'invalid_client'],
      ['no grant_type', () => `client_id=${agent.clientId}&client_secret=${agent.clientSecret}`, 400, 'invalid_request'],
      [
        'the password grant',
        () => `grant_type=password&client_id=${agent.clientId}&client_secret=${agent.clientSecret}`,
        400,
        'unsupported_grant_type',
      ],
      [
        'a repeated parameter',
        () => `grant_type=client_credentials&grant_type=client_credentials&client_id=${agent.clientId}&client_secret=${agent.clientSecret}`,
        400,
        'invalid_request',
      ],
    ])('answers %s with the RFC 6749 error', async (_label, body, status, error) => {
      const response = await form(body());
      expect(response.status).toBe(status);
      expect(response.body.error).toBe(error);
      if (status === 401) expect(response.headers.get('www-authenticate')).toContain('Basic');
    });

    it('throttles secret guessing per client: after 10 failures even the right secret waits (429, Retry-After)', async () => {
      const target = await newAgent(api.app);
      for (let attempt = 0; attempt < 10; attempt++) {
        expect((await form(`grant_type=client_credentials&client_id=${target.clientId}&client_secret=guess-${attempt}`)).status).toBe(401);
      }
      const locked = await form(`grant_type=client_credentials&client_id=${target.clientId}&client_secret=${target.clientSecret}`);
      expect(locked.status).toBe(429);
      expect(locked.body.error).toBe('invalid_client');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other clients are not affected.
      expect((await form(`grant_type=client_credentials&client_id=${agent.clientId}&client_secret=${agent.clientSecret}`)).status).toBe(
        200,
      );
    });

    it('refuses two client authentication methods at once', async () => {
      const basic = 'Basic ' + Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64');
      const response = await form(`grant_type=client_credentials&client_secret=${agent.clientSecret}`, { authorization: basic });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    });
  });

  describe('the admin audit API', () => {
    it('is closed to agents and to no credentials', async () => {
      expect((await call(`${api.url}/v1/admin/audit`)).status).toBe(401);
      expect((await call(`${api.url}/v1/admin/audit`, { token })).status).toBe(401);
    });

    it('filters and pages with a keyset cursor', async () => {
      const admin = { authorization: `Bearer ${api.config.adminToken!}` };
      const first = await call<{ events: Array<{ seq: string; type: string }>; next_before: string }>(
        `${api.url}/v1/admin/audit?type=approval.requested&limit=2`,
        { headers: admin },
      );
      expect(first.status).toBe(200);
      expect(first.body.events).toHaveLength(2);
      expect(first.body.events.every((event) => event.type === 'approval.requested')).toBe(true);
      const second = await call<{ events: Array<{ seq: string }> }>(
        `${api.url}/v1/admin/audit?type=approval.requested&limit=2&before=${first.body.next_before}`,
        { headers: admin },
      );
      expect(BigInt(second.body.events[0].seq)).toBeLessThan(BigInt(first.body.events[1].seq));
      expect((await call<Problem>(`${api.url}/v1/admin/audit?limit=5000`, { headers: admin })).body.field).toBe('limit');
    });
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await call(`${api.url}/health/live`)).status).toBe(200);
    const ready = await call<{ status: string }>(`${api.url}/health/ready`);
    expect(ready.body.status).toBe('ok');
    const metrics = await fetch(`${api.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/countersign_approvals_total\{tier="[a-z]+",status="[a-z]+"\} \d+/);
    expect(metrics).toContain('countersign_http_requests_total');
    expect(metrics).toContain('countersign_queue_jobs');
    const openapi = await call<{ paths: Record<string, unknown> }>(`${api.url}/docs/openapi.json`);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/approvals', '/oauth/token', '/v1/approval-tokens/consume']),
    );
    expect((await fetch(`${api.url}/docs`)).status).toBe(200);
  });
});
