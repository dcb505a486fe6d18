import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { validatePatterns } from '@countersign/people';
import { generateSecret, hashSecret, KeyEncryption } from '@countersign/tokens';
import { AgentRepository, type AgentRecord } from './agent.repository';

export interface CreateAgent {
  name: string;
  capabilities: string[];
  withCallbackSecret?: boolean;
  requestsPerMinute?: number;
  maxPending?: number;
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
  createdAt: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

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
    if (!NAME.test(name)) throw new DomainError('invalid_request', 'name must be 1-100 letters, digits, spaces, dots, dashes or underscores', { field: 'name' });
    if (input.capabilities.length === 0) throw new DomainError('invalid_request', 'an agent needs at least one capability', { field: 'capabilities' });
    validatePatterns(input.capabilities, 'capabilities');
    for (const [field, value] of [['requestsPerMinute', input.requestsPerMinute], ['maxPending', input.maxPending]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new DomainError('invalid_request', `${field} must be a positive integer`, { field });
    }
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
      });
      if (!created) throw new DomainError('conflict', `an agent named ${JSON.stringify(name)} already exists`, { field: 'name' });
      await this.audit.append(tx, actor, [
        { type: AuditEventType.AgentCreated, subject: { type: 'agent', id: created.id }, data: { name, client_id: clientId, capabilities: input.capabilities, callback_secret: callbackSecret !== null } },
      ]);
      return created;
    });
    return { agent: this.view(agent), clientSecret, callbackSecret };
  }

  suspend(actor: Actor, reference: string, reason?: string): Promise<AgentView> {
    return this.setStatus(actor, reference, 'suspended', reason);
  }

  resume(actor: Actor, reference: string): Promise<AgentView> {
    return this.setStatus(actor, reference, 'active');
  }

  async list(): Promise<AgentView[]> {
    return (await this.agents.list()).map((agent) => this.view(agent));
  }

  /** The agent behind an access token, re-read on every request so a suspension takes effect at once. */
  findById(id: string): Promise<AgentRecord | null> {
    return this.agents.findById(id);
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

  private async setStatus(actor: Actor, reference: string, status: AgentRecord['status'], reason?: string): Promise<AgentView> {
    const agent = await this.agents.findByReference(reference);
    if (!agent) throw new DomainError('not_found', `no agent with client id or name ${JSON.stringify(reference)}`);
    await this.database.transaction(async (tx) => {
      if (!(await this.agents.setStatus(tx, agent.id, status))) return;
      await this.audit.append(tx, actor, [
        {
          type: status === 'suspended' ? AuditEventType.AgentSuspended : AuditEventType.AgentResumed,
          subject: { type: 'agent', id: agent.id },
          data: { client_id: agent.clientId, ...(reason ? { reason } : {}) },
        },
      ]);
    });
    return this.view({ ...agent, status });
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
      createdAt: agent.createdAt,
    };
  }
}
