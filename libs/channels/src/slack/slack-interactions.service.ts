import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DecisionService } from '@countersign/approvals';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { decisionReason, DomainError, MAX_DECISION_REASON, type Verdict } from '@countersign/domain';
import { type PersonRecord } from '@countersign/people';
import { DeliveryRepository } from '../delivery.repository';
import { SlackChannel } from './slack.channel';
import { bindSlackUser } from './slack-binding';
import { SlackIdentityRepository } from './slack-identity.repository';
import { parseSlackPayload, type SlackPayload } from './slack-payload.input';
import { checkSlackSignature } from './slack-signature';

export interface SlackRequest {
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
}

/** The body answered to Slack: empty (ack), a URL-verification challenge, or a modal's response action. */
export type SlackAnswer = Record<string, unknown>;

class Refusal extends Error {}

/**
 * Slack interactivity (`POST /slack/events`). A click decides only if: the v0 signature verifies over the raw body
 * with |now − ts| ≤ 300 s, it was not seen before, `api_app_id` is ours, the clicking user id AND team (and
 * Enterprise Grid org) are the ones linked to an active person, the click came from the DM we sent that person,
 * and the DecisionService accepts it (eligibility, step-up, one decision per person, quorum). Anything else leaves
 * the approval as it was and is audited.
 */
@Injectable()
export class SlackInteractionsService {
  private readonly logger = new Logger(SlackInteractionsService.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly identities: SlackIdentityRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly decisions: DecisionService,
    private readonly slack: SlackChannel,
    private readonly audit: AuditService,
  ) {}

  async handle(request: SlackRequest): Promise<SlackAnswer> {
    const slack = this.config.slack;
    if (!slack) throw new DomainError('channel_unavailable', 'Slack is not configured on this deployment');
    const problem = checkSlackSignature(slack.signingSecret, request.rawBody, request.timestamp, request.signature);
    if (problem) {
      await this.refused(SYSTEM, null, problem, {});
      throw new DomainError('invalid_signature', `Slack request refused: ${problem.replace(/_/g, ' ')}`);
    }
    const payload = await this.parse(request.rawBody);
    if (payload.type === 'url_verification' && typeof payload.challenge === 'string') return { challenge: payload.challenge };
    // The signature covers timestamp and body: the same signature twice is the same request replayed.
    if (!(await this.identities.firstSeen(createHash('sha256').update(request.signature!).digest('hex')))) {
      await this.refused(SYSTEM, approvalIdOf(payload), 'replay', slackUser(payload));
      return {};
    }
    try {
      if (payload.api_app_id !== slack.appId) throw new Refusal('wrong_app');
      if (payload.type === 'block_actions') return await this.blockAction(payload);
      if (payload.type === 'view_submission' && payload.view?.callback_id === 'deny_with_reason') return await this.denyWithReason(payload);
      return {};
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      await this.refused(SYSTEM, approvalIdOf(payload), error.message, slackUser(payload));
      return {};
    }
  }

  /** The payload as the Slack transport's edge parses it; a signed payload refused as bad input is audited. */
  private async parse(rawBody: string): Promise<SlackPayload> {
    try {
      return parseSlackPayload(rawBody);
    } catch (error) {
      if (error instanceof DomainError) await this.refused(SYSTEM, null, 'invalid_payload', { detail: error.message, ...error.details });
      throw error;
    }
  }

  private async blockAction(payload: SlackPayload): Promise<SlackAnswer> {
    const action = payload.actions?.[0];
    if (action?.action_id !== 'approve' && action?.action_id !== 'deny') return {};
    const approvalId = action.value ?? '';
    const person = await this.clicker(payload);
    // Anyone in a channel could click a message's buttons: only the DM Countersign sent this person counts.
    const clickedIn = payload.channel?.id ?? payload.container?.channel_id;
    const dms = (await this.deliveries.ofApproval(approvalId))
      .filter((delivery) => delivery.personId === person.id && delivery.channel === 'slack')
      .map((delivery) => delivery.externalRef?.channel);
    if (!clickedIn || !dms.includes(clickedIn)) throw new Refusal('not_the_persons_dm');
    if (action.action_id === 'deny' && payload.trigger_id) {
      try {
        await this.slack.openDenyModal(
          payload.trigger_id,
          approvalId,
          'Deny this request? The agent will be told it was denied, with your reason if you give one.',
        );
        return {};
      } catch (error) {
        this.logger.warn(`could not open the deny modal, denying without a reason: ${(error as Error).message}`);
      }
    }
    await this.decide(person, approvalId, action.action_id === 'approve' ? 'approve' : 'deny', null);
    return {};
  }

  private async denyWithReason(payload: SlackPayload): Promise<SlackAnswer> {
    const person = await this.clicker(payload);
    const reason: unknown = payload.view?.state?.values?.reason?.reason?.value ?? null;
    // The modal's input is text capped at the same length: anything else did not come from it.
    if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_DECISION_REASON)) throw new Refusal('invalid_reason');
    await this.decide(person, payload.view?.private_metadata ?? '', 'deny', decisionReason(reason));
    return { response_action: 'clear' };
  }

  /** The linked, active person behind this Slack user in this team (and Grid org), or a refusal. */
  private async clicker(payload: SlackPayload): Promise<PersonRecord> {
    const bound = await bindSlackUser(this.identities, {
      userId: payload.user?.id,
      userTeamId: payload.user?.team_id,
      teamId: payload.team?.id ?? null,
      enterpriseId: payload.enterprise?.id ?? null,
    });
    if ('refusal' in bound) throw new Refusal(bound.refusal);
    return bound.person;
  }

  private async decide(person: PersonRecord, approvalId: string, verdict: Verdict, reason: string | null): Promise<void> {
    try {
      await this.decisions.decide(person, approvalId, { verdict, reason, stepUp: null }, 'slack');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // The DecisionService audits its own refusals; one it cannot attribute to the approval (not eligible) is ours.
      if (error.code === 'not_found') await this.refused({ type: 'person', id: person.id }, approvalId, 'not_eligible', {});
      this.logger.log(`Slack ${verdict} by ${person.id} on ${approvalId} refused: ${error.code}`);
    }
  }

  private async refused(actor: Actor, approvalId: string | null, reason: string, data: Record<string, unknown>): Promise<void> {
    await this.audit.record(actor, [
      {
        type: AuditEventType.SlackInteractionRefused,
        ...(approvalId && isUuid(approvalId) ? { subject: { type: 'approval', id: approvalId } } : {}),
        data: { reason, ...data },
      },
    ]);
  }
}

function approvalIdOf(payload: SlackPayload): string | null {
  return payload.actions?.[0]?.value ?? payload.view?.private_metadata ?? null;
}

function slackUser(payload: SlackPayload): Record<string, unknown> {
  return {
    slack_user_id: payload.user?.id ?? null,
    team_id: payload.user?.team_id ?? payload.team?.id ?? null,
    enterprise_id: payload.enterprise?.id ?? null,
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
