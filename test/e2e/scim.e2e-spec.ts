import { request as httpRequest } from 'node:http';
import { AuditService, CLI } from '@countersign/audit';
import { ScimTokensService } from '@countersign/directory';
import { GroupsService } from '@countersign/people';
import {
  agentAccessToken,
  call,
  type JsonResponse,
  newAgent,
  newPerson,
  type RunningApi,
  signedInPerson,
  startApi,
  withClient,
} from '@countersign/testing';
import { SCIM_REFUSALS_PER_MINUTE } from '../../apps/api/src';

type Scim = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The ids of a list response's resources, in order. */
const ids = (list: Scim): unknown[] => (list.Resources as Array<{ id: unknown }>).map((resource) => resource.id);

describe('SCIM 2.0 provisioning (RFC 7643/7644), as Okta and Microsoft Entra send it', () => {
  let api: RunningApi;
  let bearer: string;
  let tokenId: string;

  beforeAll(async () => {
    api = await startApi();
    const created = await api.app.get(ScimTokensService).create(CLI, 'directory');
    bearer = created.secret;
    tokenId = created.token.id;
  });
  afterAll(() => api.close());

  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  /** A SCIM call as a directory makes it: application/scim+json, the bearer token; `body` as a string is sent verbatim. */
  async function scim(method: string, path: string, body?: unknown, token: string | null = bearer): Promise<JsonResponse<Scim>> {
    const response = await fetch(`${api.url}/scim/v2${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
        accept: 'application/scim+json',
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Scim };
  }

  async function rows<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return withClient(api.config.databaseUrl, async (client) => (await client.query(sql, parameters)).rows as T[]);
  }

  async function audited(subjectId: string): Promise<Array<{ type: string; actor_type: string; actor_id: string | null; data: Scim }>> {
    await api.app.get(AuditService).flush();
    return rows(`SELECT type, actor_type, actor_id, data FROM audit_events WHERE subject_id = $1 ORDER BY seq`, [subjectId]);
  }

  function expectScimError(response: JsonResponse<Scim>, status: number, scimType?: string): void {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(response.body.schemas).toEqual([ERROR]);
    expect(response.body.status).toBe(String(status));
    expect(typeof response.body.detail).toBe('string');
    if (scimType === undefined) expect(response.body.scimType).toBeUndefined();
    else expect(response.body.scimType).toBe(scimType);
  }

  it("replays Okta's provisioning sequence: create, find by userName, deactivate, push a group, add and remove members, delete", async () => {
    const userName = `test.user.${unique()}@okta.local`;
    // Okta looks the user up first (none yet).
    const before = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] });

    // Create User, as Okta's SCIM 2.0 reference shows the request.
    const created = await scim('POST', '/Users', {
      schemas: [USER],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${api.config.publicUrl}/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({
      schemas: [USER],
      userName,
      externalId: '00ujl29u0le5T6Aj10h7',
      displayName: 'Test User',
      active: true,
      emails: [{ value: userName, primary: true }],
      meta: { resourceType: 'User' },
    });
    expect(created.body.password).toBeUndefined();
    const [row] = await rows<Scim>(
      `SELECT email, display_name, role, permissions, status, user_name, external_id FROM people WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({
      email: userName,
      display_name: 'Test User',
      role: 'member',
      permissions: [],
      status: 'active',
      user_name: userName,
      external_id: '00ujl29u0le5T6Aj10h7',
    });

    // Okta finds the user by userName (case-insensitively, as userName is not case-exact).
    const found = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}&startIndex=1&count=100`,
    );
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(found.body.Resources[0].id).toBe(id);
    expect((await scim('GET', `/Users/${id}`)).body.userName).toBe(userName);

    // Update User: Okta replaces the whole profile with PUT.
    const replaced = await scim('PUT', `/Users/${id}`, {
      schemas: [USER],
      id,
      userName,
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Another User',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      groups: [],
      meta: { resourceType: 'User' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, displayName: 'Another User', active: true });
    expect((await rows<Scim>(`SELECT display_name FROM people WHERE id = $1`, [id]))[0].display_name).toBe('Another User');

    // Push Group, with the user as a member.
    const groupName = `Test SCIMv2 ${unique()}`;
    const group = await scim('POST', '/Groups', { schemas: [GROUP], displayName: groupName, members: [] });
    expect(group.status).toBe(201);
    const groupId = group.body.id as string;
    expect(group.body).toMatchObject({ schemas: [GROUP], displayName: groupName, members: [] });
    const add = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: userName }] }],
    });
    expect(add.status).toBe(204);
    expect((await scim('GET', `/Groups/${groupId}`)).body.members).toEqual([
      { value: id, $ref: `${api.config.publicUrl}/scim/v2/Users/${id}` },
    ]);
    // Okta renames a pushed group with an operation without a path.
    const renamed = `${groupName} renamed`;
    expect(
      (
        await scim('PATCH', `/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', value: { id: groupId, displayName: renamed } }],
        })
      ).status,
    ).toBe(204);
    const byName = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${renamed}"`)}&startIndex=1&count=100`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(groupId);
    const remove = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }],
    });
    expect(remove.status).toBe(204);
    expect(await rows(`SELECT person_id FROM group_members WHERE group_id = $1`, [groupId])).toEqual([]);

    // Deactivate User: Okta's PATCH carries the attribute in a value object, no path.
    const deactivated = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await rows<Scim>(`SELECT status FROM people WHERE id = $1`, [id]))[0].status).toBe('disabled');

    // Delete Group.
    expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);

    const personEvents = await audited(id);
    expect(personEvents.map((event) => event.type)).toEqual(['person.created', 'person.updated', 'person.updated']);
    expect(personEvents.every((event) => event.actor_type === 'directory' && event.actor_id === tokenId)).toBe(true);
    expect(personEvents[1].data).toMatchObject({ before: { display_name: 'Test User' }, after: { display_name: 'Another User' } });
    expect(personEvents[2].data).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
    const groupEvents = await audited(groupId);
    expect(groupEvents.map((event) => event.type)).toEqual([
      'group.created',
      'group.members_changed',
      'group.updated',
      'group.members_changed',
      'group.deleted',
    ]);
    expect(groupEvents[1].data).toEqual({ added: [id], removed: [] });
    expect(groupEvents[3].data).toEqual({ added: [], removed: [id] });
    expect(groupEvents.every((event) => event.actor_type === 'directory')).toBe(true);
  });

  it("replays Microsoft Entra's provisioning sequence: capitalised ops, string booleans, the manager, members by value arrays, delete", async () => {
    const suffix = unique();
    const userName = `Test_User_${suffix}`;
    const email = `Test_User_${suffix}@testuser.com`;
    // Entra checks that a user it will not find is not found.
    const absent = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "non-existent user"')}`);
    expect(absent.status).toBe(200);
    expect(absent.body.totalResults).toBe(0);

    const manager = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: `mgr-${suffix}`,
      userName: `Manager_${suffix}`,
      active: true,
      emails: [{ primary: true, type: 'work', value: `Manager_${suffix}@testuser.com` }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Manager Person', familyName: 'Person', givenName: 'Manager' },
      roles: [],
    });
    expect(manager.status).toBe(201);
    // Create User, as Entra's SCIM validation documents it (with the enterprise extension's manager).
    const created = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: `0a21f0f2-${suffix}`,
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: email }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE]: { manager: { value: manager.body.id } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      userName,
      displayName: 'givenName familyName',
      emails: [{ value: email.toLowerCase() }],
      [ENTERPRISE]: { manager: { value: manager.body.id } },
    });
    expect((await rows<Scim>(`SELECT manager_id, email FROM people WHERE id = $1`, [id]))[0]).toEqual({
      manager_id: manager.body.id,
      email: email.toLowerCase(),
    });

    // Entra finds it by userName, and by externalId.
    const byUserName = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(ids(byUserName.body)).toEqual([id]);
    const byExternalId = await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "0a21f0f2-${suffix}"`)}`);
    expect(ids(byExternalId.body)).toEqual([id]);

    // Update User: several attributes in one PatchOp, capitalised ops, Entra's paths; attributes we keep none of are ignored.
    const updated = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: `updated_${suffix}@testuser.com` },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Replace', path: 'displayName', value: 'Updated Name' },
        { op: 'Add', path: 'title', value: 'Engineer' },
        { op: 'Replace', path: `${ENTERPRISE}:manager`, value: null },
      ],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ displayName: 'Updated Name', emails: [{ value: `updated_${suffix}@testuser.com` }] });
    expect(updated.body[ENTERPRISE]).toBeUndefined();
    expect((await rows<Scim>(`SELECT manager_id, display_name FROM people WHERE id = $1`, [id]))[0]).toEqual({
      manager_id: null,
      display_name: 'Updated Name',
    });

    // Create Group, with Entra's extra schema; find it by displayName without members.
    const groupName = `Entra group ${suffix}`;
    const group = await scim('POST', '/Groups', {
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: `8aa1a0c0-${suffix}`,
      displayName: groupName,
      meta: { resourceType: 'Group' },
    });
    expect(group.status).toBe(201);
    const groupId = group.body.id as string;
    const listed = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${groupName}"`)}`);
    expect(listed.body.totalResults).toBe(1);
    expect(listed.body.Resources[0]).toMatchObject({ id: groupId, displayName: groupName, externalId: `8aa1a0c0-${suffix}` });
    expect(listed.body.Resources[0].members).toBeUndefined();

    // Add Member, Remove Member: value arrays, capitalised ops.
    const add = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [
        {
          op: 'Add',
          path: 'members',
          value: [
            { $ref: null, value: id },
            { $ref: null, value: manager.body.id },
          ],
        },
      ],
    });
    expect(add.status).toBe(204);
    expect((await rows(`SELECT person_id FROM group_members WHERE group_id = $1 ORDER BY person_id`, [groupId])).length).toBe(2);
    const remove = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: manager.body.id }] }],
    });
    expect(remove.status).toBe(204);
    expect(await rows(`SELECT person_id FROM group_members WHERE group_id = $1`, [groupId])).toEqual([{ person_id: id }]);
    // Update Group displayName.
    const renamed = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'displayName', value: `${groupName}updatedDisplayName` }],
    });
    expect(renamed.status).toBe(204);
    expect((await rows<Scim>(`SELECT name FROM groups WHERE id = $1`, [groupId]))[0].name).toBe(`${groupName}updatedDisplayName`);

    // Disable User: Entra's non-compliant form, a string boolean.
    const disabled = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    expect((await rows<Scim>(`SELECT status FROM people WHERE id = $1`, [id]))[0].status).toBe('disabled');
    const enabled = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'True' }],
    });
    expect(enabled.body.active).toBe(true);

    // Delete User: the person is disabled, kept for the audit log, and gone for SCIM.
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Users/${id}`), 404);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.totalResults).toBe(0);
    expect((await rows<Scim>(`SELECT status, directory_deleted_at IS NOT NULL AS deleted FROM people WHERE id = $1`, [id]))[0]).toEqual({
      status: 'disabled',
      deleted: true,
    });
    expectScimError(await scim('DELETE', `/Users/${id}`), 404);
    // The group no longer shows the deleted user as a member.
    expect((await scim('GET', `/Groups/${groupId}`)).body.members).toEqual([]);
    const events = await audited(id);
    expect(events.map((event) => event.type)).toEqual([
      'person.created',
      'person.updated',
      'person.updated',
      'person.updated',
      'person.updated',
    ]);
    expect(events[4].data).toMatchObject({ after: { status: 'disabled' }, deleted_by_directory: true });
  });

  it('pages with startIndex and count, and answers the discovery documents', async () => {
    const names = await Promise.all(
      [0, 1, 2].map(async () => {
        const name = `page-${unique()}`;
        expect((await scim('POST', '/Groups', { schemas: [GROUP], displayName: name })).status).toBe(201);
        return name;
      }),
    );
    const all = await scim('GET', '/Groups?count=200');
    const total = all.body.totalResults as number;
    expect(total).toBeGreaterThanOrEqual(3);
    const second = await scim('GET', '/Groups?startIndex=2&count=2');
    expect(second.body).toMatchObject({ totalResults: total, startIndex: 2, itemsPerPage: 2 });
    expect(ids(second.body)).toEqual(ids(all.body).slice(1, 3));
    const none = await scim('GET', '/Groups?count=0');
    expect(none.body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    expect(names).toHaveLength(3);

    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    const types = await scim('GET', '/ResourceTypes');
    expect(ids(types.body)).toEqual(['User', 'Group']);
    const schemas = await scim('GET', '/Schemas');
    expect(ids(schemas.body)).toEqual([USER, ENTERPRISE, GROUP]);
    expect((await scim('GET', `/Schemas/${USER}`)).body.name).toBe('User');
    expectScimError(await scim('GET', '/ResourceTypes/Nope'), 404);
  });

  describe('bad input: SCIM error bodies, nothing half-applied', () => {
    const userBody = (userName: string) => ({ schemas: [USER], userName, emails: [{ value: userName, primary: true }] });

    it('refuses a missing, malformed, unknown or revoked bearer token with 401, and audits it', async () => {
      for (const token of [
        null,
        'not-a-token',
        `csscim.${tokenId}.${'A'.repeat(43)}`,
        `csscim.00000000-0000-0000-0000-000000000000.${'A'.repeat(43)}`,
      ]) {
        const response = await scim('GET', '/Users', undefined, token);
        expectScimError(response, 401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const revoked = await api.app.get(ScimTokensService).create(CLI, 'to-revoke');
      expect((await scim('GET', '/Users', undefined, revoked.secret)).status).toBe(200);
      await api.app.get(ScimTokensService).revoke(CLI, revoked.token.id);
      const refused = await scim('POST', '/Users', userBody(`revoked-${unique()}@example.com`), revoked.secret);
      expectScimError(refused, 401);
      expect(refused.body.detail).toMatch(/revoked/);
      const events = await audited(revoked.token.id);
      expect(events.map((event) => event.type)).toEqual(['scim.token_created', 'scim.token_revoked', 'scim.request_refused']);
      expect(events[2].data).toMatchObject({ reason: 'revoked token' });
      // The stored hash is not the secret.
      const [stored] = await rows<{ secret_hash: Buffer }>(`SELECT secret_hash FROM scim_tokens WHERE id = $1`, [revoked.token.id]);
      expect(stored.secret_hash.toString('base64url')).not.toBe(revoked.secret.split('.')[2]);
      expect(stored.secret_hash).toHaveLength(32);
    });

    it('refuses malformed JSON, a body that is not an object, an unknown schema and a missing userName', async () => {
      const userName = `malformed-${unique()}@example.com`;
      expectScimError(await scim('POST', '/Users', `{"schemas":["${USER}"],"userName":"${userName}",`), 400, 'invalidSyntax');
      expectScimError(await scim('POST', '/Users', '[1,2]'), 400, 'invalidSyntax');
      expectScimError(await scim('POST', '/Users', ''), 400, 'invalidSyntax');
      expectScimError(
        await scim('POST', '/Users', { ...userBody(userName), schemas: ['urn:example:params:scim:schemas:Custom'] }),
        400,
        'invalidValue',
      );
      expectScimError(await scim('POST', '/Users', { ...userBody(userName), schemas: [GROUP] }), 400, 'invalidValue');
      expectScimError(await scim('POST', '/Users', { schemas: [USER], emails: [{ value: userName }] }), 400, 'invalidValue');
      expectScimError(await scim('POST', '/Users', { schemas: [USER], userName: 'no-email-here' }), 400, 'invalidValue');
      expectScimError(await scim('POST', '/Users', { ...userBody(userName), active: 'maybe' }), 400, 'invalidValue');
      expect(await rows(`SELECT id FROM people WHERE email = $1`, [userName])).toEqual([]);
    });

    it('refuses bad filters: syntax, an unsupported operator, an attribute it cannot filter on, "and"', async () => {
      for (const filter of ['userName eq', 'userName eq "unclosed', 'userName eq bare', '(userName eq "x")', 'userName eq "x" extra']) {
        const response = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        expectScimError(response, 400, 'invalidFilter');
      }
      const operator = await scim('GET', `/Users?filter=${encodeURIComponent('userName co "a"')}`);
      expectScimError(operator, 400, 'invalidFilter');
      expect(operator.body.detail).toMatch(/operator "co" is not supported/);
      expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "a" and active eq true')}`), 400, 'invalidFilter');
      expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent('title eq "boss"')}`), 400, 'invalidFilter');
      expectScimError(await scim('GET', `/Groups?filter=${encodeURIComponent('userName eq "a"')}`), 400, 'invalidFilter');
      expectScimError(await scim('GET', '/Users?startIndex=first'), 400, 'invalidValue');
      for (const path of ['/Users', '/Groups']) {
        const notAnId = await scim('GET', `${path}?filter=${encodeURIComponent('id eq "not-a-uuid"')}`);
        expect(notAnId.status).toBe(200);
        expect(notAnId.body.totalResults).toBe(0);
      }
    });

    it('refuses a patch to an unknown path, or with an unknown op, and applies none of its operations', async () => {
      const userName = `patch-${unique()}@example.com`;
      const created = await scim('POST', '/Users', { ...userBody(userName), displayName: 'Before' });
      const id = created.body.id as string;
      const unknownPath = await scim('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'displayName', value: 'After' },
          { op: 'replace', path: 'active', value: false },
          { op: 'replace', path: 'favouriteColour', value: 'blue' },
        ],
      });
      expectScimError(unknownPath, 400, 'invalidPath');
      expect(unknownPath.body.detail).toMatch(/favouriteColour/);
      const badOp = await scim('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'active', value: false },
          { op: 'move', path: 'x' },
        ],
      });
      expectScimError(badOp, 400, 'invalidValue');
      expectScimError(
        await scim('PATCH', `/Users/${id}`, { schemas: [USER], Operations: [{ op: 'replace', path: 'active', value: false }] }),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'userName' }] }),
        400,
        'mutability',
      );
      expectScimError(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }), 400, 'noTarget');
      expect((await rows<Scim>(`SELECT display_name, status FROM people WHERE id = $1`, [id]))[0]).toEqual({
        display_name: 'Before',
        status: 'active',
      });
      expect((await audited(id)).map((event) => event.type)).toEqual(['person.created']);
    });

    it('refuses a duplicate userName, email or externalId (409 uniqueness) and a group member who does not exist', async () => {
      const userName = `dup-${unique()}@example.com`;
      const first = await scim('POST', '/Users', { ...userBody(userName), externalId: `ext-${userName}` });
      expect(first.status).toBe(201);
      expectScimError(await scim('POST', '/Users', userBody(userName.toUpperCase())), 409, 'uniqueness');
      expectScimError(await scim('POST', '/Users', { ...userBody(`other-${userName}`), externalId: `ext-${userName}` }), 409, 'uniqueness');
      expectScimError(
        await scim('POST', '/Users', { schemas: [USER], userName: `other2-${userName}`, emails: [{ value: userName }] }),
        409,
        'uniqueness',
      );
      expect(await rows(`SELECT id FROM people WHERE email LIKE $1`, [`%${userName}`])).toHaveLength(1);

      const groupName = `dup-group-${unique()}`;
      const group = await scim('POST', '/Groups', { schemas: [GROUP], displayName: groupName });
      expectScimError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: groupName }), 409, 'uniqueness');
      const missing = await scim('PATCH', `/Groups/${group.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'add', path: 'members', value: [{ value: first.body.id }] },
          { op: 'add', path: 'members', value: [{ value: '5d7a1d8e-0000-4000-8000-000000000000' }] },
        ],
      });
      expectScimError(missing, 400, 'invalidValue');
      expect(await rows(`SELECT person_id FROM group_members WHERE group_id = $1`, [group.body.id])).toEqual([]);
      const halfGroup = `x-${unique()}`;
      expectScimError(
        await scim('POST', '/Groups', {
          schemas: [GROUP],
          displayName: halfGroup,
          members: [{ value: first.body.id }, { value: 'nobody' }],
        }),
        400,
        'invalidValue',
      );
      expect(await rows(`SELECT id FROM groups WHERE name = $1`, [halfGroup])).toEqual([]);
      expectScimError(
        await scim('PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'owners', value: [] }] }),
        400,
        'invalidPath',
      );
      expectScimError(await scim('GET', '/Users/not-a-uuid'), 404);
    });

    it('keeps every one of concurrent membership patches (the group row is locked, changes are additions)', async () => {
      const people = await Promise.all([0, 1, 2, 3].map(() => newPerson(api.app)));
      const group = await scim('POST', '/Groups', { schemas: [GROUP], displayName: `race-${unique()}` });
      const answers = await Promise.all(
        people.map((person) =>
          scim('PATCH', `/Groups/${group.body.id}`, {
            schemas: [PATCH_OP],
            Operations: [{ op: 'add', path: 'members', value: [{ value: person.id }] }],
          }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([204, 204, 204, 204]);
      const members = await rows<{ person_id: string }>(`SELECT person_id FROM group_members WHERE group_id = $1`, [group.body.id]);
      expect(members.map((member) => member.person_id).sort()).toEqual(people.map((person) => person.id).sort());
    });

    it('accepts application/json too, and refuses other media types in SCIM format', async () => {
      const userName = `json-${unique()}@example.com`;
      const asJson = await call<Scim>(`${api.url}/scim/v2/Users`, { token: bearer, body: userBody(userName) });
      expect(asJson.status).toBe(201);
      const text = await fetch(`${api.url}/scim/v2/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(text.status).toBe(415);
      expect(((await text.json()) as Scim).schemas).toEqual([ERROR]);
    });
  });

  it("deprovisions at once when the directory deactivates a person (Entra's PATCH) or deletes one: sessions end, their agents' requests are cancelled and refused", async () => {
    const agent = await newAgent(api.app, { capabilities: ['chat.*'] });
    const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    const request = (email: string) =>
      call<Scim>(`${api.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
          on_behalf_of: email,
          audience: 'https://chat.internal',
        },
      });
    const status = async (id: string) => (await call<Scim>(`${api.url}/v1/approvals/${id}`, { token })).body.status as string;
    const [alice, bob] = await Promise.all([
      signedInPerson(api.app, api.url, { permissions: ['chat.*'] }),
      signedInPerson(api.app, api.url, { permissions: ['chat.*'] }),
    ]);
    const [forAlice, forBob] = [(await request(alice.person.email)).body, (await request(bob.person.email)).body];
    expect([forAlice.status, forBob.status]).toEqual(['pending', 'pending']);
    expect((await alice.browser.request('GET', '/v1/me')).status).toBe(200);
    expect((await bob.browser.request('GET', '/v1/me')).status).toBe(200);

    const deactivated = await scim('PATCH', `/Users/${alice.person.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await alice.browser.request('GET', '/v1/me')).status).toBe(401);
    expect(await status(forAlice.id as string)).toBe('cancelled');
    expect((await request(alice.person.email)).body.code).toBe('unknown_person');

    expect((await scim('DELETE', `/Users/${bob.person.id}`)).status).toBe(204);
    expect((await bob.browser.request('GET', '/v1/me')).status).toBe(401);
    expect(await status(forBob.id as string)).toBe('cancelled');
    expect((await request(bob.person.email)).body.code).toBe('unknown_person');
    expect((await audited(bob.person.id)).find((event) => event.type === 'person.updated')?.data).toMatchObject({
      deleted_by_directory: true,
      deprovisioned: { cancelled_approvals: [forBob.id] },
    });
  });

  describe('permissions from groups', () => {
    it('lets an agent act for a person only through a group, and refuses once the person leaves it', async () => {
      const person = await newPerson(api.app, { permissions: ['chat.*'] });
      const agent = await newAgent(api.app, { capabilities: ['payments.*', 'chat.*'] });
      const token = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
      const request = () =>
        call<Scim>(`${api.url}/v1/approvals`, {
          token,
          body: {
            action: { type: 'payments.refund', resource: 'order:7', args: { amount: 10 } },
            on_behalf_of: person.email,
            audience: 'https://payments.internal',
          },
        });
      const without = await request();
      expect(without.status).toBe(403);
      expect(without.body.code).toBe('permission_missing');

      const group = await scim('POST', '/Groups', {
        schemas: [GROUP],
        displayName: `finance-${unique()}`,
        members: [{ value: person.id }],
      });
      // The directory names the members; the permissions are Countersign's own (the admin API).
      const admin = (await signedInPerson(api.app, api.url, { role: 'admin' })).browser;
      const set = await admin.request<Scim>('PUT', `/v1/admin/groups/${group.body.id}/permissions`, { permissions: ['payments.refund'] });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ permissions: ['payments.refund'], member_count: 1 });

      const allowed = await request();
      expect(allowed.status).toBe(201);

      const removed = await scim('PATCH', `/Groups/${group.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: `members[value eq "${person.id}"]` }],
      });
      expect(removed.status).toBe(204);
      const after = await request();
      expect(after.status).toBe(403);
      expect(after.body.code).toBe('permission_missing');

      const events = await audited(group.body.id as string);
      expect(events.map((event) => event.type)).toEqual([
        'group.created',
        'group.members_changed',
        'group.permissions_changed',
        'group.members_changed',
      ]);
      expect(events[2]).toMatchObject({ actor_type: 'person', data: { before: [], after: ['payments.refund'] } });
    });

    it('refuses a group permission that is not an action pattern, and the admin API lists and shows groups', async () => {
      const group = await api.app.get(GroupsService).create(CLI, { name: `ops-${unique()}` });
      const admin = (await signedInPerson(api.app, api.url, { role: 'admin' })).browser;
      const bad = await admin.request<Scim>('PUT', `/v1/admin/groups/${group.id}/permissions`, { permissions: ['payments refund'] });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('permissions');
      const listed = await admin.request<Scim>('GET', '/v1/admin/groups');
      expect(listed.status).toBe(200);
      expect((listed.body.groups as Scim[]).find((candidate) => candidate.id === group.id)).toMatchObject({
        name: group.name,
        member_count: 0,
        permissions: [],
      });
      const shown = await admin.request<Scim>('GET', `/v1/admin/groups/${group.id}`);
      expect(shown.body).toMatchObject({ id: group.id, members: [] });
      expect((await admin.request('GET', '/v1/admin/groups/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      const { browser: approver } = await signedInPerson(api.app, api.url);
      expect((await approver.request('GET', '/v1/admin/groups')).status).toBe(403);
    });
  });
});

