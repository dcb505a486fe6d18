import { Injectable } from '@nestjs/common';
import { AgentEntity, Database, postgresErrorCode, type Tx } from '@countersign/database';

export interface AgentRecord {
  id: string;
  name: string;
  clientId: string;
  secretHash: string;
  status: 'active' | 'suspended';
  capabilities: string[];
  requestsPerMinute: number | null;
  maxPending: number | null;
  callbackSecretEnc: string | null;
  cibaDeliveryMode: 'poll' | 'ping' | null;
  cibaNotificationEndpoint: string | null;
  cibaAuthorizationDetailsTypes: string[];
  createdAt: Date;
}

const AGENT_RECORD =
  'id, name, client_id, secret_hash, status, capabilities, requests_per_minute, max_pending, callback_secret_enc, ' +
  'ciba_delivery_mode, ciba_notification_endpoint, ciba_authorization_details_types, created_at';

/** An agents row as `pg` returns it, or as `to_jsonb(a)` renders it (its timestamp as a string). */
export function agentFromRow(row: Record<string, unknown>): AgentRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    clientId: row.client_id as string,
    secretHash: row.secret_hash as string,
    status: row.status as AgentRecord['status'],
    capabilities: row.capabilities as string[],
    requestsPerMinute: row.requests_per_minute as number | null,
    maxPending: row.max_pending as number | null,
    callbackSecretEnc: row.callback_secret_enc as string | null,
    cibaDeliveryMode: (row.ciba_delivery_mode as AgentRecord['cibaDeliveryMode'] | undefined) ?? null,
    cibaNotificationEndpoint: (row.ciba_notification_endpoint as string | null | undefined) ?? null,
    cibaAuthorizationDetailsTypes: (row.ciba_authorization_details_types as string[] | undefined) ?? [],
    createdAt: new Date(row.created_at as string | Date),
  };
}

@Injectable()
export class AgentRepository {
  constructor(private readonly database: Database) {}

  /** Returns null when the name is taken. */
  async insert(tx: Tx, agent: Omit<AgentRecord, 'id' | 'createdAt' | 'status'>): Promise<AgentRecord | null> {
    try {
      const result = await this.database
        .manager(tx)
        .createQueryBuilder()
        .insert()
        .into(AgentEntity)
        .values(agent)
        .returning('id')
        .execute();
      const id = (result.raw as Array<{ id: string }>)[0].id;
      return this.database.manager(tx).findOneByOrFail(AgentEntity, { id });
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return null;
      throw error;
    }
  }

  /** Every action type an active agent may send as a CIBA authorization_details type, for discovery. */
  async cibaTypes(): Promise<string[]> {
    const rows = await this.database.query<{ type: string }>(
      `SELECT DISTINCT unnest(ciba_authorization_details_types) AS type FROM agents
        WHERE status = 'active' AND ciba_delivery_mode IS NOT NULL ORDER BY 1`,
      [],
    );
    return rows.map((row) => row.type);
  }

  // Every agent request reads its agent: prepared statements (ADR 0009), not TypeORM finds built and parsed anew.
  async findById(id: string): Promise<AgentRecord | null> {
    const [row] = await this.database.query<Record<string, unknown>>(`SELECT ${AGENT_RECORD} FROM agents WHERE id = $1`, [id]);
    return row ? agentFromRow(row) : null;
  }

  async findByClientId(clientId: string): Promise<AgentRecord | null> {
    const [row] = await this.database.query<Record<string, unknown>>(`SELECT ${AGENT_RECORD} FROM agents WHERE client_id = $1`, [clientId]);
    return row ? agentFromRow(row) : null;
  }

  /** By id, client id or name (the CLI and the admin API). */
  async findByReference(reference: string): Promise<AgentRecord | null> {
    const builder = this.database
      .manager()
      .createQueryBuilder(AgentEntity, 'a')
      .where('a.client_id = :reference OR a.name = :reference', { reference });
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reference)) builder.orWhere('a.id = :id', { id: reference });
    return builder.getOne();
  }

  /** Returns whether the status changed (false when it already had it). */
  async setStatus(tx: Tx, id: string, status: AgentRecord['status']): Promise<boolean> {
    const result = await this.database
      .manager(tx)
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ status })
      .where('id = :id AND status <> :status', { id, status })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async update(
    tx: Tx,
    id: string,
    changes: Pick<
      AgentRecord,
      | 'capabilities'
      | 'requestsPerMinute'
      | 'maxPending'
      | 'cibaDeliveryMode'
      | 'cibaNotificationEndpoint'
      | 'cibaAuthorizationDetailsTypes'
    >,
  ): Promise<void> {
    await this.database.rows(
      tx,
      `UPDATE agents SET capabilities = $2, requests_per_minute = $3, max_pending = $4,
              ciba_delivery_mode = $5, ciba_notification_endpoint = $6, ciba_authorization_details_types = $7
        WHERE id = $1`,
      [
        id,
        changes.capabilities,
        changes.requestsPerMinute,
        changes.maxPending,
        changes.cibaDeliveryMode,
        changes.cibaNotificationEndpoint,
        changes.cibaAuthorizationDetailsTypes,
      ],
    );
  }

  list(): Promise<AgentRecord[]> {
    return this.database.manager().find(AgentEntity, { order: { createdAt: 'ASC' } });
  }
}
