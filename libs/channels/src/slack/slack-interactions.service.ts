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
import { checkSlackPayload, parseSlackPayload, type SlackPayload } from './slack-payload.input';
import { type SlackUserRef } from './slack-binding';

class Refusal extends Error {}

/**
 * What Slack interactions do, whichever way they came in (HTTP or Socket Mode, ADR 0022); the Bolt listeners call
 * it after they acknowledged. A click decides only if: it was not seen before, `api_app_id` is ours, the clicking
 * user (id + team, or id + Enterprise Grid org) is linked to an active person, the click came from the DM we sent
 * that person, and the DecisionService accepts it (eligibility, step-up, one decision per person, quorum). Anything
 * else leaves the approval as it was and is audited; a decision refused after the acknowledgement is told to the
 * person in Slack.
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

  /** A request whose signature or timestamp did not verify, audited before the 401. */
  async signatureRefused(problem: string): Promise<void> {
    await this.refused(SYSTEM, null, problem, {});
  }

  /** The HTTP edge's parse: a signed body refused as bad input is audited, and the refusal (400) names the field. */
  async parseHttp(rawBody: string): Promise<SlackPayload> {
    try {
      return parseSlackPayload(rawBody);
    } catch (error) {
      if (error instanceof DomainError) await this.refused(SYSTEM, null, 'invalid_payload', { detail: error.message, ...error.details });
      throw error;
    }
  }

  /**
   * The checks every interaction passes before any listener, on both ways in: a payload of the expected shape,
   * not seen before (`replayKey`: the request's signature over HTTP, the envelope id over Socket Mode), and our
   * app's. Null when refused (audited); the caller acknowledges and stops.
   */
  async admit(body: unknown, replayKey: string | undefined): Promise<SlackPayload | null> {
    let payload: SlackPayload;
    try {
      payload = checkSlackPayload(body);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      await this.refused(SYSTEM, null, 'invalid_payload', { detail: error.message, ...error.details });
      return null;
    }
    if (!replayKey || !(await this.identities.firstSeen(replayKey))) {
      await this.refused(SYSTEM, approvalIdOf(payload), 'replay', slackUser(payload));
      return null;
    }
    if (payload.api_app_id !== this.config.slack?.appId) {
      await this.refused(SYSTEM, approvalIdOf(payload), 'wrong_app', slackUser(payload));
      return null;
    }
    return payload;
  }

  /** An Approve click (acknowledged). */
  async approveClicked(payload: SlackPayload): Promise<void> {
    await this.refusing(payload, async () => {
      const { person, approvalId, dm } = await this.dmClick(payload);
      await this.decide(person, approvalId, 'approve', null, dm, userIdOf(payload)!);
    });
  }

  /**
   * A Deny click (acknowledged): the modal asking for a reason opens right away (its trigger is valid for 3 s after
   * the click); when it cannot, the click denies without a reason.
   */
  async denyClicked(payload: SlackPayload): Promise<void> {
    await this.refusing(payload, async () => {
      const { person, approvalId, dm } = await this.dmClick(payload);
      if (payload.trigger_id) {
        try {
          await this.slack.openDenyModal(
            payload.trigger_id,
            approvalId,
            'Deny this request? The agent will be told it was denied, with your reason if you give one.',
          );
          return;
        } catch (error) {
          this.logger.warn(`could not open the deny modal, denying without a reason: ${(error as Error).message}`);
        }
      }
      await this.decide(person, approvalId, 'deny', null, dm, userIdOf(payload)!);
    });
  }

  /**
   * The deny modal's reason, checked before the submission is acknowledged (Slack shows the error in the modal): the
   * modal's input is text capped at the decision reason's length, anything else did not come from it.
   */
  reasonProblem(payload: SlackPayload): string | null {
    const reason = reasonOf(payload);
    if (reason === null || (typeof reason === 'string' && reason.length <= MAX_DECISION_REASON)) return null;
    return `The reason can be at most ${MAX_DECISION_REASON} characters.`;
  }

  /** The deny modal submitted (acknowledged, the modal closed). */
  async reasonSubmitted(payload: SlackPayload): Promise<void> {
    await this.refusing(payload, async () => {
      if (this.reasonProblem(payload)) throw new Refusal('invalid_reason');
      const person = await this.clicker(payload);
      const approvalId = payload.view?.private_metadata ?? '';
      const dm = (await this.dmsOf(person, approvalId))[0] ?? null;
      await this.decide(person, approvalId, 'deny', decisionReason(reasonOf(payload) as string | null), dm, userIdOf(payload)!);
    });
  }

  /** The Slack user of a slash command or an event, for the Home tab and the command's answer. */
  userOf(payload: SlackPayload): SlackUserRef | null {
    const userId = userIdOf(payload);
    if (!userId) return null;
    return { userId, teamId: teamIdOf(payload), enterpriseId: enterpriseIdOf(payload) };
  }

  /** The person behind a click in the DM Countersign sent them about this approval, or a refusal. */
  private async dmClick(payload: SlackPayload): Promise<{ person: PersonRecord; approvalId: string; dm: string }> {
    const approvalId = payload.actions?.[0]?.value ?? '';
    const person = await this.clicker(payload);
    // Anyone in a channel could click a message's buttons: only the DM Countersign sent this person counts.
    const clickedIn = payload.channel?.id ?? payload.container?.channel_id;
    if (!clickedIn || !(await this.dmsOf(person, approvalId)).includes(clickedIn)) throw new Refusal('not_the_persons_dm');
    return { person, approvalId, dm: clickedIn };
  }

  private async dmsOf(person: PersonRecord, approvalId: string): Promise<string[]> {
    return (await this.deliveries.ofApproval(approvalId))
      .filter((delivery) => delivery.personId === person.id && delivery.channel === 'slack')
      .map((delivery) => delivery.externalRef?.channel)
      .filter((channel): channel is string => typeof channel === 'string');
  }

  /**
   * The linked, active person behind this Slack user, or a refusal. In an Enterprise Grid org the identity is
   * (org, user id) and the workspace may differ; outside one it is (team, user id), and the click's workspace must
   * be the user's.
   */
  private async clicker(payload: SlackPayload): Promise<PersonRecord> {
    const bound = await bindSlackUser(this.identities, { ...this.userOf(payload), workspaceId: payload.team?.id ?? null });
    if ('refusal' in bound) throw new Refusal(bound.refusal);
    return bound.person;
  }

  /**
   * The one place a Slack decision is made. After the acknowledgement nobody waits for the answer: a decision the
   * service refuses (already decided, not eligible, step-up needed, expired) or that fails (the database) is told
   * to the person in the DM, as a message only they see.
   */
  private async decide(
    person: PersonRecord,
    approvalId: string,
    verdict: Verdict,
    reason: string | null,
    dm: string | null,
    slackUserId: string,
  ): Promise<void> {
    const action = verdict === 'approve' ? 'approval' : 'denial';
    let told: string;
    try {
      await this.decisions.decide(person, approvalId, { verdict, reason, stepUp: null }, 'slack');
      return;
    } catch (error) {
      if (error instanceof DomainError) {
        // The DecisionService audits its own refusals; one it cannot attribute to the approval (not eligible) is ours.
        if (error.code === 'not_found') await this.refused({ type: 'person', id: person.id }, approvalId, 'not_eligible', {});
        this.logger.log(`Slack ${verdict} by ${person.id} on ${approvalId} refused: ${error.code}`);
        told = `Countersign did not record your ${action}: ${error.message}.`;
      } else {
        this.logger.error(`Slack ${verdict} by ${person.id} on ${approvalId} failed: ${(error as Error).message}`);
        told = `Countersign could not record your ${action} just now. Please try again.`;
      }
    }
    if (dm) await this.tell(dm, slackUserId, `${told} The request: ${this.config.publicUrl}/approvals/${approvalId}`);
  }

  /** Runs a listener's work after the acknowledgement: refusals are audited; a failure is logged and told to the person. */
  private async refusing(payload: SlackPayload, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof Refusal) return this.refused(SYSTEM, approvalIdOf(payload), error.message, slackUser(payload));
      this.logger.error(`a Slack ${payload.type ?? 'interaction'} failed after its acknowledgement: ${(error as Error).message}`);
      const channel = payload.channel?.id ?? payload.container?.channel_id;
      const user = userIdOf(payload);
      if (channel && user) await this.tell(channel, user, 'Countersign could not handle your click just now. Please try again.');
    }
  }

  private async tell(channel: string, slackUserId: string, text: string): Promise<void> {
    try {
      await this.slack.tell(channel, slackUserId, text);
    } catch (error) {
      this.logger.warn(`could not tell Slack user ${slackUserId} that an interaction failed: ${(error as Error).message}`);
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

function reasonOf(payload: SlackPayload): unknown {
  return payload.view?.state?.values?.reason?.reason?.value ?? null;
}

function approvalIdOf(payload: SlackPayload): string | null {
  return payload.actions?.[0]?.value ?? payload.view?.private_metadata ?? null;
}

function userIdOf(payload: SlackPayload): string | null {
  return payload.user?.id ?? payload.user_id ?? payload.event?.user ?? null;
}

function teamIdOf(payload: SlackPayload): string | null {
  return payload.user?.team_id ?? payload.team?.id ?? payload.team_id ?? null;
}

function enterpriseIdOf(payload: SlackPayload): string | null {
  return payload.enterprise?.id ?? payload.enterprise_id ?? null;
}

function slackUser(payload: SlackPayload): Record<string, unknown> {
  return { slack_user_id: userIdOf(payload), team_id: teamIdOf(payload), enterprise_id: enterpriseIdOf(payload) };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
