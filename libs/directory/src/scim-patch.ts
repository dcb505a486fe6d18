import { parseInput } from '@countersign/domain';
import { z } from 'zod';
import { scimError } from './scim-error';
import { explainScimIssue, MemberValue, scimBoolean, type ScimPatchOperation, type ScimUserBody } from './scim-input';
import { SCIM } from './scim-schemas';

/** What Countersign keeps of a SCIM User. */
export interface ScimUserState {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  email: string;
  active: boolean;
  managerId: string | null;
}

/** What a group PatchOp changes: its name or external id, and its members (a replacement, then additions and removals). */
export interface ScimGroupPatch {
  displayName?: string;
  externalId?: string | null;
  members?: { replace?: string[]; add: string[]; remove: string[] };
}

const EMAILISH = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The request's `schemas` must include `required` and name nothing outside `allowed` (RFC 7643 §3). */
export function checkSchemas(schemas: readonly string[], required: string, allowed: readonly string[]): void {
  const unknown = schemas.find((schema) => !allowed.some((known) => known.toLowerCase() === schema.toLowerCase()));
  if (unknown !== undefined) throw scimError('invalidValue', `schemas: ${JSON.stringify(unknown)} is not a schema this endpoint takes`);
  if (!schemas.some((schema) => schema.toLowerCase() === required.toLowerCase()))
    throw scimError('invalidValue', `schemas: must include ${JSON.stringify(required)}`);
}

/** A POST or PUT body as the state it describes (a PUT replaces: what it leaves out is cleared). */
export function userFromBody(body: ScimUserBody): ScimUserState {
  const name = body.name;
  const derivedName = [name?.givenName, name?.familyName].filter(Boolean).join(' ');
  const email = primaryEmail(body.emails ?? []) ?? (EMAILISH.test(body.userName) ? body.userName : null);
  if (email === null) throw scimError('invalidValue', 'emails: a person needs an email address (none given, and userName is not one)');
  return {
    userName: body.userName,
    externalId: body.externalId ?? null,
    displayName: body.displayName || name?.formatted || derivedName || null,
    email,
    active: body.active ?? true,
    managerId: managerIdOf(body[SCIM.enterpriseUser]?.manager),
  };
}

function primaryEmail(emails: ReadonlyArray<{ value: string; primary?: boolean | null }>): string | null {
  return (emails.find((email) => email.primary) ?? emails[0])?.value ?? null;
}

function managerIdOf(manager: unknown): string | null {
  if (manager === null || manager === undefined) return null;
  if (typeof manager === 'string') return manager === '' ? null : manager;
  if (typeof manager === 'object' && 'value' in manager) {
    const value = (manager as { value?: unknown }).value;
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'string') return value;
  }
  throw scimError('invalidValue', 'manager: must be {"value": "<the manager\'s id>"} or the id');
}

/** Core and enterprise attributes a directory may send that Countersign does not keep: accepted, ignored. */
const IGNORED_USER_ATTRIBUTES = new Set(
  [
    'nickName',
    'profileUrl',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
    'password',
    'phoneNumbers',
    'addresses',
    'ims',
    'photos',
    'entitlements',
    'roles',
    'x509Certificates',
    'groups',
    'name.givenName',
    'name.familyName',
    'name.middleName',
    'name.honorificPrefix',
    'name.honorificSuffix',
    `${SCIM.enterpriseUser}:employeeNumber`,
    `${SCIM.enterpriseUser}:costCenter`,
    `${SCIM.enterpriseUser}:organization`,
    `${SCIM.enterpriseUser}:division`,
    `${SCIM.enterpriseUser}:department`,
  ].map((name) => name.toLowerCase()),
);

const MANAGER = `${SCIM.enterpriseUser}:manager`.toLowerCase();

/**
 * Applies a User PatchOp's operations in order (RFC 7644 §3.5.2) to the state. Paths are matched
 * case-insensitively; an operation without a path carries an object of attributes. A path to no attribute of the
 * User or enterprise schemas is refused (`invalidPath`), and so is removing what a person cannot lack.
 */
export function applyUserPatch(current: ScimUserState, operations: readonly ScimPatchOperation[]): ScimUserState {
  const state = { ...current };
  for (const operation of operations) {
    if (operation.path === undefined) {
      if (operation.op === 'remove') throw scimError('noTarget', 'a remove operation needs a path');
      if (!isObject(operation.value)) throw scimError('invalidValue', 'an operation without a path carries an object of attributes');
      for (const [key, value] of Object.entries(operation.value)) {
        if (key.toLowerCase() === SCIM.enterpriseUser.toLowerCase()) {
          if (!isObject(value)) throw scimError('invalidValue', `${key}: must be an object`);
          for (const [inner, innerValue] of Object.entries(value)) setUserAttribute(state, `${key}:${inner}`, operation.op, innerValue);
        } else if (key !== 'schemas' && key !== 'id' && key !== 'meta') {
          setUserAttribute(state, key, operation.op, value);
        }
      }
    } else {
      setUserAttribute(state, operation.path, operation.op, operation.value);
    }
  }
  return state;
}

