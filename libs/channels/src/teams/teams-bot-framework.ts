import { type Activity, CloudAdapter, ConfigurationBotFrameworkAuthentication, type InvokeResponse, type TurnContext } from 'botbuilder';
import {
  AppCredentials,
  type AuthenticateRequestResult,
  type AuthenticatorResult,
  ClaimsIdentity,
  type ConnectorClient,
  ServiceClientCredentialsFactory,
} from 'botframework-connector';
import { type CountersignConfig } from '@countersign/config';
import { PermanentJobError, RetryLaterError } from '@countersign/queue';

type TeamsConfig = NonNullable<CountersignConfig['teams']>;

/** The Bot Framework as this deployment configured it: the adapter for incoming activities and connector clients. */
export interface TeamsBotFramework {
  config: TeamsConfig;
  adapter: TeamsAdapter;
  authentication: ConfigurationBotFrameworkAuthentication;
  /** A Bot Connector client for a service URL in TEAMS_SERVICE_URLS; a URL outside it is refused (ServiceUrlRefused). */
  connector(serviceUrl: string): Promise<ConnectorClient>;
}

export const TEAMS_BOT_FRAMEWORK = Symbol('TEAMS_BOT_FRAMEWORK');

/** CloudAdapter, with its turn for an activity already authenticated (the invoke's response returned, not written). */
export class TeamsAdapter extends CloudAdapter {
  run(
    authenticated: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(authenticated, activity, logic);
  }
}

/** A service URL the allow-list does not hold: nothing is sent to it. */
export class ServiceUrlRefused extends Error {
  constructor(readonly serviceUrl: string) {
    super(`the Bot Connector service URL ${serviceUrl} is not in TEAMS_SERVICE_URLS`);
  }
}

/** True when the URL starts with one of the allowed prefixes (each an origin and a path ending in `/`). */
export function isAllowedServiceUrl(serviceUrl: unknown, allowed: string[]): serviceUrl is string {
  if (typeof serviceUrl !== 'string') return false;
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash) return false;
  const normalized = url.href.endsWith('/') ? url.href : `${url.href}/`;
  return allowed.some((prefix) => normalized.startsWith(prefix));
}

/**
 * The bot's own credentials (client credentials grant at `<login URL>/oauth2/v2.0/token` for `<scope>/.default`),
 * through the Bot Framework's extension point for credentials. Not MSAL, which botbuilder's password factory uses:
 * MSAL insists on an https authority and asks login.microsoftonline.com to discover any other host, so no local
 * issuer could stand in for Entra ID in tests (docs/adr/0024-teams-channel.md). The request is the one MSAL sends.
 */
class TeamsCredentials extends AppCredentials {
  constructor(
    private readonly teams: TeamsConfig,
    audience: string,
  ) {
    super(teams.appId, teams.tenantId, audience);
  }

  protected async refreshToken(): Promise<AuthenticatorResult> {
    const scope = this.oAuthScope.endsWith('/.default') ? this.oAuthScope : `${this.oAuthScope}/.default`;
    let response: Response;
    try {
      response = await fetch(`${this.teams.loginUrl}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.teams.appId,
          client_secret: this.teams.appPassword,
          scope,
        }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new Error(`the Teams token endpoint could not be reached: ${(error as Error).message}`, { cause: error });
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    // 400/401: a wrong app id, password or tenant; retrying does not fix it.
    if (response.status === 400 || response.status === 401)
      throw new PermanentJobError(
        `the Teams token endpoint refused the bot's credentials: ${typeof body.error === 'string' ? body.error : response.status}`,
      );
    if (!response.ok || typeof body.access_token !== 'string')
      throw new Error(`the Teams token endpoint answered ${response.status} without a token`);
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    return { accessToken: body.access_token, expiresOn: new Date(Date.now() + (Number.isFinite(seconds) ? seconds : 3600) * 1000) };
  }
}

class TeamsCredentialsFactory extends ServiceClientCredentialsFactory {
  constructor(private readonly teams: TeamsConfig) {
    super();
  }

  isValidAppId(appId: string): Promise<boolean> {
    return Promise.resolve(appId === this.teams.appId);
  }

  /** Never: an app id is required when Teams is on, and every activity must carry a token. */
  isAuthenticationDisabled(): Promise<boolean> {
    return Promise.resolve(false);
  }

  createCredentials(appId: string, audience: string | undefined): Promise<AppCredentials> {
    if (appId !== this.teams.appId) return Promise.reject(new Error('Invalid appId.'));
    return Promise.resolve(new TeamsCredentials(this.teams, audience || this.teams.oauthScope));
  }
}

/** The Bot Framework objects, or null when Teams is not configured (the channel is off). */
export function createTeamsBotFramework(config: CountersignConfig): TeamsBotFramework | null {
  const teams = config.teams;
  if (!teams) return null;
  const authentication = new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: teams.appId,
      MicrosoftAppTenantId: teams.tenantId,
      MicrosoftAppType: 'SingleTenant',
      ToBotFromChannelOpenIdMetadataUrl: teams.openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: teams.tokenIssuer,
      // Emulator tokens are refused before this (their issuer is not the channel's); the URL only keeps botbuilder
      // from ever fetching Entra ID's metadata.
      ToBotFromEmulatorOpenIdMetadataUrl: teams.openIdMetadataUrl,
      ToChannelFromBotLoginUrl: teams.loginUrl,
      ToChannelFromBotOAuthScope: teams.oauthScope,
      ValidateAuthority: true,
    },
    new TeamsCredentialsFactory(teams),
  );
  const adapter = new TeamsAdapter(authentication);
  const identity = new ClaimsIdentity([{ type: 'aud', value: teams.appId }], true);
  return {
    config: teams,
    adapter,
    authentication,
    async connector(serviceUrl: string): Promise<ConnectorClient> {
      if (!isAllowedServiceUrl(serviceUrl, teams.serviceUrls)) throw new ServiceUrlRefused(String(serviceUrl));
      return authentication.createConnectorFactory(identity).create(serviceUrl, teams.oauthScope);
    },
  };
}

/**
 * Maps the Bot Connector's failures onto the job's: 401/403/404 cannot be fixed by retrying (the bot's
 * registration or the conversation is gone), 429 waits as told, 5xx and network errors retry with backoff.
 */
export function connectorFailure(error: unknown): Error {
  if (error instanceof PermanentJobError || error instanceof RetryLaterError) return error;
  const status = statusOf(error);
  if (status === 429) {
    const retryAfter = Number(headerOf(error, 'retry-after') ?? 30);
    const seconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 30;
    return new RetryLaterError(seconds * 1000, `Teams rate limit: retry after ${seconds} s`);
  }
  if (status === 400 || status === 401 || status === 403 || status === 404)
    return new PermanentJobError(`the Bot Connector refused: ${status} ${(error as Error).message ?? ''}`.trim());
  return error instanceof Error ? error : new Error(String(error));
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as { statusCode?: unknown; response?: { status?: unknown } };
  const status = candidate?.statusCode ?? candidate?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = (error as { response?: { headers?: { get?: (name: string) => string | undefined } } })?.response?.headers;
  return typeof headers?.get === 'function' ? headers.get(name) : undefined;
}
