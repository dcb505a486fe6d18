import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ApproverService } from '@countersign/approvals';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { groupMembersNamed } from '@countersign/domain';
import { PeopleService, type PersonRecord } from '@countersign/people';
import {
  jobId,
  JobName,
  PermanentJobError,
  QueueService,
  RetryLaterError,
  SLACK_HOME_PRIORITY,
  SLACK_HOME_WINDOW_MS,
} from '@countersign/queue';
import { SlackChannel } from './slack.channel';
import { bindSlackUser, type SlackBindingRefusal, type SlackUserRef } from './slack-binding';
import { DEFAULT_SLACK_COMMAND, type HomeRenderOptions, type PendingList, renderCommandReply, renderHomeView } from './slack-home';
import { type SlackIdentity, SlackIdentityRepository } from './slack-identity.repository';
import { ChannelsDeprovisioning } from '../channels-deprovisioning';

export { type SlackUserRef } from './slack-binding';

/** The inbox page read for a list: more than either list shows, so "and N more" is a count up to it. */
const INBOX_PAGE = 100;

/**
 * The Slack App Home tab and the slash command: a Slack user's pending approvals, as their Countersign inbox lists
 * them (ApproverService.inbox: the one eligibility definition, with escalation, groups and delegation). The Slack
 * user is taken as a person by the clicks' rule (`bindSlackUser`); anyone else is told they are not linked and
 * sees nothing. When an approval changes (SlackHomeWatcher), the Home tabs that may list it are republished from
 * the worker, only for people who opened theirs, coalesced per person.
 */
@Injectable()
export class SlackHomeService implements OnModuleInit {
  private readonly logger = new Logger(SlackHomeService.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly identities: SlackIdentityRepository,
    private readonly approver: ApproverService,
    private readonly people: PeopleService,
    private readonly slack: SlackChannel,
    private readonly queue: QueueService,
    private readonly audit: AuditService,
    private readonly deprovisioning: ChannelsDeprovisioning,
  ) {}

  onModuleInit(): void {
    this.deprovisioning.onSlackUnlinked((identity) => void this.unlinked(identity));
  }

  /** app_home_opened: publish the person's Home tab (views.publish). */
  async homeOpened(user: SlackUserRef): Promise<void> {
    const bound = await this.bind(user, 'home');
    if ('person' in bound) await this.identities.rememberHomeOpened(bound.person.id, bound.identity.slackUserId);
    const list = 'person' in bound ? await this.pendingOf(bound.person) : notListed(bound.refusal);
    try {
      await this.slack.publishHome(user.userId, renderHomeView(list, this.renderOptions()));
    } catch (error) {
      // Slack was busy or away: a linked person's tab is published by a job, retried like other Slack calls.
      if (!('person' in bound) || error instanceof PermanentJobError) throw error;
      this.logger.warn(`could not publish the Home tab of ${bound.person.id} now, a job retries: ${(error as Error).message}`);
      await this.enqueuePublish(bound.person.id, error instanceof RetryLaterError ? error.delayMs : 0);
    }
  }

  /** The slash command's answer: an ephemeral message listing the person's pending approvals. */
  async commandReply(user: SlackUserRef, text: string): Promise<{ response_type: 'ephemeral'; text: string; blocks?: unknown[] }> {
    const option = text.trim().toLowerCase();
    if (option === 'help') return renderCommandReply('help', this.renderOptions());
    if (option !== '') return renderCommandReply('unknown', this.renderOptions());
    const bound = await this.bind(user, 'command');
    return renderCommandReply('person' in bound ? await this.pendingOf(bound.person) : notListed(bound.refusal), this.renderOptions());
  }

  /** The job: the Home tabs that may list the approval (of people who opened theirs), each republished at its window's end. */
  async refreshFor(approvalId: string): Promise<void> {
    const approval = await this.approver.summary(approvalId);
    if (!approval) return;
    const viewers = await this.identities.homeViewersFor({
      onBehalfOfId: approval.on_behalf_of_id,
      entries: approval.eligible,
      groupMembers: groupMembersNamed(approval.eligible, approval.group_members),
    });
    await Promise.all(viewers.map((personId) => this.enqueuePublish(personId)));
  }

  /** The job: the person's Home tab as their inbox is now; nothing for someone unlinked or who never opened it. */
  async publish(personId: string): Promise<void> {
    const identity = await this.identities.forPerson(personId);
    if (!identity?.homeOpenedAt) return;
    const person = await this.people.find(personId);
    const list: PendingList = !person
      ? { state: 'not_linked' }
      : person.status !== 'active'
        ? { state: 'disabled' }
        : await this.pendingOf(person);
    await this.slack.publishHome(identity.slackUserId, renderHomeView(list, this.renderOptions()));
  }

  /**
   * A disabled person's link is gone: a Home tab they opened stops listing their approvals now (best effort, like a
   * live event: nothing is decided from it, and opening it again shows the same).
   */
  private async unlinked(identity: SlackIdentity): Promise<void> {
    if (!identity.homeOpenedAt) return;
    try {
      await this.slack.publishHome(identity.slackUserId, renderHomeView({ state: 'not_linked' }, this.renderOptions()));
    } catch (error) {
      this.logger.warn(`could not clear the Home tab of Slack user ${identity.slackUserId}: ${(error as Error).message}`);
    }
  }

  /**
   * One job per person per window, run at the window's end (or after `delayMs`, when Slack asked to wait longer):
   * every change in a window is in the inbox that job reads.
   */
  private enqueuePublish(personId: string, delayMs = 0): Promise<void> {
    const now = Date.now();
    const due = Math.max(now + delayMs, (Math.floor(now / SLACK_HOME_WINDOW_MS) + 1) * SLACK_HOME_WINDOW_MS);
    return this.queue.enqueue(
      JobName.PublishSlackHome,
      { personId },
      {
        jobId: jobId.publishSlackHome(personId, Math.floor(due / SLACK_HOME_WINDOW_MS)),
        delayMs: due - now,
        priority: SLACK_HOME_PRIORITY,
      },
    );
  }

  private async pendingOf(person: PersonRecord): Promise<PendingList> {
    const inbox = await this.approver.inbox(person, { status: 'pending', limit: String(INBOX_PAGE) });
    return { state: 'listed', approvals: inbox.approvals, more: inbox.next_cursor !== null };
  }

  /** The person behind the Slack user, or the refusal, audited like a refused click. */
  private async bind(user: SlackUserRef, surface: 'home' | 'command'): ReturnType<typeof bindSlackUser> {
    const bound = await bindSlackUser(this.identities, user);
    if ('refusal' in bound)
      await this.audit.record(SYSTEM, [
        {
          type: AuditEventType.SlackInteractionRefused,
          data: { reason: bound.refusal, surface, slack_user_id: user.userId, team_id: user.teamId, enterprise_id: user.enterpriseId },
        },
      ]);
    return bound;
  }

  private renderOptions(): HomeRenderOptions {
    return { publicUrl: this.config.publicUrl, command: this.config.slack?.command ?? DEFAULT_SLACK_COMMAND };
  }
}

function notListed(refusal: SlackBindingRefusal): PendingList {
  return refusal === 'person_disabled' ? { state: 'disabled' } : { state: 'not_linked' };
}
