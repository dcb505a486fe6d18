import { z } from 'zod';

const booleanString = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** The browsers' push services (Chrome/Android, Firefox, Safari, Edge): where a real PushSubscription points. */
const DEFAULT_PUSH_SERVICE_ORIGINS = [
  'https://fcm.googleapis.com',
  'https://updates.push.services.mozilla.com',
  'https://*.push.apple.com',
  'https://*.notify.windows.com',
];
const PUSH_ORIGIN_PATTERN = /^https:\/\/(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

/** `smtp://` (STARTTLS when offered; `?requireTLS=true` insists) or `smtps://` (TLS from the start), with a host. */
function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** https, or http on a loopback host (the fakes in tests): the Teams endpoints carry tokens and the app password. */
function isSecureOrLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}
const secureUrl = z.string().refine(isSecureOrLoopbackUrl, 'must be an https URL (http only on 127.0.0.1 or localhost)');
/** A Bot Connector service URL prefix: an origin and a path ending in `/`, no query. */
function isServiceUrlPrefix(value: string): boolean {
  return isSecureOrLoopbackUrl(value) && !value.includes('?') && !value.includes('#');
}

const schema = z.object({
  DATABASE_URL: z.string().url({ message: 'must be a postgres:// URL' }),
  REDIS_URL: z.string().url({ message: 'must be a redis:// URL' }),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().url().optional(),
  COUNTERSIGN_KEY_ENCRYPTION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/)
    .default('countersign'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  DEFAULT_AGENT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  DEFAULT_AGENT_MAX_PENDING: z.coerce.number().int().min(1).default(100),
  PERSON_MAX_PENDING: z.coerce.number().int().min(1).default(50),
  PERSON_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  ALLOW_PRIVATE_CALLBACK_URLS: booleanString.default(false),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  DATABASE_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
  DATABASE_PREPARED_STATEMENTS: booleanString.default(true),
  EXPIRY_SWEEP_SECONDS: z.coerce.number().int().min(1).default(30),
  CALLBACK_REDELIVERY_AFTER_SECONDS: z.coerce.number().int().min(1).default(60),
  CIBA_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(60).default(5),
  COUNTERSIGN_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  COUNTERSIGN_BOOTSTRAP_EMAIL: z.string().email().optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  SIGN_IN_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  CIRCUIT_BREAKER_THRESHOLD: z.coerce.number().int().min(0).default(10),
  CIRCUIT_BREAKER_WINDOW_MINUTES: z.coerce.number().int().min(1).default(10),
  DPOP_PROOF_WINDOW_SECONDS: z.coerce.number().int().min(1).max(600).default(60),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[a-z]-[A-Za-z0-9-]+$/, 'must be a Slack bot token (xoxb-...)')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(16, "must be the Slack app's signing secret").optional(),
  SLACK_APP_ID: z
    .string()
    .regex(/^A[A-Z0-9]+$/, 'must be a Slack app id (A...)')
    .optional(),
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-[A-Za-z0-9-]+$/, 'must be a Slack app-level token (xapp-...)')
    .optional(),
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9][a-z0-9_-]{0,31}$/, 'must be a slash command: "/" and up to 32 lowercase letters, digits, "-" or "_"')
    .default('/countersign'),
  TEAMS_APP_ID: z.string().uuid({ message: "must be the bot's Microsoft app id (a GUID)" }).optional(),
  TEAMS_APP_PASSWORD: z.string().min(1).optional(),
  TEAMS_TENANT_ID: z.string().uuid({ message: "must be the organization's Microsoft Entra tenant id (a GUID)" }).optional(),
  TEAMS_OPENID_METADATA_URL: secureUrl.default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
  TEAMS_TOKEN_ISSUER: z.string().min(1).default('https://api.botframework.com'),
  TEAMS_LOGIN_URL: secureUrl.optional(),
  TEAMS_OAUTH_SCOPE: z.string().min(1).default('https://api.botframework.com'),
  TEAMS_SERVICE_URLS: z
    .string()
    .default('https://smba.trafficmanager.net/')
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .refine((urls) => urls.length > 0 && urls.every(isServiceUrlPrefix), 'must be comma-separated https URLs (http only on loopback)'),
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'must be a base64url uncompressed P-256 public key')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 private key')
    .optional(),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https: URL')
    .optional(),
  PUSH_CA_FILE: z.string().optional(),
  PUSH_SERVICE_ORIGINS: z
    .string()
    .default(DEFAULT_PUSH_SERVICE_ORIGINS.join(','))
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim().toLowerCase().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .refine(
      (entries) => entries.length > 0 && entries.every((entry) => entry === '*' || PUSH_ORIGIN_PATTERN.test(entry)),
      'must be comma-separated https origins (a leading *. allows subdomains), or *',
    ),
  ALLOW_PRIVATE_PUSH_ENDPOINTS: booleanString.default(false),
  SMTP_URL: z
    .string()
    .refine(isSmtpUrl, 'must be an smtp:// or smtps:// URL with a host (smtp://user:password@mail.example.com:587)')
    .optional(),
  SMTP_FROM: z
    .string()
    .max(320)
    .regex(/^([^<>\r\n"]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address (countersign@example.com) or Name <address>')
    .optional(),
  NOTIFICATION_REDELIVERY_AFTER_SECONDS: z.coerce.number().int().min(1).default(60),
  WORKER_LOCK_DURATION_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(10 * 60_000)
    .default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(10 * 60_000)
    .default(30_000),
  WORKER_NOTIFICATION_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  WORKER_FLOODING_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(1),
  FLOOD_BACKLOG_LIMIT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10 * 60_000)
    .default(1_000),
  WEB_ROOT: z.string().min(1).optional(),
  WORKER_HEARTBEAT_FILE: z.string().min(1).optional(),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  SCIM_DEFAULT_ROLE: z.enum(['admin', 'approver', 'member']).default('member'),
  OIDC_PROVIDERS: z.string().optional(),
  REQUIRE_SSO: booleanString.default(false),
});

