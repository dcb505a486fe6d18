import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface ConnectorCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  /** The bearer token the bot sent. */
  token: string | null;
}

export interface FakeTeamsUser {
  /** The Teams user id (`29:…`), the bot's conversation with them, and their Entra identity. */
  id: string;
  aadObjectId: string;
  email: string;
  conversationId: string;
  tenantId: string;
}

export interface CardMessage {
  conversationId: string;
  id: string;
  text: string;
  card: { body: Array<Record<string, unknown>>; actions?: Array<Record<string, unknown>> };
  updates: number;
}

/** How a channel→bot token differs from the one Bot Framework would sign (for the refusal tests). */
export interface TokenTampering {
  issuer?: string;
  audience?: string;
  serviceUrl?: string;
  /** Seconds from now the token expires (negative: expired). */
  expiresIn?: number;
  /** Signed by a key that is not in the JWKS (under the JWKS's key id). */
  forged?: boolean;
}

/**
 * Microsoft's side of a Teams bot, on 127.0.0.1: the Bot Framework's OpenID metadata and JWKS (keys endorsed for
 * `msteams`) and a signer of channel→bot tokens as Bot Framework signs them; Entra ID's token endpoint for the
 * bot's client credentials; and a Bot Connector under `/teams/` (send, reply, update, get member) that checks the
 * bearer token it issued. Requests to any other path (a service URL outside the allow-list) are recorded and refused.
 */
export class FakeTeams {
  readonly appId = randomUUID();
  readonly appPassword = randomBytes(16).toString('hex');
  readonly tenantId = randomUUID();
  readonly issuer = 'https://api.botframework.com';
  readonly calls: ConnectorCall[] = [];
  readonly messages: CardMessage[] = [];
  readonly users = new Map<string, FakeTeamsUser>();
  /** Token requests from the bot (client credentials). */
  readonly tokenRequests: Array<Record<string, string>> = [];
  /**
   * Decides how the connector answers a new card (POST of an activity with an attachment): an error status (with
   * headers), `drop` (the card is posted, the connection is cut before the answer), or null to answer normally.
   */
  onSend: ((conversationId: string) => { status: number; headers?: Record<string, string> } | 'drop' | null) | null = null;
  private readonly accessTokens = new Set<string>();
  private server!: Server;
  private key!: KeyPair;
  private other!: KeyPair;
  private jwk!: JWK;
  private readonly kid = randomBytes(6).toString('hex');
  private sequence = 0;
  base = '';

