import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type TurnContext } from 'botbuilder';
import { DecisionService, isUuid } from '@countersign/approvals';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { decisionReason, DomainError, MAX_DECISION_REASON, type Verdict } from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import { DeliveryRepository } from '../delivery.repository';
import { isAllowedServiceUrl, TEAMS_BOT_FRAMEWORK, type TeamsBotFramework } from './teams-bot-framework';
import { TEAMS_VERBS, type TeamsVerb } from './teams-card';
import { parseTeamsActivity, type TeamsActivity } from './teams-activity.input';
import { TeamsIdentityRepository } from './teams-identity.repository';

/** What the Bot Framework POSTs to `/teams/messages`: the Authorization header and the activity. */
export interface TeamsRequest {
  authorization: string | undefined;
  activity: TeamsActivity;
}

/** The HTTP answer: an invoke's response (the card action's message), or an empty 200 for other activities. */
export interface TeamsAnswer {
  status: number;
  body?: unknown;
}

class Refusal extends Error {}

const CARD_ACTION = 'adaptiveCard/action';

/**
 * Teams activities (`POST /teams/messages`). A card action decides only if: the Bot Framework token verifies (by
 * botbuilder's own code: signature against the configured OpenID metadata's keys, issuer, audience = our app id,
 * expiry, the `serviceurl` claim = the activity's), the service URL is in TEAMS_SERVICE_URLS, the tenant is ours,
 * the activity was not seen before, the Entra user (and Teams user id) is the one linked to an active person, the
 * action came from the card we sent that person (conversation and activity id recorded on the delivery), and the
 * DecisionService accepts it. Anything else leaves the approval as it was and is audited. Installing the bot (or
 * writing to it) links the Teams user to the person with the same email address.
 */
@Injectable()
export class TeamsActivitiesService {
  private readonly logger = new Logger(TeamsActivitiesService.name);

  constructor(
    @Inject(TEAMS_BOT_FRAMEWORK) private readonly bot: TeamsBotFramework | null,
    private readonly identities: TeamsIdentityRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly decisions: DecisionService,
    private readonly people: PeopleService,
    private readonly audit: AuditService,
  ) {}

  /** The transport's parse of the body (ADR 0012); a body that is not an activity is refused and audited. */
  async parse(body: unknown): Promise<TeamsActivity> {
    try {
      return parseTeamsActivity(body);
    } catch (error) {
      if (error instanceof DomainError) await this.refused(SYSTEM, null, 'invalid_activity', { detail: error.message.slice(0, 300) });
      throw error;
    }
  }

  async handle(request: TeamsRequest): Promise<TeamsAnswer> {
    const bot = this.bot;
    if (!bot) throw new DomainError('channel_unavailable', 'Teams is not configured on this deployment');
    const incoming = request.activity;
    // Only the channel's own tokens: an Emulator or skill token (other issuers, other keys) never reaches botbuilder.
    if (tokenIssuer(request.authorization) !== bot.config.tokenIssuer) {
      await this.refused(SYSTEM, null, 'wrong_issuer', unverified(incoming));
      throw new DomainError('unauthenticated', 'Teams activity refused: not a Bot Framework channel token');
    }
    let authenticated;
    try {
      authenticated = await bot.authentication.authenticateRequest(incoming as never, request.authorization!);
    } catch (error) {
      await this.refused(SYSTEM, null, 'invalid_token', { ...unverified(incoming), detail: (error as Error).message.slice(0, 300) });
      throw new DomainError('unauthenticated', 'Teams activity refused: the token did not verify');
    }
    // Signed from here on. Where the bot would answer: never a service URL outside the allow-list (SSRF).
    if (!isAllowedServiceUrl(incoming.serviceUrl, bot.config.serviceUrls)) {
      await this.refused(SYSTEM, approvalIdOf(incoming), 'service_url_not_allowed', {
        ...teamsUser(incoming),
        service_url: String(incoming.serviceUrl).slice(0, 300),
      });
      throw new DomainError('forbidden', 'Teams activity refused: its service URL is not allowed');
    }
    const tenants = [incoming.channelData?.tenant?.id, incoming.conversation?.tenantId].filter((id) => id !== undefined && id !== null);
    if (incoming.channelId !== 'msteams' || tenants.length === 0 || tenants.some((id) => id !== bot.config.tenantId)) {
      await this.refused(
        SYSTEM,
        approvalIdOf(incoming),
        incoming.channelId !== 'msteams' ? 'wrong_channel' : 'wrong_tenant',
        teamsUser(incoming),
      );
      throw new DomainError('forbidden', 'Teams activity refused: not from this organization');
    }
    const answer = await bot.adapter.run(authenticated, incoming as never, (context) => this.turn(context, incoming));
    return answer ? { status: answer.status, body: answer.body } : { status: 200 };
  }

