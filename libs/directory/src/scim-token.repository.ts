import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { isUuid } from './ids';

export interface ScimTokenRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

@Injectable()
export class ScimTokenRepository {
  constructor(private readonly database: Database) {}

  async insert(tx: Tx, name: string, secretHash: Buffer): Promise<ScimTokenRecord> {
    const rows = await this.database.rows<Record<string, unknown>>(
      tx,
      `INSERT INTO scim_tokens (name, secret_hash) VALUES ($1, $2) RETURNING id, name, created_at, last_used_at, revoked_at`,
      [name, secretHash],
    );
    return tokenFromRow(rows[0]);
  }

  /** The token's stored hash, for the constant-time comparison; null when there is no such token. */
  async findForCheck(id: string): Promise<{ secretHash: Buffer; revokedAt: Date | null } | null> {
    if (!isUuid(id)) return null;
    const rows = await this.database.query<{ secret_hash: Buffer; revoked_at: Date | null }>(
      `SELECT secret_hash, revoked_at FROM scim_tokens WHERE id = $1`,
      [id],
    );
    return rows[0] ? { secretHash: rows[0].secret_hash, revokedAt: rows[0].revoked_at } : null;
  }

  /** Marks the token used, at most once a minute (a directory's sync makes many requests). */
  async touch(id: string): Promise<void> {
    await this.database.query(
      `UPDATE scim_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  async list(): Promise<ScimTokenRecord[]> {
    const rows = await this.database.query<Record<string, unknown>>(
      `SELECT id, name, created_at, last_used_at, revoked_at FROM scim_tokens ORDER BY created_at, id`,
      [],
    );
    return rows.map(tokenFromRow);
  }

  /** The token as it was before this call revoked it; null when there is none (an id, or a name if unique). */
  async revoke(tx: Tx, reference: string): Promise<ScimTokenRecord | null> {
    const rows = await this.database.rows<Record<string, unknown>>(
      tx,
      `UPDATE scim_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE id = (SELECT id FROM scim_tokens WHERE id::text = $1 OR (name = $1 AND (SELECT count(*) FROM scim_tokens WHERE name = $1) = 1))
        RETURNING id, name, created_at, last_used_at, revoked_at`,
      [reference],
    );
    return rows[0] ? tokenFromRow(rows[0]) : null;
  }
}

function tokenFromRow(row: Record<string, unknown>): ScimTokenRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    createdAt: new Date(row.created_at as string | Date),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at as string | Date) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at as string | Date) : null,
  };
}
