import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Database, type Tx } from '@countersign/database';
import { DomainError, validateOutboundUrl } from '@countersign/domain';
import { validatePatterns } from '@countersign/people';
import { generateSecret, hashSecret, KeyEncryption } from '@countersign/tokens';
import { AgentRepository, type AgentRecord } from './agent.repository';

export interface CreateAgent {
  name: string;
  capabilities: string[];
  withCallbackSecret?: boolean;
  requestsPerMinute?: number;
  maxPending?: number;
  ciba?: CibaRegistration;
}

/** An agent's OpenID CIBA settings (docs/adr/0015-ciba.md): without them the agent cannot use CIBA. */
export interface CibaRegistration {
  deliveryMode: 'poll' | 'ping';
  /** Ping mode's backchannel_client_notification_endpoint; under the same address rules as callbacks. */
  notificationEndpoint?: string | null;
  /** The authorization_details types it may send: action types, such as "payments.transfer". */
  authorizationDetailsTypes: string[];
}

export interface CreatedAgent {
  agent: AgentView;
  /** Shown once; only its scrypt hash is stored. */
  clientSecret: string;
  callbackSecret: string | null;
}

export interface AgentView {
  id: string;
  name: string;
  clientId: string;
  status: AgentRecord['status'];
  capabilities: string[];
  requestsPerMinute: number;
  maxPending: number;
  ciba: Required<CibaRegistration> | null;
  createdAt: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;
const ACTION_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const MAX_CIBA_TYPES = 100;

@Injectable()
export class AgentsService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly database: Database,
    private readonly agents: AgentRepository,
    private readonly audit: AuditService,
    private readonly encryption: KeyEncryption,
  ) {}

  async create(actor: Actor, input: CreateAgent): Promise<CreatedAgent> {
    const name = input.name.trim();
    if (!NAME.test(name))
      throw new DomainError('invalid_request', 'name must be 1-100 letters, digits, spaces, dots, dashes or underscores', {
        field: 'name',
      });
    if (input.capabilities.length === 0)
      throw new DomainError('invalid_request', 'an agent needs at least one capability', { field: 'capabilities' });
    validatePatterns(input.capabilities, 'capabilities');
    for (const [field, value] of [
      ['requestsPerMinute', input.requestsPerMinute],
      ['maxPending', input.maxPending],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1))
        throw new DomainError('invalid_request', `${field} must be a positive integer`, { field });
    }
    const ciba = input.ciba ? this.cibaColumns(input.ciba) : NO_CIBA;
    const clientId = `agt_${randomBytes(12).toString('base64url')}`;
    const clientSecret = generateSecret('cs_secret');
    const callbackSecret = input.withCallbackSecret ? generateSecret('cs_callback') : null;
    const secretHash = await hashSecret(clientSecret);
    const agent = await this.database.transaction(async (tx) => {
      const created = await this.agents.insert(tx, {
        name,
        clientId,
        secretHash,
        capabilities: input.capabilities,
        requestsPerMinute: input.requestsPerMinute ?? null,
        maxPending: input.maxPending ?? null,
        callbackSecretEnc: callbackSecret ? this.encryption.seal(callbackSecret) : null,
        ...ciba,
      });
      if (!created) throw new DomainError('conflict', `an agent named ${JSON.stringify(name)} already exists`, { field: 'name' });
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.AgentCreated,
          subject: { type: 'agent', id: created.id },
          data: {
            name,
            client_id: clientId,
            capabilities: input.capabilities,
            callback_secret: callbackSecret !== null,
            ciba: cibaOf(ciba),
          },
        },
      ]);
      return created;
    });
    return { agent: this.view(agent), clientSecret, callbackSecret };
  }

  /**
   * The agent's part of the kill switch, in the transaction of the approvals library's KillSwitch (which cancels the
   * agent's pending approvals and revokes its tokens in it): the status flips, so the agent can no longer get or use
   * access tokens. False, changing nothing, when the agent already was suspended.
   */
  markSuspended(tx: Tx, agent: AgentView): Promise<boolean> {
    return this.agents.setStatus(tx, agent.id, 'suspended');
  }

  /** Audits the suspension, in the kill switch's transaction, with what the rest of the switch did in it. */
  async auditSuspension(
    tx: Tx,
    actor: Actor,
    agent: AgentView,
    reason: string,
    effects: { cancelledApprovals: number; revokedTokens: number },
  ): Promise<void> {
    await this.audit.append(tx, actor, [
      {
        type: AuditEventType.AgentSuspended,
        subject: { type: 'agent', id: agent.id },
        data: { client_id: agent.clientId, reason, cancelled_approvals: effects.cancelledApprovals, revoked_tokens: effects.revokedTokens },
      },
    ]);
  }

  async resume(actor: Actor, reference: string): Promise<AgentView> {
    const agent = await this.agents.findByReference(reference);
    if (!agent) throw new DomainError('not_found', `no agent with id, client id or name ${JSON.stringify(reference)}`);
    await this.database.transaction(async (tx) => {
      if (!(await this.agents.setStatus(tx, agent.id, 'active'))) return;
      await this.audit.append(tx, actor, [
        { type: AuditEventType.AgentResumed, subject: { type: 'agent', id: agent.id }, data: { client_id: agent.clientId } },
      ]);
    });
    return this.view({ ...agent, status: 'active' });
  }

  /** Capabilities and quotas; `null` quotas fall back to the configured defaults. */
  async update(
    actor: Actor,
    reference: string,
    changes: { capabilities?: string[]; requestsPerMinute?: number | null; maxPending?: number | null; ciba?: CibaRegistration | null },
  ): Promise<AgentView> {
    const agent = await this.agents.findByReference(reference);
    if (!agent) throw new DomainError('not_found', `no agent with id, client id or name ${JSON.stringify(reference)}`);
    if (changes.capabilities !== undefined) {
      if (changes.capabilities.length === 0)
        throw new DomainError('invalid_request', 'an agent needs at least one capability', { field: 'capabilities' });
      validatePatterns(changes.capabilities, 'capabilities');
    }
    for (const [field, value] of [
      ['requests_per_minute', changes.requestsPerMinute],
      ['max_pending', changes.maxPending],
    ] as const) {
      if (value !== undefined && value !== null && (!Number.isInteger(value) || value < 1))
        throw new DomainError('invalid_request', `${field} must be a positive integer or null`, { field });
    }
    const ciba = changes.ciba === undefined ? agent : changes.ciba === null ? NO_CIBA : this.cibaColumns(changes.ciba);
    const next = {
      capabilities: changes.capabilities ?? agent.capabilities,
      requestsPerMinute: changes.requestsPerMinute === undefined ? agent.requestsPerMinute : changes.requestsPerMinute,
      maxPending: changes.maxPending === undefined ? agent.maxPending : changes.maxPending,
      cibaDeliveryMode: ciba.cibaDeliveryMode,
      cibaNotificationEndpoint: ciba.cibaNotificationEndpoint,
      cibaAuthorizationDetailsTypes: ciba.cibaAuthorizationDetailsTypes,
    };
    await this.database.transaction(async (tx) => {
      await this.agents.update(tx, agent.id, next);
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.AgentUpdated,
          subject: { type: 'agent', id: agent.id },
          data: {
            before: {
              capabilities: agent.capabilities,
              requests_per_minute: agent.requestsPerMinute,
              max_pending: agent.maxPending,
              ciba: cibaOf(agent),
            },
            after: {
              capabilities: next.capabilities,
              requests_per_minute: next.requestsPerMinute,
              max_pending: next.maxPending,
              ciba: cibaOf(next),
            },
          },
        },
      ]);
    });
    return this.view({ ...agent, ...next });
  }

  async find(reference: string): Promise<AgentView | null> {
    const agent = await this.agents.findByReference(reference);
    return agent ? this.view(agent) : null;
  }

  async list(): Promise<AgentView[]> {
    return (await this.agents.list()).map((agent) => this.view(agent));
  }

  /** The agent behind an access token, re-read on every request so a suspension takes effect at once. */
  findById(id: string): Promise<AgentRecord | null> {
    return this.agents.findById(id);
  }

  /** The authorization_details types CIBA accepts from some active agent (discovery's list). */
  cibaTypes(): Promise<string[]> {
    return this.agents.cibaTypes();
  }

  callbackSecret(agent: AgentRecord): string | null {
    return agent.callbackSecretEnc ? this.encryption.open(agent.callbackSecretEnc).toString('utf8') : null;
  }

  quotas(agent: AgentRecord): { requestsPerMinute: number; maxPending: number } {
    return {
      requestsPerMinute: agent.requestsPerMinute ?? this.config.defaultAgentRequestsPerMinute,
      maxPending: agent.maxPending ?? this.config.defaultAgentMaxPending,
    };
  }

  /** The CIBA settings checked: a known mode, ping's endpoint under the callback address rules, action types. */
  private cibaColumns(ciba: CibaRegistration): CibaColumns {
    if (ciba.deliveryMode !== 'poll' && ciba.deliveryMode !== 'ping')
      throw new DomainError('invalid_request', 'ciba delivery mode must be poll or ping', { field: 'ciba.delivery_mode' });
    const endpoint = ciba.notificationEndpoint ?? null;
    if (ciba.deliveryMode === 'ping' && endpoint === null)
      throw new DomainError('invalid_request', 'ping mode needs a notification endpoint', { field: 'ciba.notification_endpoint' });
    if (ciba.deliveryMode === 'poll' && endpoint !== null)
      throw new DomainError('invalid_request', 'poll mode takes no notification endpoint', { field: 'ciba.notification_endpoint' });
    const field = 'ciba.authorization_details_types';
    const types = [...new Set(ciba.authorizationDetailsTypes)];
    if (types.length === 0 || types.length > MAX_CIBA_TYPES)
      throw new DomainError('invalid_request', `CIBA needs 1-${MAX_CIBA_TYPES} authorization_details types`, { field });
    const badType = types.find((type) => type.length > 200 || !ACTION_TYPE.test(type));
    if (badType !== undefined)
      throw new DomainError('invalid_request', `${JSON.stringify(badType)} is not an action type such as "payments.transfer"`, { field });
    return {
      cibaDeliveryMode: ciba.deliveryMode,
      cibaNotificationEndpoint:
        endpoint === null
          ? null
          : validateOutboundUrl(endpoint, this.config.allowPrivateCallbackUrls, 'the notification endpoint', 'ciba.notification_endpoint')
              .href,
      cibaAuthorizationDetailsTypes: types,
    };
  }

  private view(agent: AgentRecord): AgentView {
    const quotas = this.quotas(agent);
    return {
      id: agent.id,
      name: agent.name,
      clientId: agent.clientId,
      status: agent.status,
      capabilities: agent.capabilities,
      requestsPerMinute: quotas.requestsPerMinute,
      maxPending: quotas.maxPending,
      ciba: cibaOf(agent),
      createdAt: agent.createdAt,
    };
  }
}

type CibaColumns = Pick<AgentRecord, 'cibaDeliveryMode' | 'cibaNotificationEndpoint' | 'cibaAuthorizationDetailsTypes'>;
const NO_CIBA: CibaColumns = { cibaDeliveryMode: null, cibaNotificationEndpoint: null, cibaAuthorizationDetailsTypes: [] };

/** The agent's CIBA registration, or null when it has none. */
export function cibaOf(agent: CibaColumns): Required<CibaRegistration> | null {
  if (agent.cibaDeliveryMode === null) return null;
  return {
    deliveryMode: agent.cibaDeliveryMode,
    notificationEndpoint: agent.cibaNotificationEndpoint,
    authorizationDetailsTypes: agent.cibaAuthorizationDetailsTypes,
  };
}
