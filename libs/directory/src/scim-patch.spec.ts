import { DomainError } from '@countersign/domain';
import { type ScimPatchOperation } from './scim-input';
import { applyUserPatch, checkSchemas, groupPatch, type ScimUserState, userFromBody } from './scim-patch';
import { SCIM } from './scim-schemas';

const user: ScimUserState = {
  userName: 'ada@example.com',
  externalId: 'ext-1',
  displayName: 'Ada',
  email: 'ada@example.com',
  active: true,
  managerId: null,
};

function scimTypeOf(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).details?.scimType ?? (error as DomainError).code;
  }
  throw new Error('accepted');
}

const ops = (...operations: ScimPatchOperation[]) => operations;

describe('applyUserPatch', () => {
  it("takes Okta's deactivation (no path, a value object) and Entra's (capitalised op, a string boolean)", () => {
    expect(applyUserPatch(user, ops({ op: 'replace', value: { active: false } })).active).toBe(false);
    expect(applyUserPatch(user, ops({ op: 'replace', path: 'active', value: 'False' })).active).toBe(false);
    expect(applyUserPatch({ ...user, active: false }, ops({ op: 'replace', path: 'ACTIVE', value: 'True' })).active).toBe(true);
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'replace', path: 'active', value: 'no' })))).toBe('invalid_request');
  });

  it('applies operations in order, and the email, name and manager paths directories use', () => {
    const next = applyUserPatch(
      user,
      ops(
        { op: 'replace', path: 'displayName', value: 'First' },
        { op: 'replace', path: 'name.formatted', value: 'Second' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada@new.example' },
        { op: 'add', path: `${SCIM.enterpriseUser}:manager`, value: { value: 'm-1' } },
        { op: 'remove', path: 'externalId' },
        { op: 'add', path: 'title', value: 'ignored' },
        { op: 'replace', path: 'addresses[type eq "work"].formatted', value: 'ignored' },
      ),
    );
    expect(next).toEqual({ ...user, displayName: 'Second', email: 'ada@new.example', managerId: 'm-1', externalId: null });
    expect(applyUserPatch(user, ops({ op: 'replace', value: { [SCIM.enterpriseUser]: { manager: 'm-2' } } })).managerId).toBe('m-2');
    expect(
      applyUserPatch({ ...user, managerId: 'm' }, ops({ op: 'replace', path: `${SCIM.enterpriseUser}:manager`, value: null })).managerId,
    ).toBe(null);
  });

  it('refuses unknown paths, removing what a person needs, and a remove without a path', () => {
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'replace', path: 'favouriteColour', value: 'x' })))).toBe('invalidPath');
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'replace', path: 'emails[type eq "home"].value', value: 'x' })))).toBe(
      'invalidPath',
    );
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'remove', path: 'userName' })))).toBe('mutability');
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'remove', path: 'emails' })))).toBe('mutability');
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'remove' })))).toBe('noTarget');
    expect(scimTypeOf(() => applyUserPatch(user, ops({ op: 'replace', value: 'active' })))).toBe('invalidValue');
  });
});

describe('groupPatch', () => {
  it('reads members added with value arrays, removed by filter or value array, replaced, and a rename without a path', () => {
    expect(
      groupPatch(
        ops(
          { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
          { op: 'remove', path: 'members[value eq "b"]' },
          { op: 'remove', path: 'members', value: [{ value: 'c' }] },
          { op: 'replace', value: { id: 'g', displayName: 'Renamed' } },
        ),
      ),
    ).toEqual({ displayName: 'Renamed', members: { add: ['a'], remove: ['b', 'c'] } });
    expect(
      groupPatch(ops({ op: 'remove', path: 'members', value: [{ value: 'a' }] }, { op: 'add', path: 'members', value: [{ value: 'a' }] })),
    ).toEqual({
      members: { add: ['a'], remove: [] },
    });
    expect(
      groupPatch(ops({ op: 'replace', path: 'members', value: [{ value: 'x' }] }, { op: 'add', path: 'members', value: [{ value: 'y' }] })),
    ).toEqual({
      members: { replace: ['x'], add: ['y'], remove: [] },
    });
    expect(groupPatch(ops({ op: 'remove', path: 'members' }))).toEqual({ members: { replace: [], add: [], remove: [] } });
  });

  it('refuses unknown attributes, bad member values, removing the name, adding by filter', () => {
    expect(scimTypeOf(() => groupPatch(ops({ op: 'add', path: 'owners', value: [] })))).toBe('invalidPath');
    expect(scimTypeOf(() => groupPatch(ops({ op: 'add', path: 'members', value: 'a' })))).toBe('invalid_request');
    expect(scimTypeOf(() => groupPatch(ops({ op: 'remove', path: 'displayName' })))).toBe('mutability');
    expect(scimTypeOf(() => groupPatch(ops({ op: 'add', path: 'members[value eq "a"]', value: {} })))).toBe('invalidPath');
  });
});

describe('userFromBody and checkSchemas', () => {
  it('takes the primary email, else the first, else the userName when it is an address; the name when there is no displayName', () => {
    const body = { schemas: [SCIM.user], userName: 'u1', emails: [{ value: 'b@x.io' }, { value: 'a@x.io', primary: true }] };
    expect(userFromBody(body).email).toBe('a@x.io');
    expect(userFromBody({ schemas: [SCIM.user], userName: 'c@x.io' }).email).toBe('c@x.io');
    expect(userFromBody({ schemas: [SCIM.user], userName: 'c@x.io', name: { givenName: 'Grace', familyName: 'Hopper' } }).displayName).toBe(
      'Grace Hopper',
    );
    expect(scimTypeOf(() => userFromBody({ schemas: [SCIM.user], userName: 'nobody' }))).toBe('invalidValue');
  });

  it('refuses a schema it does not take and a missing core schema', () => {
    expect(() => checkSchemas([SCIM.user, SCIM.enterpriseUser], SCIM.user, [SCIM.user, SCIM.enterpriseUser])).not.toThrow();
    expect(scimTypeOf(() => checkSchemas(['urn:example:custom'], SCIM.user, [SCIM.user]))).toBe('invalidValue');
    expect(scimTypeOf(() => checkSchemas([SCIM.enterpriseUser], SCIM.user, [SCIM.user, SCIM.enterpriseUser]))).toBe('invalidValue');
  });
});
