import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Single sign-on (docs/adr/0016-single-sign-on.md). `sso_identities`: who a person is at an OpenID provider, by the
 * stable pair (issuer, sub), never by email. `sso_logins`: an authorization request in flight (state, nonce, PKCE
 * verifier), keyed by the SHA-256 of its `state`, bound to the browser that started it (the SHA-256 of a cookie),
 * taken out once with DELETE … RETURNING whatever the outcome, so a replayed `state` finds nothing.
 */
export class SsoIdentities1764910000000 implements MigrationInterface {
  name = 'SsoIdentities1764910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE sso_identities (
      issuer text NOT NULL,
      subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
      person_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      provider text NOT NULL,
      email text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_sign_in_at timestamptz,
      PRIMARY KEY (issuer, subject)
    )`);
    await queryRunner.query(`CREATE INDEX sso_identities_person ON sso_identities (person_id)`);
    await queryRunner.query(`CREATE TABLE sso_logins (
      state_hash text PRIMARY KEY,
      browser_hash text NOT NULL,
      provider text NOT NULL,
      nonce text NOT NULL,
      code_verifier text NOT NULL,
      return_to text NOT NULL,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX sso_logins_expiry ON sso_logins (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sso_logins`);
    await queryRunner.query(`DROP TABLE sso_identities`);
  }
}
