import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { generateSecret, hashSecret } from '@countersign/tokens';
import { ResourceServerRepository, type ResourceServerRecord } from './resource-server.repository';
import { SecretChecker } from './secret-checker';

/** A resource server as the service returns it; on the wire it is libs/contract's `ResourceServer`. */
export interface ResourceServerView {
  id: string;
  audience: string;
  clientId: string;
  status: ResourceServerRecord['status'];
  createdAt: Date;
}

/** The downstream services that verify and consume approval tokens. */
@Injectable()
export class ResourceServersService {
  constructor(
    private readonly database: Database,
    private readonly servers: ResourceServerRepository,
    private readonly secrets: SecretChecker,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: { audience: string }): Promise<{ server: ResourceServerView; clientSecret: string }> {
    const audience = input.audience.trim();
    if (!isUrl(audience))
      throw new DomainError('invalid_request', 'audience must be an absolute URL, e.g. https://payments.internal', { field: 'audience' });
    const clientId = `rs_${randomBytes(12).toString('base64url')}`;
    const clientSecret = generateSecret('cs_rs_secret');
    const secretHash = await hashSecret(clientSecret);
    const server = await this.database.transaction(async (tx) => {
      const created = await this.servers.insert(tx, { audience, clientId, secretHash });
      if (!created) throw new DomainError('conflict', `a resource server for ${audience} already exists`, { field: 'audience' });
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.ResourceServerCreated,
          subject: { type: 'resource_server', id: created.id },
          data: { audience, client_id: clientId },
        },
      ]);
      return created;
    });
    return { server: view(server), clientSecret };
  }

  /** HTTP Basic credentials of a resource server; null when unknown, disabled or wrong. */
  async authenticate(clientId: string, secret: string): Promise<ResourceServerView | null> {
    const server = await this.servers.findByClientId(clientId);
    if (!server || server.status !== 'active') return null;
    return (await this.secrets.matches(clientId, secret, server.secretHash)) ? view(server) : null;
  }

  async list(): Promise<ResourceServerView[]> {
    return (await this.servers.list()).map(view);
  }
}

function view(server: ResourceServerRecord): ResourceServerView {
  return { id: server.id, audience: server.audience, clientId: server.clientId, status: server.status, createdAt: server.createdAt };
}

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
