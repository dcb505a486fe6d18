import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { signSlackRequest } from '@countersign/channels';
import { FakeSlackSocketMode } from './fake-slack-socket-mode';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | null;
  at: number;
}

export interface FakeSlackUser {
  id: string;
  team_id: string;
  enterprise_id?: string;
}

interface Message {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * A fake Slack Web API on 127.0.0.1, speaking Slack's wire protocol (form or JSON bodies, `{ok, ...}` answers): it
 * records every call and keeps the DMs it was asked to post and update, so tests see what a person would see.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  readonly messages: Message[] = [];
  /** Messages only one user sees (`chat.postEphemeral`), e.g. a decision that failed after the click. */
  readonly ephemerals: Array<{ channel: string; user: string; text: string }> = [];
  /** Socket Mode, when `withSocketMode()` turned it on: `apps.connections.open` answers its URL. */
  socketMode: FakeSlackSocketMode | null = null;
  /** Each user's Home tab as last published (`views.publish`). */
  readonly homeViews = new Map<string, unknown>();
  /** Added to every answer (a slow Slack). */
  latencyMs = 0;
  /** Methods whose next answers are lost after the call took effect (the connection drops, as when a worker dies). */
  readonly dropAnswers = new Map<string, number>();
  /** Called before answering a method; may hold the answer (a worker killed while waiting). */
  beforeAnswer: ((method: string) => Promise<void>) | null = null;
  /** Called as soon as a call's request has arrived (before any latency), e.g. to time deliveries. */
  onReceived: ((call: SlackCall) => void) | null = null;
  /**
   * Called after a call took effect (the message is posted) and before its answer is written: may hold the answer
   * while the caller is killed, so the message exists but the caller never learned its ts.
   */
  beforeReply: ((call: SlackCall) => Promise<void>) | null = null;
  private server!: Server;
  private sequence = 0;
  /** DM channels Slack no longer knows (`closeDm`), and the channel `conversations.open` answers instead. */
  private readonly goneChannels = new Set<string>();
  private readonly reopened = new Map<string, string>();
  url = '';
  private listeners: Array<(call: SlackCall) => void> = [];

  constructor(
    readonly signingSecret = randomBytes(16).toString('hex'),
    readonly appId = 'A' + randomBytes(4).toString('hex').toUpperCase(),
    readonly botToken = 'xoxb-' + randomBytes(8).toString('hex'),
  ) {}

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.answer(request).then(
        (body) => {
          const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0];
          const drops = this.dropAnswers.get(method) ?? 0;
          if (drops > 0) {
            this.dropAnswers.set(method, drops - 1);
            response.socket?.destroy();
            return;
          }
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        },
        (error: Error) => {
          response.writeHead(500);
          response.end(error.message);
        },
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** Interactions arrive over Socket Mode: the config carries the app-level token, and a WebSocket server runs. */
  async withSocketMode(): Promise<FakeSlackSocketMode> {
    this.socketMode = await new FakeSlackSocketMode().start();
    return this.socketMode;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.socketMode?.close();
  }

  /** The API's config for this fake. */
  config(): Record<string, string> {
    return {
      SLACK_BOT_TOKEN: this.botToken,
      SLACK_SIGNING_SECRET: this.signingSecret,
      SLACK_APP_ID: this.appId,
      SLACK_API_URL: this.url,
      ...(this.socketMode ? { SLACK_APP_TOKEN: this.socketMode.appToken } : {}),
    };
  }

