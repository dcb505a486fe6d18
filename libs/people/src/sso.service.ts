import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as openid from 'openid-client';
import { z } from 'zod';
import { AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig, type OidcProviderConfig } from '@countersign/config';
import { type SsoProviders } from '@countersign/contract';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { type SignedIn } from './enrollment.service';
import { PeopleRepository, type PersonRecord } from './people.repository';
import { SessionService } from './session.service';
import { SsoRepository } from './sso.repository';

/** A sign-in started at the IdP must come back within this long. */
export const SSO_LOGIN_TTL_MS = 10 * 60_000;
/** Seconds openid-client waits for the IdP's discovery, token and JWKS answers. */
const IDP_TIMEOUT_SECONDS = 10;

/**
 * Why a single sign-on was refused: the web app's sign-in page explains each (`/sign-in?sso_error=<reason>`).
 * `idp_unavailable` is the IdP being down or answering nonsense; `idp_error` is the IdP refusing (the person
 * cancelled, or the code was refused at the token endpoint); `invalid_response` is an ID token that failed
 * validation (issuer, audience, signature, nonce, expiry); `invalid_state` is a callback with no request of this
 * browser behind it (replayed, expired, or another browser's).
 */
export type SsoRefusalReason =
  | 'unknown_provider'
  | 'idp_unavailable'
  | 'idp_error'
  | 'invalid_state'
  | 'invalid_response'
  | 'no_account'
  | 'email_not_verified'
  | 'account_disabled';

/** A single sign-on that did not end in a session; `reason` is for the sign-in page, the message for logs. */
export class SsoRefused extends DomainError {
  constructor(
    readonly reason: SsoRefusalReason,
    message: string,
  ) {
    super(reason === 'idp_unavailable' ? 'sso_unavailable' : reason === 'unknown_provider' ? 'not_found' : 'unauthenticated', message, {
      reason,
    });
  }
}

/** `GET /v1/auth/sso/:provider/start?next=/approvals/…`: where the web app goes after signing in. */
export const ssoStartQuery = z.object({ next: z.string().max(2000).optional() });

/** Only a path on this site (never `//elsewhere` or `/\\elsewhere`); anything else is the inbox. */
export function safeReturnPath(next: string | undefined): string {
  const controlCharacter = [...(next ?? '')].some((character) => character.charCodeAt(0) < 0x20);
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') && !controlCharacter ? next : '/inbox';
}

export interface SsoStart {
  /** The IdP's authorization URL to redirect the browser to. */
  url: string;
  /** The cookie value that binds the callback to this browser (the database keeps its SHA-256). */
  browserSecret: string;
}

export interface SsoSignedIn extends SignedIn {
  returnTo: string;
}

