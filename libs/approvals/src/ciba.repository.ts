import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { type ApprovalStatus } from '@countersign/domain';

/** One CIBA request: what its `auth_req_id` (stored as its SHA-256) maps to (docs/adr/0015-ciba.md). */
export interface CibaRequestRow {
  authReqHash: string;
  approvalId: string;
  agentId: string;
  scopes: string[];
  /** The request's authorization_details, sealed: they may hold arguments the taxonomy redacts in the approval. */
  authorizationDetailsEnc: string;
  deliveryMode: 'poll' | 'ping';
  /** Ping mode: `{auth_req_id, client_notification_token}`, sealed, for the notification. */
  pingEnc: string | null;
  intervalSeconds: number;
  expiresAt: Date;
}

/** What a CIBA request adds to intake; its row is written in the approval's own statement. */
export interface CibaIntake {
  bindingMessage: string | null;
  request: Omit<CibaRequestRow, 'approvalId' | 'expiresAt'>;
}

/** A CIBA request as the token endpoint reads it: the row with its approval's status. */
export interface CibaGrant {
  approvalId: string;
  agentId: string;
  scopes: string[];
  authorizationDetailsEnc: string;
  expiresAt: Date;
  redeemedAt: Date | null;
  status: ApprovalStatus;
  approvalExpiresAt: Date;
  decidedAt: Date | null;
  personId: string;
}

/** The jsonb_to_recordset columns of `ciba_requests` rows, for the intake statement. */
export const CIBA_RECORDSET = `"authReqHash" text, "approvalId" uuid, "agentId" uuid, scopes text[], "authorizationDetailsEnc" text,
  "deliveryMode" text, "pingEnc" text, "intervalSeconds" int, "expiresAt" timestamptz`;
export const CIBA_INSERT = `INSERT INTO ciba_requests (auth_req_hash, approval_id, agent_id, scopes, authorization_details_enc, delivery_mode,
  ping_enc, interval_seconds, expires_at)`;

@Injectable()
export class CibaRepository {
  constructor(private readonly database: Database) {}

  async find(authReqHash: string): Promise<CibaGrant | null> {
    const [row] = await this.database.rows<Record<string, unknown>>(
      undefined,
      `SELECT c.approval_id, c.agent_id, c.scopes, c.authorization_details_enc, c.expires_at, c.redeemed_at,
              a.status, a.expires_at AS approval_expires_at, a.decided_at, a.on_behalf_of_id
         FROM ciba_requests c JOIN approvals a ON a.id = c.approval_id
        WHERE c.auth_req_hash = $1`,
      [authReqHash],
    );
    if (!row) return null;
    return {
      approvalId: row.approval_id as string,
      agentId: row.agent_id as string,
      scopes: row.scopes as string[],
      authorizationDetailsEnc: row.authorization_details_enc as string,
      expiresAt: row.expires_at as Date,
      redeemedAt: row.redeemed_at as Date | null,
      status: row.status as ApprovalStatus,
      approvalExpiresAt: row.approval_expires_at as Date,
      decidedAt: row.decided_at as Date | null,
      personId: row.on_behalf_of_id as string,
    };
  }

  /**
   * Records a poll of a pending request. A poll sooner than the interval after the previous one is too fast: the
   * interval grows by `slowDownSeconds`, for this and every later poll (CIBA Core 1.0 §11). The first poll is
   * never too fast. One statement, so concurrent polls each see the one before.
   */
  async recordPoll(authReqHash: string, slowDownSeconds: number): Promise<{ tooFast: boolean; intervalSeconds: number }> {
    const [row] = await this.database.rows<{ too_fast: boolean; interval_seconds: number }>(
      undefined,
      `WITH previous AS (
         SELECT auth_req_hash,
                last_polled_at IS NOT NULL AND last_polled_at > clock_timestamp() - make_interval(secs => interval_seconds) AS too_fast
           FROM ciba_requests WHERE auth_req_hash = $1 FOR UPDATE
       )
       UPDATE ciba_requests c
          SET last_polled_at = clock_timestamp(),
              interval_seconds = c.interval_seconds + CASE WHEN previous.too_fast THEN $2::int ELSE 0 END
         FROM previous WHERE c.auth_req_hash = previous.auth_req_hash
       RETURNING previous.too_fast, c.interval_seconds`,
      [authReqHash, slowDownSeconds],
    );
    return { tooFast: row?.too_fast ?? false, intervalSeconds: row?.interval_seconds ?? 0 };
  }

  /** Marks the request redeemed: true for the one caller that did, so a second redemption never gets a token. */
  async redeem(tx: Tx, authReqHash: string): Promise<boolean> {
    const rows = await this.database.rows<{ approval_id: string }>(
      tx,
      `UPDATE ciba_requests SET redeemed_at = now() WHERE auth_req_hash = $1 AND redeemed_at IS NULL
       RETURNING approval_id`,
      [authReqHash],
    );
    return rows.length > 0;
  }

  /** A ping-mode request's sealed notification, or null when the approval was not asked for through CIBA ping. */
  async pingFor(approvalId: string): Promise<string | null> {
    const [row] = await this.database.rows<{ ping_enc: string }>(
      undefined,
      `SELECT ping_enc FROM ciba_requests WHERE approval_id = $1 AND delivery_mode = 'ping' AND ping_enc IS NOT NULL`,
      [approvalId],
    );
    return row?.ping_enc ?? null;
  }
}
