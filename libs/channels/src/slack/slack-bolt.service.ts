import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type AllMiddlewareArgs, type AnyMiddlewareArgs, App, LogLevel, type Logger as BoltLogger, SocketModeReceiver } from '@slack/bolt';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { SlackHomeService } from './slack-home.service';
import { type SlackAnswer, type SlackHttpRequest, SlackHttpReceiver } from './slack-http.receiver';
import { SlackInteractionsService } from './slack-interactions.service';
import { type SlackPayload } from './slack-payload.input';

type SlackConfig = NonNullable<CountersignConfig['slack']>;

/**
 * Slack's incoming side on Bolt (ADR 0022): one `App`, its listeners, and one way in chosen by configuration —
 * Socket Mode with `SLACK_APP_TOKEN`, else the HTTP receiver behind `POST /slack/events`. The API process starts it
 * (it has the DecisionService and answers Slack's HTTP requests); the worker, which shares this library for the
 * delivery side, never does. Every listener acknowledges first, then decides.
 */
@Injectable()
export class SlackBoltService implements OnApplicationShutdown {
  private readonly logger = new Logger(SlackBoltService.name);
  private app: App | null = null;
  private http: SlackHttpReceiver | null = null;
  private socket: SocketModeReceiver | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly interactions: SlackInteractionsService,
    private readonly home: SlackHomeService,
  ) {}

  /** Builds the app and opens its way in; nothing when Slack is not configured. Socket Mode connects in the background. */
  start(): void {
    const slack = this.config.slack;
    if (!slack || this.app) return;
    const logger = boltLogger(this.logger);
    const clientOptions = { slackApiUrl: slack.apiUrl, logger };
    if (slack.appToken) {
      this.socket = new SocketModeReceiver({
        appToken: slack.appToken,
        logger,
        // apps.connections.open goes where every Web API call goes (a fake Slack in tests).
        installerOptions: { clientOptions: { ...clientOptions } },
        // Slack re-sends an envelope it saw no acknowledgement for, with the same id: that id is the replay key.
        customPropertiesExtractor: (args: { envelope_id?: string }) =>
          args.envelope_id ? { replayKey: createHash('sha256').update(`envelope:${args.envelope_id}`).digest('hex') } : {},
      });
    } else {
      this.http = new SlackHttpReceiver(slack.signingSecret, this.interactions, (error) =>
        this.logger.error(`a Slack request failed after its acknowledgement: ${error.message}`),
      );
    }
    const app = new App({
      receiver: this.socket ?? this.http!,
      // One workspace (or Grid org) install: the bot token from config, without Bolt's auth.test round trip.
      authorize: () => Promise.resolve({ botToken: slack.botToken }),
      clientOptions,
      logger,
      processBeforeResponse: false,
      convoStore: false,
    });
    this.listen(app, slack);
    this.app = app;
    if (this.socket) {
      this.socket.start().catch((error: Error) => this.logger.error(`Slack Socket Mode could not connect: ${error.message}`));
    }
  }

  /** `POST /slack/events`: answered when the listener acknowledges. Refused when interactions arrive over Socket Mode. */
  receive(request: SlackHttpRequest): Promise<SlackAnswer> {
    if (!this.http) {
      const reason = this.config.slack
        ? 'Slack interactions arrive over Socket Mode on this deployment'
        : 'Slack is not configured on this deployment';
      return Promise.reject(new DomainError('channel_unavailable', reason));
    }
    return this.http.receive(request);
  }

  async onApplicationShutdown(): Promise<void> {
    const socket = this.socket;
    this.app = this.http = this.socket = null;
    // The client's own stop() does not wait for the socket to close; its disconnect() does.
    if (socket) await socket.client.disconnect();
  }

  /**
   * The interaction was recorded as seen before its acknowledgement: one that cannot be sent (the socket dropped just
   * then) must not stop it from being handled, or the envelope Slack re-sends, a replay by then, would be a lost click.
   */
  private async acknowledge(ack: (body?: never) => Promise<void>, body?: unknown): Promise<void> {
    try {
      await ack(body as never);
    } catch (error) {
      this.logger.warn(`could not acknowledge a Slack interaction, handling it anyway: ${(error as Error).message}`);
    }
  }

  private listen(app: App, slack: SlackConfig): void {
    // The checks every payload passes on either way in (shape, replay, app id), before any listener.
    app.use(async (args: AnyMiddlewareArgs & AllMiddlewareArgs) => {
      const replayKey = typeof args.context.replayKey === 'string' ? args.context.replayKey : undefined;
      const payload = await this.interactions.admit(args.body, replayKey);
      if (payload) {
        args.context.payload = payload;
        return args.next();
      }
      if ('ack' in args && typeof args.ack === 'function') await this.acknowledge(args.ack);
    });
    const payloadOf = (context: Record<string, unknown>) => context.payload as SlackPayload;
    app.action({ type: 'block_actions', action_id: 'approve' }, async ({ ack, context }) => {
      await this.acknowledge(ack);
      await this.interactions.approveClicked(payloadOf(context));
    });
    app.action({ type: 'block_actions', action_id: 'deny' }, async ({ ack, context }) => {
      await this.acknowledge(ack);
      await this.interactions.denyClicked(payloadOf(context));
    });
    app.view('deny_with_reason', async ({ ack, context }) => {
      const problem = this.interactions.reasonProblem(payloadOf(context));
      // A reason the modal could not have sent is refused in the modal (and audited when it is submitted anyway).
      await this.acknowledge(ack, problem ? { response_action: 'errors', errors: { reason: problem } } : { response_action: 'clear' });
      await this.interactions.reasonSubmitted(payloadOf(context));
    });
    app.command(slack.command, async ({ ack, context }) => {
      const user = this.interactions.userOf(payloadOf(context));
      const reply = user
        ? await this.home.commandReply(user, payloadOf(context).text ?? '').catch((error: Error) => {
            this.logger.error(`the slash command's answer failed: ${error.message}`);
            return { response_type: 'ephemeral' as const, text: 'Countersign could not answer just now. Please try again.' };
          })
        : undefined;
      await this.acknowledge(ack, reply);
    });
    app.event('app_home_opened', async ({ context }) => {
      const user = this.interactions.userOf(payloadOf(context));
      if (user) await this.home.homeOpened(user).catch((error: Error) => this.logger.error(`the Home tab failed: ${error.message}`));
    });
  }
}

/** Bolt's and the Socket Mode client's logs, through the service's logger. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...messages: unknown[]) => logger.debug(messages.map(String).join(' ')),
    info: (...messages: unknown[]) => logger.log(messages.map(String).join(' ')),
    warn: (...messages: unknown[]) => logger.warn(messages.map(String).join(' ')),
    error: (...messages: unknown[]) => logger.error(messages.map(String).join(' ')),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
