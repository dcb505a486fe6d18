import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';

@Injectable()
export class IssuedTokenRepository {
  constructor(private readonly database: Database) {}

  async insert(tx: Tx, token: { jti: string; approvalId: string; audience: string; tokenEnc: string; expiresAt: Date }): Promise<void> {
    await this.database.rows(
      tx,
      `INSERT INTO issued_tokens (jti, approval_id, audience, token_enc, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [token.jti, token.approvalId, token.audience, token.tokenEnc, token.expiresAt],
    );
  }

  async latestForApproval(approvalId: string, tx?: Tx): Promise<{ tokenEnc: string } | null> {
    const [row] = await this.database.rows<{ token_enc: string }>(
      tx,
      `SELECT token_enc FROM issued_tokens WHERE approval_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [approvalId],
    );
    return row ? { tokenEnc: row.token_enc } : null;
  }

  /** The kill switch: the tokens of these approvals not yet consumed, revoked, or expired, are revoked. Returns how many. */
  async revokeUnconsumed(tx: Tx, approvalIds: string[]): Promise<number> {
    const rows = await this.database.rows<{ jti: string }>(
      tx,
      `UPDATE issued_tokens SET revoked_at = now()
        WHERE approval_id = ANY($1::uuid[]) AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING jti`,
      [approvalIds],
    );
    return rows.length;
  }

  /**
   * Marks the token consumed if, and only if, it is still usable: one UPDATE, so two concurrent consumers
   * cannot both win. A suspended agent's tokens are inactive (the kill switch), and so are the tokens of a person
   * who was disabled (deprovisioning revokes them; this also covers one minted while the disable was committing).
   */
  async consume(tx: Tx, jti: string, audience: string, resourceServerId: string): Promise<{ approvalId: string } | null> {
    const [row] = await this.database.rows<{ approval_id: string }>(
      tx,
      `UPDATE issued_tokens t SET consumed_at = now(), consumed_by = $3
        WHERE t.jti = $1 AND t.audience = $2 AND t.consumed_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
          AND EXISTS (SELECT 1 FROM approvals a JOIN agents g ON g.id = a.agent_id JOIN people p ON p.id = a.on_behalf_of_id
                       WHERE a.id = t.approval_id AND a.status = 'approved' AND g.status = 'active' AND p.status = 'active')
        RETURNING t.approval_id`,
      [jti, audience, resourceServerId],
    );
    return row ? { approvalId: row.approval_id } : null;
  }
}
