import { Injectable } from '@nestjs/common';
import { Database, IssuedTokenEntity, type Tx } from '@countersign/database';

@Injectable()
export class IssuedTokenRepository {
  constructor(private readonly database: Database) {}

  async insert(tx: Tx, token: { jti: string; approvalId: string; audience: string; tokenEnc: string; expiresAt: Date }): Promise<void> {
    await this.database.manager(tx).insert(IssuedTokenEntity, token);
  }

  async latestForApproval(approvalId: string): Promise<{ tokenEnc: string } | null> {
    return this.database.manager().findOne(IssuedTokenEntity, { where: { approvalId }, order: { createdAt: 'DESC' }, select: { tokenEnc: true } });
  }

  /**
   * Marks the token consumed if, and only if, it is still usable: one UPDATE, so two concurrent consumers
   * cannot both win. A suspended agent's tokens are inactive (the kill switch).
   */
  async consume(tx: Tx, jti: string, audience: string, resourceServerId: string): Promise<{ approvalId: string } | null> {
    const rows: Array<{ approval_id: string }> = await this.database.manager(tx).query(
      `UPDATE issued_tokens t SET consumed_at = now(), consumed_by = $3
        WHERE t.jti = $1 AND t.audience = $2 AND t.consumed_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
          AND EXISTS (SELECT 1 FROM approvals a JOIN agents g ON g.id = a.agent_id
                       WHERE a.id = t.approval_id AND a.status = 'approved' AND g.status = 'active')
        RETURNING t.approval_id`,
      [jti, audience, resourceServerId],
    );
    const row = Array.isArray(rows[0]) ? (rows[0] as Array<{ approval_id: string }>)[0] : rows[0];
    return row ? { approvalId: row.approval_id } : null;
  }
}