/** One organization's OpenID provider people sign in through (docs/adr/0016-single-sign-on.md). */
export interface OidcProviderConfig {
  /** In URLs (`/v1/auth/sso/<id>/start`) and the audit: lowercase letters, digits and dashes. */
  id: string;
  /** On the sign-in button: "Sign in with <name>". */
  name: string;
  /** The issuer identifier; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How the client secret is sent to the token endpoint (RFC 6749 §2.3.1: HTTP Basic, or in the form body). */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  /** First sign-in without a linked identity links to the person with the same email, only if the IdP says it is verified. */
  linkByVerifiedEmail: boolean;
  /** Scopes asked for beside `openid` (default: email profile). */
  scopes: string[];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const oidcProviderSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or dashes'),
    name: z.string().trim().min(1).max(60),
    issuer: z
      .string()
      .url()
      .refine((value) => {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
      }, 'must be an https URL (http only on loopback, for development)')
      .refine((value) => !new URL(value).search && !new URL(value).hash, 'must have no query or fragment'),
    client_id: z.string().min(1).max(500),
    client_secret: z.string().min(1).max(2000),
    link_by_verified_email: z.boolean().default(false),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token')).default(['email', 'profile']),
  })
  .strict();

/** OIDC_PROVIDERS: a JSON array of providers; each problem is named with the provider's index and field, never a secret. */
function parseOidcProviders(text: string | undefined, problems: string[]): OidcProviderConfig[] {
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
    if (!Array.isArray(json)) throw new TypeError('not an array');
  } catch {
    problems.push('OIDC_PROVIDERS: must be a JSON array of providers ({"id","name","issuer","client_id","client_secret",...})');
    return [];
  }
  const parsed = z.array(oidcProviderSchema).min(1, 'must list at least one provider').safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`OIDC_PROVIDERS${issue.path.map((part) => `[${JSON.stringify(part)}]`).join('')}: ${issue.message}`);
    return [];
  }
  const ids = parsed.data.map((provider) => provider.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) problems.push(`OIDC_PROVIDERS: the id ${JSON.stringify(duplicate)} is used twice`);
  return parsed.data.map((provider) => ({
    id: provider.id,
    name: provider.name,
    issuer: provider.issuer,
    clientId: provider.client_id,
    clientSecret: provider.client_secret,
    linkByVerifiedEmail: provider.link_by_verified_email,
    tokenEndpointAuthMethod: provider.token_endpoint_auth_method,
    scopes: [...new Set(provider.scopes.filter((scope) => scope !== 'openid'))],
  }));
}

/** Every variable Countersign reads (docker-compose.yml's spec checks that it passes no other). */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as ReadonlyArray<keyof typeof schema.shape>;

