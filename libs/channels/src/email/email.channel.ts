import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CONFIG, type CountersignConfig, MAILER, type Mailer, SmtpError } from '@countersign/config';
import { PermanentJobError } from '@countersign/queue';
import { DeliveryRepository } from '../delivery.repository';
import { renderApprovalEmail, renderOutcomeEmail } from './email-message';
import { type DeliveryOutcome, type Notification, type NotificationChannel } from '../notification-channel';

/**
 * Email through the deployment's SMTP server (SMTP_URL), to the person's address (people.email): one mail per
 * delivery, with the approval's summary and a link to its page in the web app, never a link or token that decides
 * anything (docs/adr/0021-email-channel.md).
 *
 * The SMTP server's answer is the outcome: a 5xx (an unknown mailbox, a refused message) fails the delivery at once
 * (PermanentJobError: the job gives up, and a person left without a channel brings the escalation forward), a 4xx or
 * a connection that fails is retried with the job's backoff. Once the server has taken the mail, that is recorded
 * (`external_ref.accepted`) before anything else, so a retry after a crash does not send it again.
 */
@Injectable()
export class EmailChannel implements NotificationChannel {
  readonly type = 'email' as const;
  readonly enabled: boolean;
  private readonly logger = new Logger(EmailChannel.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly deliveries: DeliveryRepository,
    @Optional() @Inject(MAILER) private readonly mailer: Mailer | null = null,
  ) {
    this.enabled = mailer !== null;
  }

  async deliver(notification: Notification): Promise<DeliveryOutcome> {
    const mailer = this.mailer;
    if (!mailer) return { state: 'off', detail: 'email is not configured on this deployment (SMTP_URL)' };
    const messageId = this.messageId(notification.deliveryId);
    // An earlier attempt got the mail accepted but died before recording the delivery as sent.
    if (notification.externalRef?.accepted === true)
      return { state: 'sent', externalRef: notification.externalRef, detail: 'an earlier attempt handed the mail to the SMTP server' };
    const content = renderApprovalEmail(notification.approval, { publicUrl: this.config.publicUrl, kind: notification.kind });
    try {
      await mailer.send({ to: notification.person.email, ...content, messageId });
    } catch (error) {
      if (error instanceof SmtpError && error.permanent) throw new PermanentJobError(error.message);
      throw error;
    }
    const externalRef = { message_id: messageId, accepted: true };
    // First thing after the server's 250: a worker dying after this line leaves a retry that finds it.
    await this.deliveries.recordProgress(notification.deliveryId, externalRef);
    return { state: 'sent', externalRef };
  }

  /**
   * A sent mail cannot be edited: the outcome is a second mail, in the request's thread, once per person (for the
   * request's delivery; a reminder's adds no third mail). A 5xx is logged and not retried (the person's mailbox
   * refuses it); a 4xx or a connection failure throws, and the outcome job tries again.
   */
  async showOutcome(notification: Notification): Promise<void> {
    const mailer = this.mailer;
    if (!mailer || notification.kind !== 'request' || notification.externalRef?.accepted !== true) return;
    const content = renderOutcomeEmail(notification.approval, this.config.publicUrl);
    try {
      await mailer.send({
        to: notification.person.email,
        ...content,
        messageId: this.messageId(`${notification.deliveryId}.outcome`),
        inReplyTo: this.messageId(notification.deliveryId),
      });
    } catch (error) {
      if (!(error instanceof SmtpError && error.permanent)) throw error;
      this.logger.warn(`outcome mail of delivery ${notification.deliveryId} refused: ${error.message}`);
    }
  }

  /** A fixed Message-ID per delivery: a copy sent twice (see the ADR) is recognisably one message. */
  private messageId(local: string): string {
    return `<${local}@${new URL(this.config.publicUrl).hostname || 'countersign'}>`;
  }
}