  async start(): Promise<this> {
    [this.key, this.other] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
    this.jwk = { ...(await exportJWK(this.key.publicKey)), kid: this.kid, use: 'sig' };
    this.server = createServer((request, response) => {
      void this.answer(request, response).catch((error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The Bot Connector's service URL (in the allow-list), and one outside it on the same host. */
  get serviceUrl(): string {
    return `${this.base}/teams/`;
  }
  get elsewhereUrl(): string {
    return `${this.base}/elsewhere/`;
  }

  config(): Record<string, string> {
    return {
      TEAMS_APP_ID: this.appId,
      TEAMS_APP_PASSWORD: this.appPassword,
      TEAMS_TENANT_ID: this.tenantId,
      TEAMS_OPENID_METADATA_URL: `${this.base}/botframework/openidconfiguration`,
      TEAMS_TOKEN_ISSUER: this.issuer,
      TEAMS_LOGIN_URL: `${this.base}/${this.tenantId}`,
      TEAMS_OAUTH_SCOPE: 'https://api.botframework.com',
      TEAMS_SERVICE_URLS: this.serviceUrl,
    };
  }

  addUser(email: string, tenantId = this.tenantId): FakeTeamsUser {
    const user: FakeTeamsUser = {
      id: `29:${randomBytes(12).toString('base64url')}`,
      aadObjectId: randomUUID(),
      email,
      conversationId: `a:${randomBytes(12).toString('base64url')}`,
      tenantId,
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A channel→bot token as Bot Framework signs it (RS256, `kid` in the JWKS), or tampered with. */
  async token(tampering: TokenTampering = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ serviceurl: tampering.serviceUrl ?? this.serviceUrl })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(tampering.issuer ?? this.issuer)
      .setAudience(tampering.audience ?? this.appId)
      .setIssuedAt(now - 60)
      .setNotBefore(now - 60)
      .setExpirationTime(now + (tampering.expiresIn ?? 3600))
      .sign(tampering.forged ? this.other.privateKey : this.key.privateKey);
  }

  /** The activity Teams posts when the user installs the bot in their personal scope. */
  installation(user: FakeTeamsUser): Record<string, unknown> {
    return {
      ...this.activityBase(user),
      type: 'installationUpdate',
      action: 'add',
    };
  }

  /** The invoke Teams posts when the user presses an Action.Execute button of a card. */
  cardAction(
    user: FakeTeamsUser,
    options: { verb: string; approvalId: string; replyToId: string; reason?: string; conversationId?: string; tenantId?: string },
  ): Record<string, unknown> {
    const base = this.activityBase(user, options.tenantId);
    return {
      ...base,
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId: options.replyToId,
      conversation: { ...(base.conversation as object), id: options.conversationId ?? user.conversationId },
      value: {
        action: {
          type: 'Action.Execute',
          verb: options.verb,
          data: { approval_id: options.approvalId, ...(options.reason !== undefined ? { reason: options.reason } : {}) },
        },
        trigger: 'manual',
      },
    };
  }

  /** Posts an activity to the bot as the Bot Framework does. */
  async post(apiUrl: string, activity: Record<string, unknown>, token?: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${apiUrl}/teams/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? (await this.token())}` },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** The cards a user was sent about an approval, as they stand. */
  cardsAbout(approvalId: string, user: FakeTeamsUser): CardMessage[] {
    return this.messages.filter(
      (message) => message.conversationId === user.conversationId && JSON.stringify(message.card).includes(approvalId),
    );
  }

  private activityBase(user: FakeTeamsUser, tenantId = user.tenantId): Record<string, unknown> {
    return {
      id: `f:${randomBytes(10).toString('hex')}`,
      timestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      from: { id: user.id, name: user.email, aadObjectId: user.aadObjectId },
      recipient: { id: `28:${this.appId}`, name: 'Countersign' },
      conversation: { id: user.conversationId, conversationType: 'personal', tenantId },
      channelData: { tenant: { id: tenantId } },
      locale: 'en-US',
    };
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.base);
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      request.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      request.on('end', () => resolve(data));
    });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === '/botframework/openidconfiguration')
      return json(200, {
        issuer: this.issuer,
        jwks_uri: `${this.base}/botframework/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    if (request.method === 'GET' && url.pathname === '/botframework/keys')
      return json(200, { keys: [{ ...this.jwk, endorsements: ['msteams', 'webchat'] }] });
    if (request.method === 'POST' && url.pathname === `/${this.tenantId}/oauth2/v2.0/token`) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      this.tokenRequests.push(form);
      if (form.grant_type !== 'client_credentials' || form.client_id !== this.appId || form.client_secret !== this.appPassword)
        return json(401, { error: 'invalid_client' });
      if (form.scope !== 'https://api.botframework.com/.default') return json(400, { error: 'invalid_scope' });
      const accessToken = randomBytes(24).toString('base64url');
      this.accessTokens.add(accessToken);
      return json(200, { token_type: 'Bearer', expires_in: 3600, access_token: accessToken });
    }
    const authorization = request.headers.authorization ?? '';
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : null;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    this.calls.push({ method: request.method ?? 'GET', path: url.pathname, body, token });
    if (!url.pathname.startsWith('/teams/v3/conversations/')) return json(404, { error: { code: 'NotFound', message: 'no such service' } });
    if (!token || !this.accessTokens.has(token)) return json(401, { error: { code: 'Unauthorized', message: 'bad token' } });
    const [conversationId, collection, itemId] = url.pathname
      .slice('/teams/v3/conversations/'.length)
      .split('/')
      .map((part) => decodeURIComponent(part));
    const known = [...this.users.values()].some((user) => user.conversationId === conversationId);
    if (!known) return json(404, { error: { code: 'ConversationNotFound', message: 'unknown conversation' } });
    if (request.method === 'GET' && collection === 'members') {
      const user = this.users.get(itemId ?? '');
      if (!user || user.conversationId !== conversationId)
        return json(404, { error: { code: 'MemberNotFound', message: 'no such member' } });
      return json(200, {
        id: user.id,
        name: user.email,
        aadObjectId: user.aadObjectId,
        email: user.email,
        userPrincipalName: user.email,
        tenantId: user.tenantId,
        userRole: 'user',
      });
    }
    if (collection !== 'activities' || !body) return json(400, { error: { code: 'BadArgument', message: 'unexpected request' } });
    const card = (body.attachments as Array<{ content?: CardMessage['card'] }> | undefined)?.[0]?.content;
    if (request.method === 'POST') {
      const fault = card ? (this.onSend?.(conversationId) ?? null) : null;
      if (fault && fault !== 'drop') {
        response.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.headers ?? {}) });
        response.end(JSON.stringify({ error: { code: 'Fault', message: `status ${fault.status}` } }));
        return;
      }
      const id = `1:${++this.sequence}${randomBytes(4).toString('hex')}`;
      if (card) this.messages.push({ conversationId, id, text: typeof body.text === 'string' ? body.text : '', card, updates: 0 });
      if (fault === 'drop') {
        response.socket?.destroy();
        return;
      }
      return json(201, { id });
    }
    if (request.method === 'PUT' && itemId) {
      const message = this.messages.find((candidate) => candidate.conversationId === conversationId && candidate.id === itemId);
      if (!message || !card) return json(404, { error: { code: 'ActivityNotFound', message: 'unknown activity' } });
      message.card = card;
      message.text = typeof body.text === 'string' ? body.text : '';
      message.updates += 1;
      return json(200, { id: itemId });
    }
    return json(405, { error: { code: 'MethodNotAllowed', message: 'unexpected method' } });
  }
}