function setUserAttribute(state: ScimUserState, path: string, op: 'add' | 'remove' | 'replace', value: unknown): void {
  const lower = path.toLowerCase();
  const base = lower.replace(/\[.*$/, '');
  const remove = op === 'remove';
  if (lower === 'active') {
    if (remove) throw scimError('mutability', 'active cannot be removed; replace it with false');
    state.active = parseInput(scimBoolean, value, () => ({ message: 'active: must be true or false', field: 'active' }));
  } else if (lower === 'username') {
    state.userName = requiredString(value, 'userName', remove);
  } else if (lower === 'externalid') {
    state.externalId = remove ? null : optionalString(value, 'externalId');
  } else if (lower === 'displayname' || lower === 'name.formatted') {
    state.displayName = remove ? null : optionalString(value, path);
  } else if (lower === 'name') {
    if (remove) state.displayName = null;
    else if (isObject(value)) {
      const formatted = Object.entries(value).find(([key]) => key.toLowerCase() === 'formatted')?.[1];
      if (formatted !== undefined) state.displayName = optionalString(formatted, 'name.formatted');
    } else throw scimError('invalidValue', 'name: must be an object');
  } else if (base === 'emails') {
    if (remove) throw scimError('mutability', 'emails: a person needs an email address; replace it instead');
    if (lower === 'emails') {
      const emails = parseInput(
        z.array(z.object({ value: z.string(), primary: scimBoolean.nullish() }).passthrough()).min(1),
        value,
        explainScimIssue,
      );
      state.email = primaryEmail(emails)!;
    } else if (/^emails\[(type eq "work"|primary eq true)\]\.value$/.test(lower)) {
      state.email = requiredString(value, path, false);
    } else {
      throw scimError('invalidPath', `${path}: Countersign keeps one email, at emails[type eq "work"].value`);
    }
  } else if (lower === MANAGER || lower === `${MANAGER}.value`) {
    state.managerId = remove ? null : managerIdOf(value);
  } else if (!IGNORED_USER_ATTRIBUTES.has(base) && !IGNORED_USER_ATTRIBUTES.has(lower.replace(/\[.*?\]/, ''))) {
    throw scimError('invalidPath', `${path}: no such attribute of a User`);
  }
}

/**
 * A Group PatchOp's operations (RFC 7644 §3.5.2), as the major directories send them: members added with a value
 * array, removed by `members[value eq "id"]` or with a value array, replaced; the name replaced with or without a
 * path. Applied in order: a later operation on a member overrides an earlier one.
 */
export function groupPatch(operations: readonly ScimPatchOperation[]): ScimGroupPatch {
  const patch: ScimGroupPatch = {};
  const members = () => (patch.members ??= { add: [], remove: [] });
  const add = (ids: string[]) => {
    const set = members();
    set.add = [...new Set([...set.add, ...ids])];
    set.remove = set.remove.filter((id) => !ids.includes(id));
  };
  const remove = (ids: string[]) => {
    const set = members();
    set.remove = [...new Set([...set.remove, ...ids])];
    set.add = set.add.filter((id) => !ids.includes(id));
  };
  const set = (attribute: string, op: 'add' | 'remove' | 'replace', value: unknown) => {
    const lower = attribute.toLowerCase();
    const filtered = /^members\[value eq "([^"]+)"\]$/i.exec(attribute);
    if (lower === 'members') {
      if (op === 'remove' && value === undefined) patch.members = { replace: [], add: [], remove: [] };
      else if (op === 'replace') patch.members = { replace: memberIds(value), add: [], remove: [] };
      else if (op === 'add') add(memberIds(value));
      else remove(memberIds(value));
    } else if (filtered) {
      if (op !== 'remove') throw scimError('invalidPath', `${attribute}: members are added with path "members" and a value array`);
      remove([filtered[1]]);
    } else if (lower === 'displayname') {
      patch.displayName = requiredString(value, 'displayName', op === 'remove');
    } else if (lower === 'externalid') {
      patch.externalId = op === 'remove' ? null : optionalString(value, 'externalId');
    } else if (lower !== 'id' && lower !== 'schemas' && lower !== 'meta') {
      throw scimError('invalidPath', `${attribute}: no such attribute of a Group`);
    }
  };
  for (const operation of operations) {
    if (operation.path !== undefined) set(operation.path, operation.op, operation.value);
    else if (operation.op === 'remove') throw scimError('noTarget', 'a remove operation needs a path');
    else if (isObject(operation.value)) for (const [key, value] of Object.entries(operation.value)) set(key, operation.op, value);
    else throw scimError('invalidValue', 'an operation without a path carries an object of attributes');
  }
  return patch;
}

function memberIds(value: unknown): string[] {
  return parseInput(z.array(MemberValue).max(10_000), value, () => ({
    message: 'members: the value must be an array of {"value": "<person id>"}',
    field: 'members',
  })).map((member) => member.value);
}

function requiredString(value: unknown, attribute: string, remove: boolean): string {
  if (remove) throw scimError('mutability', `${attribute} is required and cannot be removed`);
  if (typeof value !== 'string' || value.trim() === '') throw scimError('invalidValue', `${attribute}: must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, attribute: string): string | null {
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw scimError('invalidValue', `${attribute}: must be a string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
