import { Injectable } from '@nestjs/common';
import { Database, postgresErrorCode, type Tx } from '@countersign/database';

export interface PasskeyRecord {
  id: string;
  personId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type ChallengePurpose = 'enrollment' | 'login' | 'passkey' | 'step_up';

export interface ChallengeRecord {
  challenge: string;
  purpose: ChallengePurpose;
  personId: string | null;
  approvalId: string | null;
  nonce: string | null;
  actionDigest: string | null;
  expiresAt: Date;
}

type PasskeyRow = {
  id: string;
  person_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  device_type: string;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
};
type ChallengeRow = {
  challenge: string;
  purpose: ChallengePurpose;
  person_id: string | null;
  approval_id: string | null;
  nonce: string | null;
  action_digest: string | null;
  expires_at: Date;
};

/** Passkeys, single-use WebAuthn challenges and enrollment links: the SQL of signing people in. */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly database: Database) {}

  /** Returns false when the credential id is already registered (to anyone). */
  async insertPasskey(tx: Tx, passkey: Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'>): Promise<boolean> {
    try {
      await this.database.rows(
        tx,
        `INSERT INTO passkeys (id, person_id, public_key, counter, transports, device_type, backed_up, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          passkey.id,
          passkey.personId,
          passkey.publicKey,
          passkey.counter,
          passkey.transports,
          passkey.deviceType,
          passkey.backedUp,
          passkey.name,
        ],
      );
      return true;
    } catch (error) {
      if (postgresErrorCode(error) === '23505') return false;
      throw error;
    }
  }

  async passkey(id: string): Promise<PasskeyRecord | null> {
    const rows = await this.database.rows<PasskeyRow>(undefined, `SELECT * FROM passkeys WHERE id = $1`, [id]);
    return rows[0] ? passkeyFromRow(rows[0]) : null;
  }

  async passkeysOf(personId: string): Promise<PasskeyRecord[]> {
    const rows = await this.database.rows<PasskeyRow>(undefined, `SELECT * FROM passkeys WHERE person_id = $1 ORDER BY created_at`, [
      personId,
    ]);
    return rows.map(passkeyFromRow);
  }

  /** Records a use; the counter only moves forward (a concurrent, older answer cannot lower it). */
  async recordUse(id: string, counter: number): Promise<void> {
    await this.database.rows(undefined, `UPDATE passkeys SET counter = GREATEST(counter, $2), last_used_at = now() WHERE id = $1`, [
      id,
      counter,
    ]);
  }

  /** Deletes one of the person's passkeys unless it is their last; locks the person's passkeys to decide that. */
  async deletePasskeyUnlessLast(tx: Tx, personId: string, id: string): Promise<'deleted' | 'last' | 'not_found'> {
    const rows = await this.database.rows<{ id: string }>(tx, `SELECT id FROM passkeys WHERE person_id = $1 FOR UPDATE`, [personId]);
    if (!rows.some((row) => row.id === id)) return 'not_found';
    if (rows.length === 1) return 'last';
    await this.database.rows(tx, `DELETE FROM passkeys WHERE id = $1 AND person_id = $2`, [id, personId]);
    return 'deleted';
  }

  async insertChallenge(challenge: ChallengeRecord): Promise<void> {
    await this.database.rows(
      undefined,
      `INSERT INTO webauthn_challenges (challenge, purpose, person_id, approval_id, nonce, action_digest, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        challenge.challenge,
        challenge.purpose,
        challenge.personId,
        challenge.approvalId,
        challenge.nonce,
        challenge.actionDigest,
        challenge.expiresAt,
      ],
    );
    // Unanswered challenges are not worth a job: each new one clears a few expired ones.
    await this.database.rows(
      undefined,
      `DELETE FROM webauthn_challenges WHERE challenge IN (SELECT challenge FROM webauthn_challenges WHERE expires_at < now() LIMIT 20)`,
    );
  }

  /** Takes the challenge out (single use, whatever the answer's fate); null when unknown, used or expired. */
  async takeChallenge(challenge: string, purpose: ChallengePurpose): Promise<ChallengeRecord | null> {
    const rows = await this.database.rows<ChallengeRow>(undefined, `DELETE FROM webauthn_challenges WHERE challenge = $1 RETURNING *`, [
      challenge,
    ]);
    const row = rows[0];
    if (!row || row.purpose !== purpose || row.expires_at.getTime() <= Date.now()) return null;
    return {
      challenge: row.challenge,
      purpose: row.purpose,
      personId: row.person_id,
      approvalId: row.approval_id,
      nonce: row.nonce,
      actionDigest: row.action_digest,
      expiresAt: row.expires_at,
    };
  }

  async insertEnrollmentLink(tx: Tx, tokenHash: string, personId: string, expiresAt: Date): Promise<void> {
    // A new link replaces the person's earlier unused ones.
    await this.database.rows(tx, `UPDATE enrollment_links SET used_at = now() WHERE person_id = $1 AND used_at IS NULL`, [personId]);
    await this.database.rows(tx, `INSERT INTO enrollment_links (token_hash, person_id, expires_at) VALUES ($1, $2, $3)`, [
      tokenHash,
      personId,
      expiresAt,
    ]);
  }

  async hasLiveLinkSince(tx: Tx, personId: string, since: Date): Promise<boolean> {
    const rows = await this.database.rows<{ found: boolean }>(
      tx,
      `SELECT EXISTS (SELECT 1 FROM enrollment_links WHERE person_id = $1 AND used_at IS NULL AND expires_at > now() AND created_at > $2) AS found`,
      [personId, since],
    );
    return rows[0]?.found === true;
  }

  /** The person a live, unused link enrolls; `consume` marks it used in the caller's transaction. */
  async enrollmentLink(tx: Tx | undefined, tokenHash: string, consume: boolean): Promise<string | null> {
    const rows = consume
      ? await this.database.rows<{ person_id: string }>(
          tx,
          `UPDATE enrollment_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING person_id`,
          [tokenHash],
        )
      : await this.database.rows<{ person_id: string }>(
          tx,
          `SELECT person_id FROM enrollment_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
          [tokenHash],
        );
    return rows[0]?.person_id ?? null;
  }

  async webauthnUserId(personId: string): Promise<string> {
    const rows = await this.database.rows<{ webauthn_user_id: string }>(undefined, `SELECT webauthn_user_id FROM people WHERE id = $1`, [
      personId,
    ]);
    if (!rows[0]) throw new Error(`no person ${personId}`);
    return rows[0].webauthn_user_id;
  }

  async hasAnyPasskey(role: string): Promise<boolean> {
    const rows = await this.database.rows<{ found: boolean }>(
      undefined,
      `SELECT EXISTS (SELECT 1 FROM passkeys k JOIN people p ON p.id = k.person_id WHERE p.role = $1 AND p.status = 'active') AS found`,
      [role],
    );
    return rows[0]?.found === true;
  }
}

function passkeyFromRow(row: PasskeyRow): PasskeyRecord {
  return {
    id: row.id,
    personId: row.person_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: row.transports,
    deviceType: row.device_type,
    backedUp: row.backed_up,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
