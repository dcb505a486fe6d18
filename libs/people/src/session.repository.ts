import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { personFromRow, type PersonRecord } from './people.repository';

export interface SessionRecord {
  idHash: string;
  person: PersonRecord;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

@Injectable()
export class SessionRepository {
  constructor(private readonly database: Database) {}

  async insert(
    tx: Tx | undefined,
    session: { idHash: string; personId: string; csrfToken: string; userAgent: string | null; expiresAt: Date },
  ): Promise<void> {
    await this.database.rows(
      tx,
      `INSERT INTO sessions (id_hash, person_id, csrf_token, user_agent, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [session.idHash, session.personId, session.csrfToken, session.userAgent, session.expiresAt],
    );
  }

  /** A live session of an enabled person: not ended, within its absolute lifetime and its idle timeout. */
  async findLive(idHash: string, idleMinutes: number): Promise<SessionRecord | null> {
    const rows = await this.database.rows<Record<string, unknown>>(
      undefined,
      `SELECT s.id_hash, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at, to_jsonb(p) AS person
         FROM sessions s JOIN people p ON p.id = s.person_id
        WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(mins => $2) AND p.status = 'active'`,
      [idHash, idleMinutes],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      idHash: row.id_hash as string,
      person: personFromRow(row.person as Record<string, unknown>),
      csrfToken: row.csrf_token as string,
      createdAt: row.session_created_at as Date,
      lastSeenAt: row.last_seen_at as Date,
      expiresAt: row.expires_at as Date,
    };
  }

  async touch(idHash: string): Promise<void> {
    await this.database.rows(undefined, `UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND ended_at IS NULL`, [idHash]);
  }

  async end(idHash: string): Promise<void> {
    await this.database.rows(undefined, `UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL`, [idHash]);
  }

  /** Ends every open session of a person (disabled, or by their own choice); returns how many. */
  async endAllFor(tx: Tx | undefined, personId: string): Promise<number> {
    const rows = await this.database.rows<{ id_hash: string }>(
      tx,
      `UPDATE sessions SET ended_at = now() WHERE person_id = $1 AND ended_at IS NULL RETURNING id_hash`,
      [personId],
    );
    return rows.length;
  }

  async listOpen(personId: string): Promise<Array<{ idHash: string; userAgent: string | null; createdAt: Date; lastSeenAt: Date }>> {
    const rows = await this.database.rows<{ id_hash: string; user_agent: string | null; created_at: Date; last_seen_at: Date }>(
      undefined,
      `SELECT id_hash, user_agent, created_at, last_seen_at FROM sessions WHERE person_id = $1 AND ended_at IS NULL AND expires_at > now() ORDER BY last_seen_at DESC`,
      [personId],
    );
    return rows.map((row) => ({ idHash: row.id_hash, userAgent: row.user_agent, createdAt: row.created_at, lastSeenAt: row.last_seen_at }));
  }
}