  addUser(email: string, user: Partial<FakeSlackUser> = {}): FakeSlackUser {
    const created = {
      id: user.id ?? 'U' + randomBytes(4).toString('hex').toUpperCase(),
      team_id: user.team_id ?? 'T0TEAM',
      ...(user.enterprise_id ? { enterprise_id: user.enterprise_id } : {}),
    };
    this.users.set(email.toLowerCase(), created);
    return created;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first call matching `predicate`, made before or after now. */
  waitFor(method: string, predicate: (call: SlackCall) => boolean = () => true, timeoutMs = 10_000): Promise<SlackCall> {
    const done = this.calls.find((call) => call.method === method && predicate(call));
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${method} call within ${timeoutMs} ms; calls: ${this.calls.map((call) => call.method).join(', ')}`)),
        timeoutMs,
      );
      const listener = (call: SlackCall) => {
        if (call.method !== method || !predicate(call)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((other) => other !== listener);
        resolve(call);
      };
      this.listeners.push(listener);
    });
  }

  /**
   * Makes the bot's current DM with this user unknown to Slack (posting to it answers `channel_not_found`);
   * `conversations.open` then answers a new channel. Returns the new channel's id.
   */
  closeDm(userId: string): string {
    const current = this.reopened.get(userId) ?? dmChannel(userId);
    this.goneChannels.add(current);
    const next = `${current}R`;
    this.reopened.set(userId, next);
    return next;
  }

  /** The DM a person has about an approval, as it stands. */
  dmAbout(approvalId: string, user: FakeSlackUser): Message[] {
    return this.messages.filter((message) => message.channel === dmChannel(user.id) && JSON.stringify(message.blocks).includes(approvalId));
  }

  /** A block_actions interaction: a click on a DM's button, as Slack sends it. */
  clickPayload(options: {
    approvalId: string;
    action: 'approve' | 'deny';
    user: FakeSlackUser;
    channel?: string;
    teamId?: string;
    appId?: string;
  }): Record<string, unknown> {
    return {
      type: 'block_actions',
      api_app_id: options.appId ?? this.appId,
      team: { id: options.teamId ?? options.user.team_id, domain: 'acme' },
      enterprise: options.user.enterprise_id ? { id: options.user.enterprise_id } : null,
      user: { id: options.user.id, team_id: options.teamId ?? options.user.team_id, username: 'someone' },
      channel: { id: options.channel ?? dmChannel(options.user.id), name: 'directmessage' },
      container: { type: 'message', channel_id: options.channel ?? dmChannel(options.user.id), is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
      actions: [
        {
          type: 'button',
          action_id: options.action,
          block_id: `decide:${options.approvalId}`,
          value: options.approvalId,
          action_ts: `${Date.now() / 1000}`,
        },
      ],
      response_url: 'https://hooks.slack.invalid/actions/1',
    };
  }

  /** A view_submission of the deny modal (reason typed by the person). */
  denySubmissionPayload(options: { approvalId: string; user: FakeSlackUser; reason: string; appId?: string }): Record<string, unknown> {
    return {
      type: 'view_submission',
      api_app_id: options.appId ?? this.appId,
      team: { id: options.user.team_id },
      enterprise: options.user.enterprise_id ? { id: options.user.enterprise_id } : null,
      user: { id: options.user.id, team_id: options.user.team_id },
      view: {
        type: 'modal',
        callback_id: 'deny_with_reason',
        private_metadata: options.approvalId,
        state: { values: { reason: { reason: { type: 'plain_text_input', value: options.reason } } } },
      },
    };
  }

  /** A block_actions interaction as Slack signs it and posts it to the app's request URL. */
  signedClick(options: Parameters<FakeSlack['clickPayload']>[0] & { timestamp?: number; secret?: string }) {
    return this.signedPayload(this.clickPayload(options), options.timestamp, options.secret);
  }

  /** A view_submission of the deny modal, signed. */
  signedDenySubmission(options: Parameters<FakeSlack['denySubmissionPayload']>[0]) {
    return this.signedPayload(this.denySubmissionPayload(options));
  }

  /** An interaction payload as Slack posts it: the form's `payload` member, signed. */
  signedPayload(payload: Record<string, unknown>, timestamp?: number, secret?: string) {
    return this.signed(`payload=${encodeURIComponent(JSON.stringify(payload))}`, timestamp, secret);
  }

  signed(
    body: string,
    timestamp = Math.floor(Date.now() / 1000),
    secret = this.signingSecret,
  ): { body: string; headers: Record<string, string> } {
    const ts = String(timestamp);
    return {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': ts,
        'x-slack-signature': signSlackRequest(secret, body, ts),
      },
    };
  }

  private async answer(request: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const args = parseArgs(text, request.headers['content-type'] ?? '');
    const call: SlackCall = { method, args, token: (request.headers.authorization ?? '').replace(/^Bearer /, '') || null, at: Date.now() };
    this.onReceived?.(call);
    if (this.beforeAnswer) await this.beforeAnswer(method);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.calls.push(call);
    const result = this.respond(call);
    for (const listener of [...this.listeners]) listener(call);
    if (this.beforeReply) await this.beforeReply(call);
    return result;
  }

  private respond(call: SlackCall): Record<string, unknown> {
    // Socket Mode's connection is opened with the app-level token, and only with it.
    if (call.method === 'apps.connections.open') {
      if (!this.socketMode || call.token !== this.socketMode.appToken) return { ok: false, error: 'invalid_auth' };
      return { ok: true, url: this.socketMode.connectionUrl() };
    }
    if (call.token !== this.botToken) return { ok: false, error: 'invalid_auth' };
    const args = call.args;
    switch (call.method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', team_id: 'T0TEAM', bot_id: 'BBOT' };
      case 'users.lookupByEmail': {
        const user = this.users.get(String(args.email).toLowerCase());
        if (!user) return { ok: false, error: 'users_not_found' };
        return {
          ok: true,
          user: {
            id: user.id,
            team_id: user.team_id,
            deleted: false,
            is_bot: false,
            ...(user.enterprise_id ? { enterprise_user: { enterprise_id: user.enterprise_id } } : {}),
          },
        };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: this.reopened.get(String(args.users)) ?? dmChannel(String(args.users)) } };
      case 'chat.postMessage': {
        if (this.goneChannels.has(String(args.channel))) return { ok: false, error: 'channel_not_found' };
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.sequence).padStart(6, '0')}`;
        this.messages.push({
          channel: String(args.channel),
          ts,
          text: String(args.text),
          blocks: (args.blocks as unknown[]) ?? [],
          metadata: args.metadata as Message['metadata'],
        });
        return { ok: true, channel: args.channel, ts };
      }
      case 'chat.update': {
        const message = this.messages.find((candidate) => candidate.channel === args.channel && candidate.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args.text);
        message.blocks = (args.blocks as unknown[]) ?? [];
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case 'conversations.history': {
        const messages = this.messages.filter((message) => message.channel === args.channel).reverse();
        return {
          ok: true,
          messages: messages.map((message) => ({
            type: 'message',
            ts: message.ts,
            text: message.text,
            ...(args.include_all_metadata ? { metadata: message.metadata } : {}),
          })),
        };
      }
      case 'views.publish': {
        const user = String(args.user_id);
        const view = args.view as { type?: string } | undefined;
        if (!/^[UW][A-Z0-9]+$/.test(user)) return { ok: false, error: 'invalid_arguments' };
        if (view?.type !== 'home') return { ok: false, error: 'invalid_arguments' };
        this.homeViews.set(user, view);
        return { ok: true, view: { id: 'V' + randomBytes(4).toString('hex').toUpperCase(), type: 'home' } };
      }
      case 'views.open':
        return { ok: true, view: { id: 'V' + randomBytes(4).toString('hex').toUpperCase() } };
      case 'chat.postEphemeral': {
        if (this.goneChannels.has(String(args.channel))) return { ok: false, error: 'channel_not_found' };
        this.ephemerals.push({ channel: String(args.channel), user: String(args.user), text: String(args.text) });
        return { ok: true, message_ts: `${Math.floor(Date.now() / 1000)}.${String(++this.sequence).padStart(6, '0')}` };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

export function dmChannel(userId: string): string {
  return `D${userId}`;
}

function parseArgs(text: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(text || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value === 'true' ? true : value === 'false' ? false : value;
  }
  return args;
}
