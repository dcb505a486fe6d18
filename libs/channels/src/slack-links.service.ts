import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { DomainError } from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { type SlackIdentity, SlackIdentityRepository } from './slack-identity.repository';

export interface SlackLinkView {
  slack_user_id: string;
  team_id: string;
  enterprise_id: string | null;
  linked_by: string;
}

const view = (identity: SlackIdentity): SlackLinkView => ({
  slack_user_id: identity.slackUserId,
  team_id: identity.teamId,
  enterprise_id: identity.enterpriseId,
  linked_by: identity.linkedBy,
});

/** Explicit Slack links: an admin sets a person's Slack user (and team); a person or an admin removes it. */
@Injectable()
export class SlackLinksService {
  constructor(
    private readonly identities: SlackIdentityRepository,
    private readonly people: PeopleService,
    private readonly audit: AuditService,
  ) {}

  async get(person: PersonRecord): Promise<SlackLinkView | null> {
    const identity = await this.identities.forPerson(person.id);
    return identity ? view(identity) : null;
  }

  async link(actor: Actor, reference: string, body: unknown): Promise<SlackLinkView> {
    const person = await this.person(reference);
    const value = (body ?? {}) as { user_id?: unknown; team_id?: unknown; enterprise_id?: unknown };
    if (typeof value.user_id !== 'string' || !/^[UW][A-Z0-9]{2,}$/.test(value.user_id))
      throw new DomainError('invalid_request', 'user_id must be a Slack user id (U…)', { field: 'user_id' });
    if (typeof value.team_id !== 'string' || !/^T[A-Z0-9]{2,}$/.test(value.team_id))
      throw new DomainError('invalid_request', 'team_id must be a Slack team id (T…)', { field: 'team_id' });
    if (
      value.enterprise_id !== undefined &&
      value.enterprise_id !== null &&
      (typeof value.enterprise_id !== 'string' || !/^E[A-Z0-9]{2,}$/.test(value.enterprise_id))
    ) {
      throw new DomainError('invalid_request', 'enterprise_id must be a Slack Enterprise Grid id (E…)', { field: 'enterprise_id' });
    }
    const identity: SlackIdentity = {
      personId: person.id,
      slackUserId: value.user_id,
      teamId: value.team_id,
      enterpriseId: value.enterprise_id ?? null,
      linkedBy: 'admin',
    };
    if (!(await this.identities.link(identity))) throw new DomainError('conflict', 'this Slack user is already linked to another person');
    await this.audit.record(actor, [
      {
        type: AuditEventType.SlackLinked,
        subject: { type: 'person', id: person.id },
        data: { slack_user_id: identity.slackUserId, team_id: identity.teamId, enterprise_id: identity.enterpriseId, by: 'admin' },
      },
    ]);
    return view(identity);
  }

  async unlink(actor: Actor, reference: string): Promise<void> {
    const person = await this.person(reference);
    if (!(await this.identities.unlink(person.id))) throw new DomainError('not_found', 'this person has no Slack link');
    await this.audit.record(actor, [{ type: AuditEventType.SlackUnlinked, subject: { type: 'person', id: person.id } }]);
  }

  private async person(reference: string): Promise<PersonRecord> {
    const person = await this.people.find(reference);
    if (!person) throw new DomainError('not_found', 'no such person');
    return person;
  }
}