/**
 * People signing in through their organization's OpenID providers (authorization code flow, PKCE, `state`,
 * `nonce`; openid-client validates the ID token). The person is found by (issuer, sub); docs/adr/0016.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);
  private readonly providers: Map<string, OidcProviderConfig>;
  /** Discovery per provider, kept once it succeeded (a failure is retried by the next sign-in). */
  private readonly configurations = new Map<string, Promise<openid.Configuration>>();

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly database: Database,
    private readonly repository: SsoRepository,
    private readonly people: PeopleRepository,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
  ) {
    this.providers = new Map(config.oidcProviders.map((provider) => [provider.id, provider]));
  }

  /** The providers for the sign-in page, and whether passkey-only sign-in is off. */
  list(): SsoProviders {
    return {
      providers: this.config.oidcProviders.map((provider) => ({ id: provider.id, name: provider.name })),
      required: this.config.requireSso,
    };
  }

  /** Records the request (state, nonce, PKCE verifier) server side and returns the IdP's authorization URL. */
  async start(providerId: string, returnTo: string): Promise<SsoStart> {
    const provider = this.provider(providerId);
    const configuration = await this.configuration(provider);
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const codeVerifier = openid.randomPKCECodeVerifier();
    const browserSecret = randomBytes(32).toString('base64url');
    await this.repository.insertLogin({
      stateHash: sha256(state),
      browserHash: sha256(browserSecret),
      provider: provider.id,
      nonce,
      codeVerifier,
      returnTo,
      expiresAt: new Date(Date.now() + SSO_LOGIN_TTL_MS),
    });
    const url = openid.buildAuthorizationUrl(configuration, {
      redirect_uri: this.callbackUrl(provider),
      response_type: 'code',
      scope: ['openid', ...provider.scopes].join(' '),
      state,
      nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, browserSecret };
  }

  /**
   * The IdP's redirect back: takes the request out (single use), checks it is this browser's and this provider's,
   * redeems the code and validates the ID token with openid-client, finds or links the person, opens a session.
   */
  async finish(providerId: string, browserSecret: string | null, query: URLSearchParams, userAgent: string | null): Promise<SsoSignedIn> {
    const provider = this.provider(providerId);
    const state = query.get('state');
    const login = state ? await this.repository.takeLogin(sha256(state)) : null;
    if (
      !login ||
      login.provider !== provider.id ||
      login.expiresAt.getTime() <= Date.now() ||
      !sameHash(login.browserHash, browserSecret)
    ) {
      await this.refuse(provider, 'invalid_state', null, {});
      throw new SsoRefused('invalid_state', 'this sign-in is unknown, used, expired or was started in another browser; start again');
    }
    const { claims, accessToken } = await this.redeem(provider, login.codeVerifier, state!, login.nonce, query);
    const issuer = claims.iss;
    const subject = claims.sub;
    const identity = { provider: provider.id, issuer, sub: subject };

    let person = await this.repository.personOf(issuer, subject);
    let linkedEmail: string | null = null;
    if (!person) {
      if (!provider.linkByVerifiedEmail) {
        await this.refuse(provider, 'no_account', null, identity);
        throw new SsoRefused('no_account', `no Countersign account is linked to this ${provider.name} identity; ask an admin`);
      }
      const { email, verified } = await this.linkingEmail(provider, claims, accessToken);
      if (!email || !verified) {
        await this.refuse(provider, 'email_not_verified', null, identity);
        throw new SsoRefused('email_not_verified', `${provider.name} does not say your email address is verified, so it cannot be linked`);
      }
      person = await this.people.findByReference(email);
      if (!person) {
        await this.refuse(provider, 'no_account', null, identity);
        throw new SsoRefused('no_account', `no Countersign account has the email address ${provider.name} gave; ask an admin`);
      }
      linkedEmail = email;
    }
    if (person.status !== 'active') {
      await this.refuse(provider, 'account_disabled', person, identity);
      throw new SsoRefused('account_disabled', 'this account is disabled');
    }
    const signedIn = person;
    const session = await this.database.transaction(async (tx) => {
      if (linkedEmail) {
        if (!(await this.repository.link(tx, { issuer, subject, personId: signedIn.id, provider: provider.id, email: linkedEmail })))
          return null;
      } else {
        await this.repository.recordSignIn(tx, issuer, subject);
      }
      const created = await this.sessions.create(tx, signedIn, userAgent);
      await this.audit.append(tx, { type: 'person', id: signedIn.id }, [
        ...(linkedEmail
          ? [
              {
                type: AuditEventType.SsoIdentityLinked,
                subject: { type: 'person', id: signedIn.id },
                data: { ...identity, via: 'verified_email' },
              },
            ]
          : []),
        { type: AuditEventType.PersonSignedIn, subject: { type: 'person', id: signedIn.id }, data: { method: 'sso', ...identity } },
      ]);
      return created;
    });
    if (!session) {
      // The person is already linked to another identity at this issuer (or this one was linked meanwhile): never relinked here.
      await this.refuse(provider, 'no_account', signedIn, identity);
      throw new SsoRefused('no_account', `this account is already linked to another ${provider.name} identity; ask an admin`);
    }
    return { person: signedIn, session, returnTo: login.returnTo };
  }

  private provider(id: string): OidcProviderConfig {
    const provider = this.providers.get(id);
    if (!provider) throw new SsoRefused('unknown_provider', `no single sign-on provider ${JSON.stringify(id)} is configured`);
    return provider;
  }

  private callbackUrl(provider: OidcProviderConfig): string {
    return `${this.config.publicUrl}/v1/auth/sso/${provider.id}/callback`;
  }

  /** Discovery (`<issuer>/.well-known/openid-configuration`), once per provider; a failure is not kept. */
  private configuration(provider: OidcProviderConfig): Promise<openid.Configuration> {
    let configuration = this.configurations.get(provider.id);
    if (!configuration) {
      const insecure = new URL(provider.issuer).protocol === 'http:'; // loopback only (libs/config)
      configuration = openid
        .discovery(
          new URL(provider.issuer),
          provider.clientId,
          { redirect_uris: [this.callbackUrl(provider)], response_types: ['code'] },
          provider.tokenEndpointAuthMethod === 'client_secret_post'
            ? openid.ClientSecretPost(provider.clientSecret)
            : openid.ClientSecretBasic(provider.clientSecret),
          { timeout: IDP_TIMEOUT_SECONDS, execute: insecure ? [openid.allowInsecureRequests] : [] },
        )
        .then((discovered) => {
          // Validate the ID token's signature against the IdP's JWKS too, not only its claims (issuer, audience, nonce, expiry).
          openid.enableNonRepudiationChecks(discovered);
          return discovered;
        });
      this.configurations.set(provider.id, configuration);
      configuration.catch(() => this.configurations.delete(provider.id));
    }
    return configuration.catch((error: unknown) => {
      throw this.failure(provider, error);
    });
  }

  /** The code redeemed at the token endpoint and the ID token validated; its claims, or a refusal. */
  private async redeem(
    provider: OidcProviderConfig,
    codeVerifier: string,
    state: string,
    nonce: string,
    query: URLSearchParams,
  ): Promise<{ claims: openid.IDToken; accessToken: string }> {
    const configuration = await this.configuration(provider);
    try {
      const tokens = await openid.authorizationCodeGrant(configuration, new URL(`${this.callbackUrl(provider)}?${query.toString()}`), {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      return { claims, accessToken: tokens.access_token };
    } catch (error) {
      const refused = this.failure(provider, error);
      if (refused.reason !== 'idp_unavailable') await this.refuse(provider, refused.reason, null, {});
      throw refused;
    }
  }

  /**
   * The email to link by and whether the IdP verified it: from the ID token, or, when it leaves them out (some IdPs
   * put profile claims only in userinfo when an access token is issued), from userinfo, whose `sub` openid-client
   * checks against the ID token's.
   */
  private async linkingEmail(
    provider: OidcProviderConfig,
    claims: openid.IDToken,
    accessToken: string,
  ): Promise<{ email: string | null; verified: boolean }> {
    let source: Record<string, unknown> = claims;
    const configuration = await this.configuration(provider);
    if (
      (typeof claims.email !== 'string' || typeof claims.email_verified !== 'boolean') &&
      configuration.serverMetadata().userinfo_endpoint
    ) {
      try {
        source = await openid.fetchUserInfo(configuration, accessToken, claims.sub);
      } catch (error) {
        const refused = this.failure(provider, error);
        if (refused.reason !== 'idp_unavailable') await this.refuse(provider, refused.reason, null, {});
        throw refused;
      }
    }
    return {
      email: typeof source.email === 'string' ? source.email.trim().toLowerCase() : null,
      verified: source.email_verified === true,
    };
  }

  /** openid-client's failures, sorted into the IdP being unreachable, the IdP refusing, and a response that failed our checks. */
  private failure(provider: OidcProviderConfig, error: unknown): SsoRefused {
    if (error instanceof SsoRefused) return error;
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof openid.AuthorizationResponseError || error instanceof openid.ResponseBodyError) {
      return new SsoRefused('idp_error', `${provider.name} refused the sign-in: ${(error as { error?: string }).error ?? detail}`);
    }
    if (!unreachable(error) && error instanceof openid.ClientError) {
      this.logger.warn(`single sign-on through ${provider.id} refused: ${detail}`);
      return new SsoRefused('invalid_response', `${provider.name}'s answer failed validation: ${detail}`);
    }
    this.logger.warn(`single sign-on through ${provider.id}: the identity provider is unavailable: ${detail}`);
    return new SsoRefused('idp_unavailable', `${provider.name} cannot be reached right now; try again shortly`);
  }

  private async refuse(
    provider: OidcProviderConfig,
    reason: SsoRefusalReason,
    person: PersonRecord | null,
    identity: { issuer?: string; sub?: string },
  ): Promise<void> {
    await this.audit.record(SYSTEM, [
      {
        type: AuditEventType.PersonSignInRefused,
        ...(person ? { subject: { type: 'person', id: person.id } } : {}),
        data: { method: 'sso', provider: provider.id, reason, ...identity },
      },
    ]);
  }
}

/**
 * The IdP could not be reached or answered with something other than its protocol (a proxy's error page): fetch's
 * own failures (refused, reset, DNS, timeout), which openid-client passes on or wraps, whatever realm made them.
 */
function unreachable(error: unknown): boolean {
  for (
    let cause = error, depth = 0;
    typeof cause === 'object' && cause !== null && depth < 5;
    cause = (cause as { cause?: unknown }).cause, depth += 1
  ) {
    const { name, message, code } = cause as { name?: unknown; message?: unknown; code?: unknown };
    if (message === 'fetch failed' || name === 'TimeoutError' || name === 'AbortError') return true;
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON') return true;
  }
  return false;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameHash(expected: string, secret: string | null): boolean {
  if (!secret) return false;
  const presented = Buffer.from(sha256(secret));
  const stored = Buffer.from(expected);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
