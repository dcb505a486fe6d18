import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditEventType, AuditService } from '@countersign/audit';
import { type AgentRecord, AgentsService, CIBA_GRANT_TYPE, cibaOf, OAuthError, type OAuthErrorCode } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Database } from '@countersign/database';
import { DomainError, DPOP_ALGORITHMS, type ErrorCode, matchesAny } from '@countersign/domain';
import {
  type AgentPrincipal,
  ApprovalTokenService,
  type DpopProofInput,
  DpopProofService,
  IdTokenService,
  InvalidTokenError,
  KeyEncryption,
  SIGNING_ALGORITHM,
} from '@countersign/tokens';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { type ApprovalRequest, parseApprovalRequest } from './approval-request';
import { actionOf, type AuthorizationDetail, BackchannelRefusal, type BackchannelRequest, SUPPORTED_SCOPES } from './ciba-request';
import { type CibaGrant, CibaRepository } from './ciba.repository';
import { IntakeService } from './intake.service';

/** CIBA Core 1.0 §11: each slow_down adds this to the interval, for that poll and every later one. */
export const SLOW_DOWN_SECONDS = 5;
/** auth_req_id: 256 random bits, base64url (CIBA Core 1.0 §7.3 asks for at least 128 and [A-Za-z0-9._-]). */
const AUTH_REQ_ID_BYTES = 32;

/** How intake's refusals read as CIBA errors (CIBA Core 1.0 §13); the rest are problems of their own (429, 503). */
const INTAKE_ERRORS: Partial<Record<ErrorCode, { error: OAuthErrorCode; status?: 403 }>> = {
  invalid_request: { error: 'invalid_request' },
  invalid_callback_url: { error: 'invalid_request' },
  unknown_person: { error: 'unknown_user_id' },
  audience_required: { error: 'invalid_authorization_details' },
  capability_missing: { error: 'access_denied', status: 403 },
  permission_missing: { error: 'access_denied', status: 403 },
  forbidden_by_policy: { error: 'access_denied', status: 403 },
};

export interface BackchannelAnswer {
  auth_req_id: string;
  expires_in: number;
  interval: number;
}

/** The DPoP proof a token request came with (RFC 9449), as the transport read it. */
export type DpopProof = Pick<DpopProofInput, 'proof' | 'method' | 'url'>;

export interface CibaTokenAnswer {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  authorization_details: AuthorizationDetail[];
  id_token?: string;
}

/**
 * OpenID CIBA, another door to the same approval (docs/adr/0015-ciba.md): a backchannel request becomes an approval
 * through the intake, and the token endpoint's CIBA grant redeems the approval's token once it is approved.
 */