  private async turn(context: TurnContext, activity: TeamsActivity): Promise<void> {
    if (activity.type === 'invoke' && activity.name === CARD_ACTION) {
      const message = await this.cardAction(activity);
      await context.sendActivity({
        type: 'invokeResponse',
        value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message } },
      });
      return;
    }
    if (activity.conversation?.conversationType !== 'personal') return;
    // Installing the bot (Teams adds the bot, or the user, to the personal conversation) or writing to it.
    const installed =
      (activity.type === 'installationUpdate' && activity.action !== 'remove') ||
      activity.type === 'message' ||
      (activity.type === 'conversationUpdate' && (activity.membersAdded ?? []).length > 0);
    if (installed) await this.link(context, activity);
  }

  /** An Approve or Deny from a card: the message Teams shows the person in answer. */
  private async cardAction(activity: TeamsActivity): Promise<string> {
    const approvalId = approvalIdOf(activity);
    try {
      if (typeof activity.id !== 'string' || typeof activity.conversation?.id !== 'string') throw new Refusal('invalid_activity');
      const hash = createHash('sha256').update(`${activity.conversation.id}\n${activity.id}`).digest('hex');
      if (!(await this.identities.firstSeen(hash))) throw new Refusal('replay');
      const verb = activity.value?.action?.verb;
      if (
        activity.value?.action?.type !== 'Action.Execute' ||
        !TEAMS_VERBS.includes(verb as TeamsVerb) ||
        !approvalId ||
        !isUuid(approvalId)
      )
        throw new Refusal('invalid_action');
      const person = await this.clicker(activity);
      // Only the card Countersign sent this person, in their conversation with the bot, decides.
      const cards = (await this.deliveries.ofApproval(approvalId)).filter(
        (delivery) =>
          delivery.personId === person.id &&
          delivery.channel === 'teams' &&
          delivery.externalRef?.conversation_id === activity.conversation!.id &&
          delivery.externalRef?.activity_id === activity.replyToId,
      );
      if (cards.length === 0) throw new Refusal('not_the_persons_card');
      const reason: unknown = verb === 'deny' ? (activity.value?.action?.data?.reason ?? null) : null;
      if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_DECISION_REASON)) throw new Refusal('invalid_reason');
      return await this.decide(person, approvalId, verb as Verdict, decisionReason(reason));
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      await this.refused(SYSTEM, approvalId, error.message, teamsUser(activity));
      return error.message === 'replay' ? 'This action was already received.' : 'Countersign did not accept this action.';
    }
  }

  /** The linked, active person behind this Entra user and Teams user id in our tenant, or a refusal. */
  private async clicker(activity: TeamsActivity): Promise<PersonRecord> {
    const aadObjectId = activity.from?.aadObjectId;
    if (typeof aadObjectId !== 'string' || typeof activity.from?.id !== 'string') throw new Refusal('no_user');
    const linked = await this.identities.personFor(this.bot!.config.tenantId, aadObjectId);
    if (!linked) throw new Refusal('unknown_teams_user');
    if (linked.identity.teamsUserId !== activity.from.id) throw new Refusal('wrong_user');
    if (linked.person.status !== 'active') throw new Refusal('person_disabled');
    return linked.person;
  }

  private async decide(person: PersonRecord, approvalId: string, verdict: Verdict, reason: string | null): Promise<string> {
    try {
      await this.decisions.decide(person, approvalId, { verdict, reason, stepUp: null }, 'teams');
      return verdict === 'approve' ? 'Approved: your decision is recorded.' : 'Denied: your decision is recorded.';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // The DecisionService audits its own refusals; one it cannot attribute to the approval (not eligible) is ours.
      if (error.code === 'not_found') await this.refused({ type: 'person', id: person.id }, approvalId, 'not_eligible', {});
      this.logger.log(`Teams ${verdict} by ${person.id} on ${approvalId} refused: ${error.code}`);
      return `Countersign did not record this: ${error.message}`;
    }
  }

  /**
   * Links the Teams user to the active person with the same email address (the member's `email`, else its UPN, as
   * the connector reports it for this conversation), keeping the 1:1 conversation for proactive cards. A user
   * already linked keeps the link, with the conversation refreshed; one whose address matches nobody is not linked.
   */
  private async link(context: TurnContext, activity: TeamsActivity): Promise<void> {
    const from = activity.from;
    const tenantId = this.bot!.config.tenantId;
    if (typeof from?.id !== 'string' || typeof from.aadObjectId !== 'string' || typeof activity.conversation?.id !== 'string') return;
    const serviceUrl = activity.serviceUrl as string; // checked against the allow-list
    const known = await this.identities.personFor(tenantId, from.aadObjectId);
    if (known && known.identity.conversationId === activity.conversation.id && known.identity.serviceUrl === serviceUrl) return;
    let member: { aadObjectId?: string; email?: string; userPrincipalName?: string };
    try {
      const connector = await this.bot!.connector(serviceUrl);
      member = await connector.conversations.getConversationMember(activity.conversation.id, from.id);
    } catch (error) {
      this.logger.warn(`Teams member lookup failed: ${(error as Error).message}`);
      return;
    }
    let person = known?.person ?? null;
    for (const address of [member.email, member.userPrincipalName])
      if (!person && typeof address === 'string' && address.includes('@')) person = await this.people.findActive(address);
    if (member.aadObjectId !== from.aadObjectId || !person || person.status !== 'active') {
      await this.refused(SYSTEM, null, 'no_matching_person', teamsUser(activity));
      return;
    }
    const identity = {
      personId: person.id,
      tenantId,
      aadObjectId: from.aadObjectId,
      teamsUserId: from.id,
      serviceUrl,
      conversationId: activity.conversation.id,
    };
    if (!(await this.identities.link(identity))) {
      await this.refused(SYSTEM, null, 'teams_user_linked_elsewhere', teamsUser(activity));
      return;
    }
    await this.audit.record(SYSTEM, [
      {
        type: AuditEventType.TeamsLinked,
        subject: { type: 'person', id: person.id },
        data: { tenant_id: tenantId, aad_object_id: from.aadObjectId, by: 'email_match' },
      },
    ]);
    if (!known)
      await context.sendActivity({ type: 'message', text: 'Countersign will send you approval requests here.', textFormat: 'plain' });
  }

  private async refused(actor: Actor, approvalId: string | null, reason: string, data: Record<string, unknown>): Promise<void> {
    await this.audit.record(actor, [
      {
        type: AuditEventType.TeamsActivityRefused,
        ...(approvalId && isUuid(approvalId) ? { subject: { type: 'approval', id: approvalId } } : {}),
        data: { reason, ...data },
      },
    ]);
  }
}

/** The `iss` of a bearer token, read without verifying it (to route only channel tokens to verification). */
function tokenIssuer(authorization: string | undefined): string | null {
  const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(authorization ?? '');
  if (!match) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' && typeof (payload as { iss?: unknown }).iss === 'string'
      ? (payload as { iss: string }).iss
      : null;
  } catch {
    return null;
  }
}

function approvalIdOf(activity: TeamsActivity): string | null {
  const id = activity.value?.action?.data?.approval_id;
  return typeof id === 'string' ? id : null;
}

/** What an activity whose token did not verify claims: recorded as data, never as the event's subject. */
function unverified(activity: TeamsActivity): Record<string, unknown> {
  const claimed = approvalIdOf(activity);
  return { ...teamsUser(activity), claimed_approval_id: claimed && isUuid(claimed) ? claimed : null };
}

function teamsUser(activity: TeamsActivity): Record<string, unknown> {
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : null);
  return {
    aad_object_id: text(activity.from?.aadObjectId),
    teams_user_id: text(activity.from?.id),
    tenant_id: text(activity.channelData?.tenant?.id ?? activity.conversation?.tenantId),
    activity_id: text(activity.id),
  };
}
