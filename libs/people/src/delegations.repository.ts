import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { type Delegation } from '@countersign/domain';

/** A person as a delegation names them. */
export interface DelegationParty {
  id: string;
  email: string;
  displayName: string;
  role: string;
  status: 'active' | 'disabled';
}

export interface DelegationRecord {
  id: string;
  delegator: DelegationParty;
  delegate: DelegationParty;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
}

type Row = {
  id: string;
  delegator: Record<string, string>;
  delegate: Record<string, string>;
  starts_at: Date;
  ends_at: Date;
  reason: string | null;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
};

const party = (alias: string) =>
  `jsonb_build_object('id', ${alias}.id, 'email', ${alias}.email, 'display_name', ${alias}.display_name, 'role', ${alias}.role, 'status', ${alias}.status)`;
const SELECT = `SELECT d.id, ${party('f')} AS delegator, ${party('t')} AS delegate, d.starts_at, d.ends_at, d.reason, d.created_by, d.created_at,
                       d.revoked_at, d.revoked_by
                  FROM delegations d JOIN people f ON f.id = d.delegator_id JOIN people t ON t.id = d.delegate_id`;

function partyFromJson(json: Record<string, string>): DelegationParty {
  return {
    id: json.id,
    email: json.email,
    displayName: json.display_name,
    role: json.role,
    status: json.status as DelegationParty['status'],
  };
}

function fromRow(row: Row): DelegationRecord {
  return {
    id: row.id,
    delegator: partyFromJson(row.delegator),
    delegate: partyFromJson(row.delegate),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}

/** A delegation in force, with the name its decisions show ("Bob for Alice"). */
export interface DelegationInForce extends Delegation {
  delegatorName: string;
}

/** The delegations table: a person's approvals handed to another for a period. */
@Injectable()
export class DelegationsRepository {
  constructor(private readonly database: Database) {}

  async insert(
    tx: Tx,
    delegation: { delegatorId: string; delegateId: string; startsAt: Date; endsAt: Date; reason: string | null; createdBy: string },
  ): Promise<string> {
    const [row] = await this.database.rows<{ id: string }>(
      tx,
      `INSERT INTO delegations (delegator_id, delegate_id, starts_at, ends_at, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [delegation.delegatorId, delegation.delegateId, delegation.startsAt, delegation.endsAt, delegation.reason, delegation.createdBy],
    );
    return row.id;
  }

  async find(tx: Tx | undefined, id: string): Promise<DelegationRecord | null> {
    const rows = await this.database.rows<Row>(tx, `${SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The person's delegations either way, newest first: those they gave and those they hold. */
  async of(personId: string, limit: number): Promise<DelegationRecord[]> {
    const rows = await this.database.rows<Row>(
      undefined,
      `${SELECT} WHERE d.delegator_id = $1 OR d.delegate_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2`,
      [personId, limit],
    );
    return rows.map(fromRow);
  }

  /** Ends a delegation now; null when it was revoked already (of two concurrent revocations, the guarded statement lets one win). */
  async revoke(tx: Tx, id: string, revokedBy: string): Promise<Date | null> {
    const rows = await this.database.rows<{ revoked_at: Date }>(
      tx,
      `UPDATE delegations SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING revoked_at`,
      [id, revokedBy],
    );
    return rows[0]?.revoked_at ?? null;
  }

  /**
   * The delegations to `delegateId` that are in force now, with their delegators as they are now (disabled ones too:
   * the domain rule refuses them). Read when the delegate decides or lists approvals, never cached.
   */
  async inForceTo(tx: Tx | undefined, delegateId: string): Promise<DelegationInForce[]> {
    const rows = await this.database.rows<Row>(
      tx,
      `${SELECT} WHERE d.delegate_id = $1 AND d.revoked_at IS NULL AND d.starts_at <= now() AND d.ends_at > now() ORDER BY d.starts_at, d.id`,
      [delegateId],
    );
    return rows.map((row) => {
      const record = fromRow(row);
      const { id, email, role, status } = record.delegator;
      return {
        id: record.id,
        delegator: { id, email, role, status },
        delegatorName: record.delegator.displayName,
        startsAt: record.startsAt,
        endsAt: record.endsAt,
        revokedAt: null,
      };
    });
  }
}