describe('refused SCIM requests are throttled per address: a flood of bad tokens does not flood the audit chain', () => {
  let api: RunningApi;
  let bearer: string;

  beforeAll(async () => {
    api = await startApi();
    bearer = (await api.app.get(ScimTokensService).create(CLI, 'directory')).secret;
  });
  afterAll(() => api.close());

  /** GET /scim/v2/Users from `localAddress` (any 127.x address reaches the API's 127.0.0.1 on loopback). */
  const users = (token: string | null, localAddress = '127.0.0.1') =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Scim }>((resolve, reject) => {
      const url = new URL(`${api.url}/scim/v2/Users`);
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          localAddress,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) as Scim }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });

  const refusalsAudited = async (address: string) => {
    await api.app.get(AuditService).flush();
    return withClient(
      api.config.databaseUrl,
      async (client) =>
        (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM audit_events WHERE type = 'scim.request_refused' AND data->>'remote_address' = $1`,
            [address],
          )
        ).rows[0].n,
    );
  };

  it('audits the first refusals of the minute, then answers 429 in SCIM format without checking or auditing; other addresses are not affected', async () => {
    // The database is the run's: the suite above was refused from 127.0.0.1 too.
    const [before, beforeElsewhere] = [await refusalsAudited('127.0.0.1'), await refusalsAudited('127.0.0.2')];
    for (let n = 0; n < SCIM_REFUSALS_PER_MINUTE; n++) expect((await users(`csscim.not-a-token-${n}`)).status).toBe(401);
    for (const token of ['csscim.still-wrong', null, bearer]) {
      // Past the limit even a good token is refused unchecked from this address until its minute is over.
      const throttled = await users(token);
      expect(throttled.status).toBe(429);
      expect(throttled.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(throttled.body).toEqual({ schemas: [ERROR], status: '429', detail: expect.stringMatching(/too many refused SCIM requests/) });
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect((await refusalsAudited('127.0.0.1')) - before).toBe(SCIM_REFUSALS_PER_MINUTE);

    // Another address: its own count; the directory's good token works.
    expect((await users(bearer, '127.0.0.2')).status).toBe(200);
    expect((await users('csscim.wrong', '127.0.0.2')).status).toBe(401);
    expect((await refusalsAudited('127.0.0.2')) - beforeElsewhere).toBe(1);

    const metrics = await fetch(`${api.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^countersign_scim_refusals_throttled_total 3$/m);
  });
});
