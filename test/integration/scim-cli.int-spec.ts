import { CLI } from '@countersign/audit';
import { GroupsService } from '@countersign/people';
import { call, newPerson, type RunningApi, startApi, TEST_REDIS_URL } from '@countersign/testing';
import { cli } from './run-cli';

describe('countersign scim-tokens', () => {
  const saved = { ...process.env };
  let api: RunningApi;

  beforeAll(async () => {
    process.env.DATABASE_URL = process.env.COUNTERSIGN_TEST_DATABASE_URL;
    process.env.REDIS_URL = TEST_REDIS_URL;
    process.env.COUNTERSIGN_KEY_ENCRYPTION_SECRET = 'cli-suite-secret-0123456789abcdefghij';
    api = await startApi();
  });
  afterAll(async () => {
    process.env = saved;
    await api.close();
  });

  it('creates a token shown once, lists tokens without secrets, and revokes one so the directory is refused', async () => {
    const name = `okta-${Date.now().toString(36)}`;
    const created = await cli('--json', 'scim-tokens', 'create', '--name', name);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { id: string; name: string; token: string };
    expect(body.name).toBe(name);
    expect(body.token).toMatch(/^csscim\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const users = () => call(`${api.url}/scim/v2/Users?count=1`, { token: body.token });
    expect((await users()).status).toBe(200);

    const listed = await cli('--json', 'scim-tokens', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(body.token.split('.')[2]);
    const mine = (JSON.parse(listed.stdout) as Array<{ id: string; revoked_at: string | null; last_used_at: string | null }>).find(
      (token) => token.id === body.id,
    );
    expect(mine).toMatchObject({ revoked_at: null });
    expect(mine!.last_used_at).not.toBeNull();

    const revoked = await cli('--json', 'scim-tokens', 'revoke', name);
    expect(revoked.code).toBe(0);
    expect((await users()).status).toBe(401);
    const unknown = await cli('scim-tokens', 'revoke', 'no-such-token');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no SCIM token/);
    const blank = await cli('scim-tokens', 'create', '--name', ' ');
    expect(blank.code).toBe(1);
  });

  it('lists groups and sets a group’s permissions by name; a bad pattern is refused and changes nothing', async () => {
    const member = await newPerson(api.app);
    const name = `cli-group-${Date.now().toString(36)}`;
    const group = await api.app.get(GroupsService).create(CLI, { name, memberIds: [member.id] });
    const set = await cli('--json', 'groups', 'set-permissions', name, '--permissions', 'payments.refund,chat.*');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: group.id, permissions: ['payments.refund', 'chat.*'] });
    const bad = await cli('groups', 'set-permissions', group.id, '--permissions', 'payments/refund');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not an action pattern/);
    const listed = JSON.parse((await cli('--json', 'groups', 'list')).stdout) as Array<{
      id: string;
      permissions: string[];
      member_count: number;
    }>;
    expect(listed.find((candidate) => candidate.id === group.id)).toMatchObject({
      permissions: ['payments.refund', 'chat.*'],
      member_count: 1,
    });
    expect((await cli('groups', 'set-permissions', 'no-such-group', '--permissions', '')).code).toBe(1);
  });
});
