import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@countersign/database';
import { personFromRow, type PersonRecord } from './people.repository';

/** A single sign-on request in flight: what the callback must check, kept server side. */
export interface SsoLoginRecord {
  stateHash: string;
  browserHash: string;
  provider: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expiresAt: Date;
}

interface SsoLoginRow {
  state_hash: string;
  browser_hash: string;
  provider: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  expires_at: Date;
}

/** `sso_identities` (issuer, sub → person) and `sso_logins` (requests in flight, single use). */
@Injectable()
export class SsoRepository {
  constructor(private readonly database: Database) {}

  async insertLogin(login: SsoLoginRecord): Promise<void> {
    await this.database.rows(
      undefined,
      `INSERT INTO sso_logins (state_hash, browser_hash, provider, nonce, code_verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [login.stateHash, login.browserHash, login.provider, login.nonce, login.codeVerifier, login.returnTo, login.expiresAt],
    );
    // Abandoned sign-ins are not worth a job: each new one clears a few expired ones (as webauthn_challenges do).
    await this.database.rows(
      undefined,
      `DELETE FROM sso_logins WHERE state_hash IN (SELECT state_hash FROM sso_logins WHERE expires_at < now() LIMIT 20)`,
    );
  }

  /** Takes the request out whatever happens next, so a `state` is answered at most once; null when unknown or used. */
  async takeLogin(stateHash: string): Promise<SsoLoginRecord | null> {
    const rows = await this.database.rows<SsoLoginRow>(undefined, `DELETE FROM sso_logins WHERE state_hash = $1 RETURNING *`, [stateHash]);
    const row = rows[0];
    if (!row) return null;
    return {
      stateHash: row.state_hash,
      browserHash: row.browser_hash,
      provider: row.provider,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      returnTo: row.return_to,
      expiresAt: row.expires_at,
    };
  }

  /** The person linked to this identity (whatever their status), or null. */
  async personOf(issuer: string, subject: string): Promise<PersonRecord | null> {
    const rows = await this.database.rows<{ person: Record<string, unknown> }>(
      undefined,
      `SELECT to_jsonb(p) AS person FROM sso_identities i JOIN people p ON p.id = i.person_id WHERE i.issuer = $1 AND i.subject = $2`,
      [issuer, subject],
    );
    return rows[0] ? personFromRow(rows[0].person) : null;
  }

  /**
   * Links the identity to the person unless the person already has an identity at this issuer (another `sub`) or
   * the identity was linked meanwhile: returns false then, and nothing is written.
   */
  async link(tx: Tx, identity: { issuer: string; subject: string; personId: string; provider: string; email: string }): Promise<boolean> {
    const rows = await this.database.rows(
      tx,
      `INSERT INTO sso_identities (issuer, subject, person_id, provider, email, last_sign_in_at)
       SELECT $1, $2, $3, $4, $5, now()
        WHERE NOT EXISTS (SELECT 1 FROM sso_identities WHERE issuer = $1 AND person_id = $3)
       ON CONFLICT (issuer, subject) DO NOTHING
       RETURNING subject`,
      [identity.issuer, identity.subject, identity.personId, identity.provider, identity.email],
    );
    return rows.length === 1;
  }

  async recordSignIn(tx: Tx, issuer: string, subject: string): Promise<void> {
    await this.database.rows(tx, `UPDATE sso_identities SET last_sign_in_at = now() WHERE issuer = $1 AND subject = $2`, [issuer, subject]);
  }
}