export interface CountersignConfig {
  databaseUrl: string;
  databasePoolSize: number;
  databaseIdleTimeoutMs: number;
  /** Hot statements are named and prepared once per connection (ADR 0009); off where connections share a session. */
  databasePreparedStatements: boolean;
  redisUrl: string;
  redisPrefix: string;
  port: number;
  /** Countersign's public URL: the `iss` of every token it signs and the origin people open. */
  publicUrl: string;
  keyEncryptionSecret: string;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  accessTokenTtlSeconds: number;
  defaultAgentRequestsPerMinute: number;
  defaultAgentMaxPending: number;
  /**
   * Per person, across all agents: approvals pending on their behalf at once, and new requests a minute that would
   * wait for them (auto-approved and refused ones do not count). An agent within its own quota cannot bury them.
   */
  personMaxPending: number;
  personRequestsPerMinute: number;
  /** Development only: lets callback URLs point at loopback and private networks. */
  allowPrivateCallbackUrls: boolean;
  expirySweepSeconds: number;
  /** A callback still due this long after its status change is re-enqueued (its job may have died with Redis). */
  callbackRedeliveryAfterSeconds: number;
  /** OpenID CIBA: the `interval` a backchannel request is answered with (poll mode waits at least this between polls). */
  cibaPollIntervalSeconds: number;
  /** Bearer token for automation against the admin API (beside admins' sessions); off when unset. */
  adminToken: string | null;
  /** On first start with no admin, this person is created as admin and an enrollment link is logged. */
  bootstrapEmail: string | null;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  /** Unauthenticated sign-in and enrollment calls per client address per minute. */
  signInRequestsPerMinute: number;
  /** An agent refused or denied this many times within the window is suspended; 0 turns the breaker off. */
  circuitBreakerThreshold: number;
  circuitBreakerWindowMinutes: number;
  /** RFC 9449: how far a DPoP proof's `iat` may be from now, either way, at Countersign's own endpoints. */
  dpopProofWindowSeconds: number;
  /**
   * Slack is on when a bot token is set; then the signing secret and app id are required too. With an app-level
   * token (`appToken`) interactions arrive over Socket Mode, without it at `POST /slack/events` (ADR 0022).
   */
  slack: { botToken: string; signingSecret: string; appId: string; apiUrl: string; appToken: string | null; command: string } | null;
  /**
   * Teams is on when TEAMS_APP_ID is set (then the password and the tenant are required): a single-tenant bot.
   * Incoming activities are verified against the OpenID metadata and issuer; the bot's own token comes from the
   * login URL (default `https://login.microsoftonline.com/<tenant>`) for the scope; the bot calls only service URLs
   * under one of `serviceUrls` (docs/adr/0024-teams-channel.md).
   */
  teams: {
    appId: string;
    appPassword: string;
    tenantId: string;
    openIdMetadataUrl: string;
    tokenIssuer: string;
    loginUrl: string;
    oauthScope: string;
    serviceUrls: string[];
  } | null;
  /** VAPID keys from config, or null: generated on first start and stored encrypted. */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  vapidSubject: string;
  /** A PEM file of extra CAs trusted for push services, beside Node's store (NODE_EXTRA_CA_CERTS works too). */
  pushCaFile: string | null;
  /**
   * Origins push subscriptions may point at (`https://host[:port]`; `https://*.example` for its subdomains; `*`
   * for any): checked when a browser subscribes and again before each push.
   */
  pushServiceOrigins: string[];
  /** Development and tests only: push endpoints on loopback and private addresses (a local push service). */
  allowPrivatePushEndpoints: boolean;
  /**
   * Email is on when SMTP_URL is set (then SMTP_FROM is required): the SMTP server every mail goes through (approval
   * notifications, enrollment links), chosen by the admin like SLACK_API_URL, so any host is allowed. The URL may hold
   * credentials: it is never logged.
   */
  smtp: { url: string; from: string } | null;
  /** A notification still queued this long is re-enqueued by the sweep (its job may have died with Redis). */
  notificationRedeliveryAfterSeconds: number;
  /**
   * BullMQ: how long a worker's lock on a running job lasts (renewed at half of it while the worker lives), and how
   * often workers look for jobs whose lock expired (a worker died mid-job) to run them again.
   */
  workerLockDurationMs: number;
  workerStalledIntervalMs: number;
  /**
   * Notification jobs one worker process runs at once. They mostly wait on Slack or a push service, so this is
   * well above the other queues' 8: at 100 messages a second and ~100 ms per delivery, 8 would cap a worker near 60/s.
   */
  workerNotificationConcurrency: number;
  /** How many deliveries of flooding agents (the flood queue, beyond their fair share) one worker process runs at once. */
  workerFloodingConcurrency: number;
  /** How far behind a flooding agent's deliveries may fall before its new requests are refused (ADR 0010). */
  floodBacklogLimitMs: number;
  /** The built web app's folder; null: `dist/web` of the installation. */
  webRoot: string | null;
  /** A file the worker touches while it runs, for `countersign worker --check` (a container healthcheck); null: none. */
  workerHeartbeatFile: string | null;
  /** Reverse proxies in front of the API whose X-Forwarded-For is believed (the client address); 0: none. */
  trustProxyHops: number;
  /** The role of a person the directory provisions over SCIM (their permissions come from their groups). */
  scimDefaultRole: 'admin' | 'approver' | 'member';
  /** The OpenID providers people may sign in through (OIDC_PROVIDERS); empty: single sign-on is off. */
  oidcProviders: OidcProviderConfig[];
  /** People sign in only through single sign-on: passkey-only sign-in and enrollment links are refused (step-up stays). */
  requireSso: boolean;
}