@Injectable()
export class CibaService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly intake: IntakeService,
    private readonly requests: CibaRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly tokens: ApprovalTokenService,
    private readonly idTokens: IdTokenService,
    private readonly encryption: KeyEncryption,
    private readonly audit: AuditService,
    private readonly agents: AgentsService,
    private readonly database: Database,
    private readonly dpopProofs: DpopProofService,
  ) {}

  /**
   * OpenID Connect Discovery 1.0 and RFC 8414 metadata, the same document at both well-known addresses: where the
   * endpoints are, and what this server supports of CIBA, RAR and OAuth.
   */
  async discovery(): Promise<Record<string, unknown>> {
    const issuer = this.config.publicUrl;
    return {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      backchannel_authentication_endpoint: `${issuer}/oauth/bc-authorize`,
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
      backchannel_user_code_parameter_supported: false,
      authorization_details_types_supported: await this.agents.cibaTypes(),
      grant_types_supported: ['client_credentials', CIBA_GRANT_TYPE],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      backchannel_authentication_request_signing_alg_values_supported: [],
      scopes_supported: [...SUPPORTED_SCOPES],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
      response_types_supported: [],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'at_hash'],
    };
  }

  /** The backchannel authentication endpoint (CIBA Core 1.0 §7): the agent is authenticated, the form parsed. */
  async authorize(agent: AgentRecord, input: BackchannelRequest): Promise<BackchannelAnswer> {
    const principal: AgentPrincipal = { agentId: agent.id, clientId: agent.clientId };
    const registration = cibaOf(agent);
    if (!registration) return this.refuse(principal, 'unauthorized_client', 'this client is not registered for CIBA');
    const scopes = input.scopes;
    const unknownScope = scopes.find((scope) => !(SUPPORTED_SCOPES as readonly string[]).includes(scope));
    if (unknownScope !== undefined)
      return this.refuse(principal, 'invalid_scope', `scope ${JSON.stringify(unknownScope)} is not supported`);
    const ping = registration.deliveryMode === 'ping';
    if (ping && input.clientNotificationToken === undefined)
      return this.refuse(principal, 'invalid_request', 'client_notification_token is required in ping mode');
    const details = input.authorizationDetails;
    if (!details) return this.refuse(principal, 'invalid_request', 'authorization_details is required: it names the action to approve');
    const unregistered = details.find((detail) => !matchesAny(registration.authorizationDetailsTypes, detail.type));
    if (unregistered)
      return this.refuse(
        principal,
        'invalid_authorization_details',
        `type ${JSON.stringify(unregistered.type)} is not registered for this client`,
      );
    const onBehalfOf = await this.personReference(principal, input.hint);

    const { audience, ...action } = actionOf(details[0]);
    let request: ApprovalRequest;
    try {
      request = parseApprovalRequest({
        action,
        on_behalf_of: onBehalfOf,
        ...(audience ? { audience } : {}),
        ...(input.requestedExpiry ? { expires_in: input.requestedExpiry } : {}),
        ...(ping ? { callback_url: registration.notificationEndpoint } : {}),
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const field = typeof error.details?.field === 'string' ? error.details.field : '';
      return this.refuse(
        principal,
        field.startsWith('/action') || field === '/audience' ? 'invalid_authorization_details' : 'invalid_request',
        error.message,
      );
    }

    const authReqId = randomBytes(AUTH_REQ_ID_BYTES).toString('base64url');
    const interval = this.config.cibaPollIntervalSeconds;
    let expiresAt: Date;
    try {
      const result = await this.intake.request(principal, request, undefined, {
        bindingMessage: input.bindingMessage,
        request: {
          authReqHash: hashOf(authReqId),
          agentId: agent.id,
          scopes,
          authorizationDetailsEnc: this.encryption.seal(JSON.stringify(details)),
          deliveryMode: registration.deliveryMode,
          pingEnc: ping ? this.encryption.seal(JSON.stringify({ auth_req_id: authReqId, token: input.clientNotificationToken })) : null,
          intervalSeconds: interval,
        },
      });
      expiresAt = result.cibaExpiresAt!;
    } catch (error) {
      // Intake audited its own refusals; they are answered in CIBA's words.
      const mapped = error instanceof DomainError ? INTAKE_ERRORS[error.code] : undefined;
      if (!mapped) throw error;
      throw new OAuthError(mapped.error, (error as DomainError).message, mapped.status);
    }
    return { auth_req_id: authReqId, expires_in: Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 1000)), interval };
  }

  /**
   * The token endpoint's CIBA grant (CIBA Core 1.0 §10-11): pending (or too fast), expired, denied, or the approval
   * token, once. Only the client that asked may redeem: anyone else's auth_req_id is invalid_grant, as is an unknown one.
   * With a DPoP proof (RFC 9449), checked before anything else, the token is bound to the proof's key.
   */
  async redeem(agent: AgentRecord, authReqId: string | undefined, dpop: DpopProof | null): Promise<CibaTokenAnswer> {
    if (!authReqId) throw new OAuthError('invalid_request', 'auth_req_id is required');
    const hash = hashOf(authReqId);
    const grant = await this.requests.find(hash);
    if (!grant || grant.agentId !== agent.id) {
      // Another client's id, or a guess: worth a line in the log (the owner's own polls are not).
      await this.refuseGrant(agent, grant?.approvalId ?? null, grant ? "another client's auth_req_id" : 'unknown auth_req_id');
      throw new OAuthError('invalid_grant', 'auth_req_id is unknown to this client');
    }
    const jkt = dpop ? await this.proofKey(dpop) : null;
    switch (grant.status) {
      case 'pending':
        return this.stillPending(hash, grant);
      case 'approved':
        return this.issue(agent, hash, authReqId, grant, jkt);
      case 'expired':
        throw new OAuthError('expired_token', 'the request expired before the person decided');
      case 'denied':
      case 'cancelled':
        throw new OAuthError('access_denied', `the request was ${grant.status}`);
    }
  }

  private async stillPending(hash: string, grant: CibaGrant): Promise<never> {
    if (grant.approvalExpiresAt.getTime() <= Date.now()) {
      // Lazy expiry, as on the agent's own reads: the worker's job may not have run yet.
      await this.lifecycle.expire(grant.approvalId);
      throw new OAuthError('expired_token', 'the request expired before the person decided');
    }
    const poll = await this.requests.recordPoll(hash, SLOW_DOWN_SECONDS);
    if (poll.tooFast) throw new OAuthError('slow_down', `poll at most every ${poll.intervalSeconds} seconds`);
    throw new OAuthError('authorization_pending', 'the person has not decided yet');
  }

  /** The RFC 7638 thumbprint of the proof's key; invalid_dpop_proof naming the failed check otherwise. */
  private async proofKey(dpop: DpopProof): Promise<string> {
    try {
      return await this.dpopProofs.verify(dpop);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'invalid_dpop_proof') throw new OAuthError('invalid_dpop_proof', error.message);
      throw error;
    }
  }

  private async refuseGrant(agent: AgentRecord, approvalId: string | null, reason: string): Promise<void> {
    await this.audit.record({ type: 'agent', id: agent.id, clientId: agent.clientId }, [
      { type: AuditEventType.CibaTokenRefused, ...(approvalId ? { subject: { type: 'approval', id: approvalId } } : {}), data: { reason } },
    ]);
  }

  private async issue(agent: AgentRecord, hash: string, authReqId: string, grant: CibaGrant, jkt: string | null): Promise<CibaTokenAnswer> {
    if (grant.redeemedAt) {
      await this.refuseGrant(agent, grant.approvalId, 'already redeemed');
      throw new OAuthError('invalid_grant', 'auth_req_id was already redeemed');
    }
    const actor = { type: 'agent' as const, id: agent.id, clientId: agent.clientId };
    // Redeemed and (with DPoP) bound in one transaction: a redemption that cannot hand out a token redeems nothing.
    const token = await this.database.transaction(async (tx) => {
      if (!(await this.requests.redeem(tx, hash))) throw new OAuthError('invalid_grant', 'auth_req_id was already redeemed');
      const current = jkt
        ? (await this.tokens.bindToKey(tx, actor, grant.approvalId, jkt))?.token
        : await this.tokens.tokenFor(grant.approvalId);
      // Approved near the end of the request's life, it is redeemable for as long as its token lives.
      if (!current || expirationOf(current) <= Math.floor(Date.now() / 1000))
        throw new OAuthError('expired_token', 'the approval token expired, or was used or revoked, before it was redeemed');
      return current;
    });
    const expiresIn = expirationOf(token) - Math.floor(Date.now() / 1000);
    const details = JSON.parse(this.encryption.open(grant.authorizationDetailsEnc).toString('utf8')) as AuthorizationDetail[];
    const idToken = grant.scopes.includes('openid')
      ? await this.idTokens.sign({
          personId: grant.personId,
          clientId: agent.clientId,
          authReqId,
          accessToken: token,
          authTime: grant.decidedAt ?? new Date(),
        })
      : undefined;
    const tokenType = jkt ? 'DPoP' : 'Bearer';
    await this.audit.record(actor, [
      {
        type: AuditEventType.CibaTokenIssued,
        subject: { type: 'approval', id: grant.approvalId },
        data: { id_token: idToken !== undefined, token_type: tokenType },
      },
    ]);
    return {
      access_token: token,
      token_type: tokenType,
      expires_in: expiresIn,
      authorization_details: details,
      ...(idToken ? { id_token: idToken } : {}),
    };
  }

  /** login_hint is the person's email; id_token_hint an ID token this service issued to the client. */
  private async personReference(principal: AgentPrincipal, hint: BackchannelRequest['hint']): Promise<string> {
    if (hint.kind === 'login_hint') return hint.value;
    if (hint.kind === 'login_hint_token')
      return this.refuse(principal, 'invalid_request', 'login_hint_token is not supported; use login_hint');
    try {
      return await this.idTokens.subjectOfHint(hint.value, principal.clientId);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      return this.refuse(principal, 'invalid_request', error.reason);
    }
  }

  /** A refusal the transport or this service found, audited like intake's own, then answered. */
  async refuse(principal: AgentPrincipal, error: OAuthErrorCode, description: string, status?: 403): Promise<never> {
    await this.intake.refuse(principal, new DomainError('invalid_request', `${error}: ${description}`));
    throw new OAuthError(error, description, status);
  }

  /** The transport's parse refusal (`parseBackchannelRequest`), audited and answered. */
  refuseInput(principal: AgentPrincipal, refusal: BackchannelRefusal): Promise<never> {
    return this.refuse(principal, refusal.error, refusal.refusal.message);
  }
}

function hashOf(authReqId: string): string {
  return createHash('sha256').update(authReqId).digest('base64url');
}

function expirationOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return payload.exp ?? 0;
}
