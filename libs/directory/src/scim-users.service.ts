import { Inject, Injectable } from '@nestjs/common';
import { type Actor } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { PeopleService, type PersonChanges, type PersonRecord } from '@countersign/people';
import { isUuid, NO_ID } from './ids';
import { parseFilter } from './scim-filter';
import { type ScimListQuery, type ScimPatchBody, type ScimUserBody } from './scim-input';
import { applyUserPatch, checkSchemas, type ScimUserState, userFromBody } from './scim-patch';
import { listResponse, page, SCIM } from './scim-schemas';

/**
 * SCIM Users (RFC 7643 §4.1) over the people library: a User is a person, its id the person's. Every change goes
 * through PeopleService (one transaction, audited with the directory as actor); `active: false` and DELETE disable
 * the person through the one way a person is disabled (PeopleService.update), and DELETE also hides them from
 * SCIM: the row stays for the audit log (docs/adr/0017-scim-provisioning.md).
 */
@Injectable()
export class ScimUsersService {
  private readonly base: string;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly people: PeopleService,
  ) {
    this.base = `${config.publicUrl}/scim/v2`;
  }

  async list(query: ScimListQuery) {
    const filter = query.filter === undefined ? null : parseFilter(query.filter, ['userName', 'externalId', 'id']);
    const { startIndex, offset, limit } = page(query);
    const { total, people } = await this.people.listForDirectory({
      userName: filter?.attribute === 'userName' ? filter.value : undefined,
      externalId: filter?.attribute === 'externalId' ? filter.value : undefined,
      id: filter?.attribute === 'id' ? (isUuid(filter.value) ? filter.value : NO_ID) : undefined,
      offset,
      limit,
    });
    return listResponse(
      people.map((person) => this.resource(person)),
      total,
      startIndex,
    );
  }

  async get(id: string) {
    return this.resource(await this.existing(id));
  }

  async create(actor: Actor, body: ScimUserBody) {
    checkSchemas(body.schemas, SCIM.user, [SCIM.user, SCIM.enterpriseUser]);
    const state = userFromBody(body);
    const person = await this.people.add(actor, {
      email: state.email,
      displayName: state.displayName ?? undefined,
      role: this.config.scimDefaultRole,
      permissions: [],
      status: state.active ? 'active' : 'disabled',
      userName: state.userName,
      externalId: state.externalId ?? undefined,
      managerId: state.managerId ?? undefined,
    });
    return this.resource(person);
  }

  async replace(actor: Actor, id: string, body: ScimUserBody) {
    checkSchemas(body.schemas, SCIM.user, [SCIM.user, SCIM.enterpriseUser]);
    const person = await this.existing(id);
    return this.resource(await this.apply(actor, person, userFromBody(body)));
  }

  async patch(actor: Actor, id: string, body: ScimPatchBody) {
    checkSchemas(body.schemas, SCIM.patchOp, [SCIM.patchOp]);
    const person = await this.existing(id);
    return this.resource(await this.apply(actor, person, applyUserPatch(stateOf(person), body.Operations)));
  }

  /** Disables the person (the one way: PeopleService.update) and hides them from SCIM; their row stays for the audit. */
  async remove(actor: Actor, id: string): Promise<void> {
    const person = await this.existing(id);
    await this.people.update(actor, person.id, { status: 'disabled', deletedByDirectory: true });
  }

  private async apply(actor: Actor, person: PersonRecord, next: ScimUserState): Promise<PersonRecord> {
    const current = stateOf(person);
    const changes: PersonChanges = {};
    if (next.email.toLowerCase() !== person.email) changes.email = next.email;
    if ((next.displayName ?? next.email) !== person.displayName) changes.displayName = next.displayName ?? next.email;
    if (next.userName !== current.userName) changes.userName = next.userName;
    if (next.externalId !== current.externalId) changes.externalId = next.externalId;
    if (next.managerId !== current.managerId) changes.managerId = next.managerId;
    if (next.active !== current.active) changes.status = next.active ? 'active' : 'disabled';
    return Object.keys(changes).length === 0 ? person : this.people.update(actor, person.id, changes);
  }

  private async existing(id: string): Promise<PersonRecord> {
    const person = isUuid(id) ? (await this.people.listForDirectory({ id, offset: 0, limit: 1 })).people[0] : undefined;
    if (!person) throw new DomainError('not_found', `no User ${JSON.stringify(id)}`);
    return person;
  }

  private resource(person: PersonRecord) {
    const location = `${this.base}/Users/${person.id}`;
    return {
      schemas: person.managerId ? [SCIM.user, SCIM.enterpriseUser] : [SCIM.user],
      id: person.id,
      ...(person.externalId === null ? {} : { externalId: person.externalId }),
      userName: person.userName ?? person.email,
      name: { formatted: person.displayName },
      displayName: person.displayName,
      emails: [{ value: person.email, type: 'work', primary: true }],
      active: person.status === 'active',
      ...(person.managerId
        ? { [SCIM.enterpriseUser]: { manager: { value: person.managerId, $ref: `${this.base}/Users/${person.managerId}` } } }
        : {}),
      meta: { resourceType: 'User', created: person.createdAt.toISOString(), lastModified: person.createdAt.toISOString(), location },
    };
  }
}

/** A person as SCIM sees them; one added by hand (no user name yet) is known to the directory by their email. */
function stateOf(person: PersonRecord): ScimUserState {
  return {
    userName: person.userName ?? person.email,
    externalId: person.externalId,
    displayName: person.displayName,
    email: person.email,
    active: person.status === 'active',
    managerId: person.managerId,
  };
}