/** Names of the variables whose values must never appear in logs or errors. */
export const SENSITIVE_VARIABLES = [
  'COUNTERSIGN_KEY_ENCRYPTION_SECRET',
  'COUNTERSIGN_ADMIN_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'TEAMS_APP_PASSWORD',
  'VAPID_PRIVATE_KEY',
  'SMTP_URL',
  'OIDC_PROVIDERS',
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * Validates every variable at once so start-up lists all problems, never values of secrets. A variable set to the
 * empty string counts as unset: docker compose passes `${VAR}` of an unset VAR as "", and so do many env files.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): CountersignConfig {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  const values = parsed.data;
  const problems: string[] = [];
  if (values.SLACK_BOT_TOKEN && !values.SLACK_SIGNING_SECRET) problems.push('SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set');
  if (values.SLACK_BOT_TOKEN && !values.SLACK_APP_ID)
    problems.push('SLACK_APP_ID: required when SLACK_BOT_TOKEN is set (clicks are checked against it)');
  if (values.TEAMS_APP_ID && (!values.TEAMS_APP_PASSWORD || !values.TEAMS_TENANT_ID))
    problems.push('TEAMS_APP_PASSWORD, TEAMS_TENANT_ID: required when TEAMS_APP_ID is set (a single-tenant bot)');
  if (Boolean(values.VAPID_PUBLIC_KEY) !== Boolean(values.VAPID_PRIVATE_KEY))
    problems.push('VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither');
  if (values.SMTP_URL && !values.SMTP_FROM) problems.push('SMTP_FROM: required when SMTP_URL is set (the address mail is sent from)');
  const oidcProviders = parseOidcProviders(values.OIDC_PROVIDERS, problems);
  if (values.REQUIRE_SSO && oidcProviders.length === 0 && !values.OIDC_PROVIDERS)
    problems.push('REQUIRE_SSO: needs OIDC_PROVIDERS (nobody could sign in)');
  if (problems.length > 0) throw new ConfigError(problems);
  const publicUrl = (values.PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, '');
  return {
    databaseUrl: values.DATABASE_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    databaseIdleTimeoutMs: values.DATABASE_IDLE_TIMEOUT_MS,
    databasePreparedStatements: values.DATABASE_PREPARED_STATEMENTS,
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    port: values.PORT,
    publicUrl,
    keyEncryptionSecret: values.COUNTERSIGN_KEY_ENCRYPTION_SECRET,
    logLevel: values.LOG_LEVEL,
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    defaultAgentRequestsPerMinute: values.DEFAULT_AGENT_REQUESTS_PER_MINUTE,
    defaultAgentMaxPending: values.DEFAULT_AGENT_MAX_PENDING,
    personMaxPending: values.PERSON_MAX_PENDING,
    personRequestsPerMinute: values.PERSON_REQUESTS_PER_MINUTE,
    allowPrivateCallbackUrls: values.ALLOW_PRIVATE_CALLBACK_URLS,
    expirySweepSeconds: values.EXPIRY_SWEEP_SECONDS,
    callbackRedeliveryAfterSeconds: values.CALLBACK_REDELIVERY_AFTER_SECONDS,
    cibaPollIntervalSeconds: values.CIBA_POLL_INTERVAL_SECONDS,
    adminToken: values.COUNTERSIGN_ADMIN_TOKEN ?? null,
    bootstrapEmail: values.COUNTERSIGN_BOOTSTRAP_EMAIL?.toLowerCase() ?? null,
    sessionIdleMinutes: values.SESSION_IDLE_MINUTES,
    sessionAbsoluteHours: values.SESSION_ABSOLUTE_HOURS,
    signInRequestsPerMinute: values.SIGN_IN_REQUESTS_PER_MINUTE,
    circuitBreakerThreshold: values.CIRCUIT_BREAKER_THRESHOLD,
    circuitBreakerWindowMinutes: values.CIRCUIT_BREAKER_WINDOW_MINUTES,
    dpopProofWindowSeconds: values.DPOP_PROOF_WINDOW_SECONDS,
    teams:
      values.TEAMS_APP_ID && values.TEAMS_APP_PASSWORD && values.TEAMS_TENANT_ID
        ? {
            appId: values.TEAMS_APP_ID,
            appPassword: values.TEAMS_APP_PASSWORD,
            tenantId: values.TEAMS_TENANT_ID,
            openIdMetadataUrl: values.TEAMS_OPENID_METADATA_URL,
            tokenIssuer: values.TEAMS_TOKEN_ISSUER,
            loginUrl: (values.TEAMS_LOGIN_URL ?? `https://login.microsoftonline.com/${values.TEAMS_TENANT_ID}`).replace(/\/+$/, ''),
            oauthScope: values.TEAMS_OAUTH_SCOPE,
            serviceUrls: values.TEAMS_SERVICE_URLS.map((url) => url.replace(/\/*$/, '/')),
          }
        : null,
    slack:
      values.SLACK_BOT_TOKEN && values.SLACK_SIGNING_SECRET && values.SLACK_APP_ID
        ? {
            botToken: values.SLACK_BOT_TOKEN,
            signingSecret: values.SLACK_SIGNING_SECRET,
            appId: values.SLACK_APP_ID,
            apiUrl: values.SLACK_API_URL.replace(/\/*$/, '/'),
            appToken: values.SLACK_APP_TOKEN ?? null,
            command: values.SLACK_COMMAND,
          }
        : null,
    vapidKeys:
      values.VAPID_PUBLIC_KEY && values.VAPID_PRIVATE_KEY
        ? { publicKey: values.VAPID_PUBLIC_KEY, privateKey: values.VAPID_PRIVATE_KEY }
        : null,
    vapidSubject: values.VAPID_SUBJECT ?? (publicUrl.startsWith('https://') ? publicUrl : 'mailto:countersign@localhost'),
    pushCaFile: values.PUSH_CA_FILE ?? null,
    pushServiceOrigins: values.PUSH_SERVICE_ORIGINS,
    allowPrivatePushEndpoints: values.ALLOW_PRIVATE_PUSH_ENDPOINTS,
    smtp: values.SMTP_URL && values.SMTP_FROM ? { url: values.SMTP_URL, from: values.SMTP_FROM } : null,
    notificationRedeliveryAfterSeconds: values.NOTIFICATION_REDELIVERY_AFTER_SECONDS,
    workerLockDurationMs: values.WORKER_LOCK_DURATION_MS,
    workerStalledIntervalMs: values.WORKER_STALLED_INTERVAL_MS,
    workerNotificationConcurrency: values.WORKER_NOTIFICATION_CONCURRENCY,
    workerFloodingConcurrency: values.WORKER_FLOODING_CONCURRENCY,
    floodBacklogLimitMs: values.FLOOD_BACKLOG_LIMIT_MS,
    webRoot: values.WEB_ROOT ?? null,
    workerHeartbeatFile: values.WORKER_HEARTBEAT_FILE ?? null,
    trustProxyHops: values.TRUST_PROXY_HOPS,
    scimDefaultRole: values.SCIM_DEFAULT_ROLE,
    oidcProviders,
    requireSso: values.REQUIRE_SSO,
  };
}
