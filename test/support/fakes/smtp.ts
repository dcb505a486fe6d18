import { type AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** A mail the server took: its SMTP envelope and its MIME, parsed by mailparser. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  /** The plain-text part, zero-width spaces removed (the channel puts them into agents' text so it cannot auto-link). */
  text: string;
  /** The HTML part as sent (entities and zero-width spaces kept). */
  html: string;
  subject: string;
  at: number;
}

/** What the server answers instead of 250 (a 4xx or 5xx), per recipient and stage. */
export type SmtpRefusal = { code: number; message: string };
export type SmtpStage = 'RCPT' | 'DATA';

/**
 * A real SMTP server (`smtp-server`, by nodemailer's authors) on 127.0.0.1, started by the test: it receives what
 * Countersign sends, keeps every mail parsed (`mailparser`), and answers 4xx/5xx at RCPT or DATA when `refuse` says
 * so. STARTTLS is not offered (plain SMTP on loopback), as on a local relay. `stop()` and `start()` again on the
 * same port make the server go down and come back.
 */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  /** Consulted for every recipient at RCPT and again at DATA: a refusal, or null to accept. */
  refuse: ((stage: SmtpStage, recipient: string) => SmtpRefusal | null) | null = null;
  /** Every RCPT and DATA the server answered, with its code: how often a sender tried. */
  readonly attempts: Array<{ stage: SmtpStage; recipient: string; code: number; at: number }> = [];
  port = 0;
  private server: SMTPServer | null = null;
  private listeners: Array<() => void> = [];

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      size: 1024 * 1024,
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) =>
        callback(this.answer('RCPT', address.address.toLowerCase())),
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const recipients = session.envelope.rcptTo.map((entry) => entry.address.toLowerCase());
          const refusal = recipients.map((recipient) => this.answer('DATA', recipient)).find((error) => error !== null) ?? null;
          if (refusal) return callback(refusal);
          const raw = Buffer.concat(chunks).toString('utf8');
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          simpleParser(raw).then(
            (parsed) => {
              this.mails.push({
                from,
                to: recipients,
                raw,
                parsed,
                text: (parsed.text ?? '').replace(/\u200b/g, ''),
                html: typeof parsed.html === 'string' ? parsed.html : '',
                subject: parsed.subject ?? '',
                at: Date.now(),
              });
              for (const listener of this.listeners) listener();
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  /** The environment that sends Countersign's mail here. */
  config(): Record<string, string> {
    return { SMTP_URL: `smtp://127.0.0.1:${this.port}`, SMTP_FROM: 'Countersign <countersign@example.test>' };
  }

  /** Stops listening (connections are refused) until `start()`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }

  mailsTo(address: string): ReceivedMail[] {
    return this.mails.filter((mail) => mail.to.includes(address.toLowerCase()));
  }

  /** Waits until `count` mails to the address matching `where` have arrived (or fails after `timeoutMs`). */
  async waitForMails(address: string, count: number, where: (mail: ReceivedMail) => boolean = () => true, timeoutMs = 20_000) {
    const matching = () => this.mailsTo(address).filter(where);
    if (matching().length >= count) return matching();
    return new Promise<ReceivedMail[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((entry) => entry !== listener);
        reject(
          new Error(`${count} mail(s) to ${address} not within ${timeoutMs} ms; got ${JSON.stringify(matching().map((m) => m.subject))}`),
        );
      }, timeoutMs);
      const listener = () => {
        if (matching().length < count) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((entry) => entry !== listener);
        resolve(matching());
      };
      this.listeners.push(listener);
    });
  }

  private answer(stage: SmtpStage, recipient: string): (Error & { responseCode: number }) | null {
    const refusal = this.refuse?.(stage, recipient) ?? null;
    this.attempts.push({ stage, recipient, code: refusal?.code ?? 250, at: Date.now() });
    if (!refusal) return null;
    return Object.assign(new Error(refusal.message), { responseCode: refusal.code });
  }
}
