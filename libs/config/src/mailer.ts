import { createTransport } from 'nodemailer';
import { type CountersignConfig } from './config';

/**
 * Sending mail through the deployment's SMTP server (SMTP_URL). Kept here, beside the configuration, like the
 * outbound agents: both libraries that send mail (channels: approval notifications; people: enrollment links) depend
 * on this one and not on each other, and every app (the CLI too) has it through ConfigModule.
 */

/** One message to one address. Everything in it is already rendered and escaped by the caller. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A fixed Message-ID (`<id@host>`): a resent copy is recognisably the same message. */
  messageId?: string;
  /** The Message-ID this one follows (an outcome after its request): mail clients thread them. */
  inReplyTo?: string;
}

/** The SMTP server took the message for delivery (its reply, e.g. `250 OK: queued as …`). */
export interface MailSent {
  messageId: string;
  response: string;
}

/**
 * The SMTP server refused, or could not be reached. `permanent`: a 5xx reply (an unknown mailbox, a message refused,
 * bad credentials) or a message that cannot be sent as it is: sending it again gets the same answer. Otherwise (a
 * 4xx, a dropped or refused connection, a timeout) a later attempt may succeed.
 */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode: number | null,
  ) {
    super(message);
    this.name = 'SmtpError';
  }
}

/** nodemailer's codes for a message it will never send as it is, whatever the server says. */
const PERMANENT_CODES = new Set(['ECONFIG', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS', 'EREQUIRETLS']);

/** Maps a nodemailer failure onto permanent/transient, keeping the server's reply (never the SMTP URL). */
export function smtpError(error: unknown): SmtpError {
  const { code, responseCode, response, command } = error as { code?: string; responseCode?: number; response?: string; command?: string };
  const status = typeof responseCode === 'number' ? responseCode : null;
  const permanent = status !== null ? status >= 500 && status < 600 : code !== undefined && PERMANENT_CODES.has(code);
  const reply = typeof response === 'string' ? response.replace(/\s+/g, ' ').slice(0, 300) : (error as Error).message;
  const at = command ? ` at ${command}` : '';
  return new SmtpError(`SMTP ${permanent ? 'refused' : 'failed'}${at}: ${code ?? 'error'} ${reply}`.trim(), permanent, status);
}

/** The deployment's mail sender; null in `createMailer` when SMTP_URL is unset. */
export class Mailer {
  private readonly transport;

  constructor(private readonly smtp: { url: string; from: string }) {
    // A connection per message (no pool): nothing to keep open or close, and a failure never poisons the next send.
    // Timeouts well under the worker's job lock; the URL's own query (`?connectionTimeout=…`) wins over them.
    this.transport = createTransport({ url: smtp.url, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });
  }

  get from(): string {
    return this.smtp.from;
  }

  /** Hands the message to the SMTP server; throws SmtpError when it is not accepted. */
  async send(message: MailMessage): Promise<MailSent> {
    try {
      const info = await this.transport.sendMail({
        from: this.smtp.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.messageId ? { messageId: message.messageId } : {}),
        ...(message.inReplyTo ? { inReplyTo: message.inReplyTo, references: [message.inReplyTo] } : {}),
        // Automated mail (RFC 3834): vacation responders stay quiet.
        headers: { 'Auto-Submitted': 'auto-generated' },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      return { messageId: info.messageId, response: info.response };
    } catch (error) {
      throw smtpError(error);
    }
  }
}

export function createMailer(config: CountersignConfig): Mailer | null {
  return config.smtp ? new Mailer(config.smtp) : null;
}

/** The deployment's Mailer, or null when SMTP is not configured (provided by ConfigModule). */
export const MAILER = Symbol('MAILER');
