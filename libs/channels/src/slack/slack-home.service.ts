import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';

/** The Slack user an event or command came from: user id with its workspace and, in Enterprise Grid, its org. */
export interface SlackUserRef {
  userId: string;
  teamId: string | null;
  enterpriseId: string | null;
}

/**
 * The App Home tab and the slash command's answer. A placeholder with the final interface: the App Home helper's
 * implementation (issue 19) replaces this file at merge; the Bolt listeners only delegate to it.
 */
@Injectable()
export class SlackHomeService {
  constructor(@Inject(CONFIG) private readonly config: CountersignConfig) {}

  /** app_home_opened: publish the person's Home tab (views.publish). */
  homeOpened(_user: SlackUserRef): Promise<void> {
    // The Home tab comes with the App Home helper's implementation.
    return Promise.resolve();
  }

  /** The slash command's answer: an ephemeral message listing the person's pending approvals. */
  commandReply(_user: SlackUserRef, _text: string): Promise<{ response_type: 'ephemeral'; text: string; blocks?: unknown[] }> {
    return Promise.resolve({
      response_type: 'ephemeral',
      text: `Your pending approvals are in Countersign: ${this.config.publicUrl}/approvals`,
    });
  }
}
