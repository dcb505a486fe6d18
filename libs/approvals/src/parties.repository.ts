import { Injectable } from '@nestjs/common';
import { agentFromRow, type AgentRecord } from '@countersign/agents';
import { Database, MicroBatch } from '@countersign/database';
import { personFromRow, type PersonRecord } from '@countersign/people';
import { isUuid } from './approval.repository';

interface PartiesQuery {
  agentId: string;
  personReference: string;
}

export interface Parties {
  agent: AgentRecord | null;
  person: PersonRecord | null;
  /** The agent's pending approvals (kept by triggers on approvals: reading it costs one index lookup). */
  pendingApprovals: number;
  /** The person's pending approvals on their behalf, from all agents (kept by the same triggers). */
  personPendingApprovals: number;
  /** The permissions the person gains from the directory's groups they belong to (added to their own at intake). */
  groupPermissions: string[];
}

/**
 * Loads the requesting agent and the on-behalf-of person together, and the lookups of requests arriving together
 * in one statement: intake is round-trip bound (every query is a syscall pair on these machines).
 */
@Injectable()
export class PartiesRepository {
  private readonly batch = new MicroBatch<PartiesQuery, Parties>((queries) => this.loadMany(queries));

  constructor(private readonly database: Database) {}

  load(agentId: string, personReference: string): Promise<Parties> {
    return this.batch.run({ agentId, personReference });
  }

  private async loadMany(queries: PartiesQuery[]): Promise<Parties[]> {
    const input = queries.map((query) => ({
      agent_id: query.agentId,
      // People are looked up by id when the reference is one, else by their (lowercased) email.
      person_id: isUuid(query.personReference) ? query.personReference : null,
      person_email: isUuid(query.personReference) ? null : query.personReference.toLowerCase(),
    }));
    const rows = await this.database.query<{
      agent: Record<string, unknown> | null;
      person: Record<string, unknown> | null;
      pending: number | null;
      person_pending: number | null;
      group_permissions: string[] | null;
    }>(
      `SELECT (SELECT to_jsonb(a) FROM agents a WHERE a.id = q.agent_id) AS agent,
              p.person,
              (SELECT c.pending FROM agent_pending c WHERE c.agent_id = q.agent_id) AS pending,
              (SELECT c.pending FROM person_pending c WHERE c.person_id = p.id) AS person_pending,
              (SELECT array_agg(DISTINCT permission) FROM group_members m JOIN groups g ON g.id = m.group_id,
                      unnest(g.permissions) AS permission
                WHERE m.person_id = p.id) AS group_permissions
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (agent_id uuid, person_id uuid, person_email text)) WITH ORDINALITY
           AS q(agent_id, person_id, person_email, ordinality)
         LEFT JOIN LATERAL (SELECT to_jsonb(p) AS person, p.id FROM people p WHERE p.id = q.person_id OR p.email = q.person_email LIMIT 1) p ON true
        ORDER BY q.ordinality`,
      [JSON.stringify(input)],
    );
    return rows.map((row) => ({
      agent: row.agent ? agentFromRow(row.agent) : null,
      person: row.person ? personFromRow(row.person) : null,
      pendingApprovals: row.pending ?? 0,
      personPendingApprovals: row.person_pending ?? 0,
      groupPermissions: row.group_permissions ?? [],
    }));
  }
}
