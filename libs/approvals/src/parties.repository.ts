import { Injectable } from '@nestjs/common';
import { type AgentRecord } from '@countersign/agents';
import { Database } from '@countersign/database';
import { personFromRow, type PersonRecord } from '@countersign/people';
import { isUuid } from './approval.repository';

/**
 * Loads the requesting agent and the on-behalf-of person together: intake is round-trip bound (every query is a
 * syscall pair on these machines), so the two lookups share one statement.
 */
@Injectable()
export class PartiesRepository {
  constructor(private readonly database: Database) {}

  async load(agentId: string, personReference: string): Promise<{ agent: AgentRecord | null; person: PersonRecord | null }> {
    const byId = isUuid(personReference);
    const rows = await this.database.query<{ agent: Record<string, unknown> | null; person: Record<string, unknown> | null }>(
      `SELECT (SELECT to_jsonb(a) FROM agents a WHERE a.id = $1) AS agent,
              (SELECT to_jsonb(p) FROM people p WHERE ${byId ? 'p.id = $2::uuid' : 'p.email = lower($2)'} LIMIT 1) AS person`,
      [agentId, personReference],
    );
    const row = rows[0];
    return { agent: row?.agent ? toAgent(row.agent) : null, person: row?.person ? personFromRow(row.person) : null };
  }
}

function toAgent(row: Record<string, unknown>): AgentRecord {
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
    createdAt: new Date(row.created_at as string),
  };
}
