import { createHash } from 'node:crypto';
import { type App, type Receiver } from '@slack/bolt';
import { DomainError } from '@countersign/domain';
import { SlackInteractionsService } from './slack-interactions.service';
import { checkSlackSignature } from './slack-signature';

/** A request to Slack's URL as the HTTP server received it: the raw body and the headers Slack sets. */
export interface SlackHttpRequest {
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The body answered to Slack: empty (ack), a URL-verification challenge, a modal's response action, a command's reply. */
export type SlackAnswer = Record<string, unknown>;

/**
 * Bolt's HTTP way in, on the API's own Fastify server (Bolt's receivers bring their own HTTP server or Express):
 * the route hands over the raw body and headers. The v0 signature is checked here over the raw bytes, with
 * |now − ts| ≤ 300 s both ways (Bolt alone accepts any future timestamp), before anything is parsed; then Bolt
 * routes the payload to its listener and Slack is answered as soon as the listener acknowledges, with the ack's
 * body, not when the listener finishes (ADR 0022). The request's signature is its replay key.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | null = null;

  constructor(
    private readonly signingSecret: string,
    private readonly interactions: SlackInteractionsService,
    private readonly onLateError: (error: Error) => void,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async receive(request: SlackHttpRequest): Promise<SlackAnswer> {
    const app = this.app;
    if (!app) throw new DomainError('channel_unavailable', 'Slack is not configured on this deployment');
    const signature = header(request, 'x-slack-signature');
    const problem = checkSlackSignature(this.signingSecret, request.rawBody, header(request, 'x-slack-request-timestamp'), signature);
    if (problem) {
      await this.interactions.signatureRefused(problem);
      throw new DomainError('invalid_signature', `Slack request refused: ${problem.replace(/_/g, ' ')}`);
    }
    const body = await this.interactions.parseHttp(request.rawBody);
    if (body.type === 'url_verification' && typeof body.challenge === 'string') return { challenge: body.challenge };
    const retryNum = Number(header(request, 'x-slack-retry-num'));
    return new Promise<SlackAnswer>((resolve, reject) => {
      let acknowledged = false;
      const ack = (response?: unknown): Promise<void> => {
        if (!acknowledged) {
          acknowledged = true;
          resolve(typeof response === 'string' ? { text: response } : ((response ?? {}) as SlackAnswer));
        }
        return Promise.resolve();
      };
      app
        .processEvent({
          body,
          ack,
          ...(Number.isInteger(retryNum) ? { retryNum } : {}),
          ...(header(request, 'x-slack-retry-reason') ? { retryReason: header(request, 'x-slack-retry-reason') } : {}),
          // The signature covers timestamp and body: the same signature twice is the same request replayed.
          customProperties: { replayKey: createHash('sha256').update(signature!).digest('hex') },
        })
        .then(
          // No listener acknowledged (nothing of ours handles this payload): Slack gets its empty 200.
          () => ack(),
          (error: Error) => (acknowledged ? this.onLateError(error) : reject(error)),
        );
    });
  }
}

function header(request: SlackHttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
