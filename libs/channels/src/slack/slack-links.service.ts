import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { type SlackLink, type SlackLinkRequest } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { type SlackIdentity, SlackIdentityRepository } from './slack-identity.repository';

/** A Slack link on the wire (libs/contract's `SlackLink`). */
export type SlackLinkView = SlackLink;

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

  /** Links a person to a Slack user; the ids are the shapes SlackLinkRequest checked at the transport. */
  async link(actor: Actor, reference: string, value: SlackLinkRequest): Promise<SlackLinkView> {
    const person = await this.person(reference);
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
