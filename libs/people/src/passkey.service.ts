import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { type Passkey } from '@countersign/contract';
import { type Tx } from '@countersign/database';
import { DomainError, stepUpChallenge } from '@countersign/domain';
import { type ChallengePurpose, CredentialsRepository, type PasskeyRecord } from './credentials.repository';
import { type PersonRecord } from './people.repository';

const CHALLENGE_TTL_MS = 5 * 60_000;
const ES256 = -7;
// ES256 first (every platform authenticator has it), RS256 for older Windows Hello; nothing exotic to verify.
const SUPPORTED_ALGORITHMS = [ES256, -257];

/** A passkey on the wire (libs/contract's `Passkey`). */
export type PasskeyView = Passkey;

/** A WebAuthn answer the browser produced; only its outer shape is checked here, the library checks the rest. */
export function parseCredentialResponse<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(value: unknown, field: string): T {
  const candidate = value as { id?: unknown; rawId?: unknown; type?: unknown; response?: { clientDataJSON?: unknown } } | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.id !== 'string' ||
    typeof candidate.rawId !== 'string' ||
    candidate.type !== 'public-key' ||
    typeof candidate.response !== 'object' ||
    candidate.response === null ||
    typeof candidate.response.clientDataJSON !== 'string'
  ) {
    throw new DomainError('invalid_request', `${field} must be a WebAuthn credential response (SimpleWebAuthn's JSON shape)`, { field });
  }
  return value as T;
}

/** The challenge the authenticator signed, read from clientDataJSON (the library re-checks it against ours). */
function challengeOf(response: RegistrationResponseJSON | AuthenticationResponseJSON): string {
  try {
    const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof clientData.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(clientData.challenge)) return clientData.challenge;
  } catch {
    // falls through to the refusal below
  }
  throw new DomainError('invalid_request', 'the credential response carries no readable challenge', { field: 'response' });
}

/**
 * Passkeys (WebAuthn, through SimpleWebAuthn): registration, sign-in and step-up assertions. The relying party id
 * and origin come from PUBLIC_URL; user verification is always required; every challenge is single use.
 */
@Injectable()
export class PasskeyService {
  private readonly origin: string;
  private readonly rpId: string;

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly credentials: CredentialsRepository,
  ) {
    const url = new URL(config.publicUrl);
    this.origin = url.origin;
    this.rpId = url.hostname;
  }

  /** Creation options for a new passkey of `person` (enrollment or an added one). */
  async registrationOptions(person: PersonRecord, purpose: 'enrollment' | 'passkey'): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.credentials.passkeysOf(person.id);
    const options = await generateRegistrationOptions({
      rpName: 'Countersign',
      rpID: this.rpId,
      userName: person.email,
      userDisplayName: person.displayName,
      userID: Buffer.from(await this.credentials.webauthnUserId(person.id), 'hex'),
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    await this.remember(options.challenge, purpose, person.id);
    return options;
  }

  /**
   * Verifies a registration answer to a challenge issued to `person` for `purpose` and stores the passkey in the
   * caller's transaction. Failures are 400s that say what was wrong.
   */
  async register(
    tx: Tx,
    person: PersonRecord,
    purpose: 'enrollment' | 'passkey',
    response: RegistrationResponseJSON,
    name: string | undefined,
  ): Promise<PasskeyRecord> {
    const challenge = await this.credentials.takeChallenge(challengeOf(response), purpose);
    if (!challenge || challenge.personId !== person.id)
      throw new DomainError('invalid_request', 'the registration answers no live challenge issued to you; ask for new options', {
        field: 'response',
      });
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
    } catch (error) {
      throw new DomainError('invalid_request', `the passkey registration was refused: ${(error as Error).message}`, { field: 'response' });
    }
    if (!verification.verified) throw new DomainError('invalid_request', 'the passkey registration did not verify', { field: 'response' });
    const info = verification.registrationInfo;
    const passkey = {
      id: info.credential.id,
      personId: person.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: name?.trim().slice(0, 100) || 'Passkey',
    };
    if (!(await this.credentials.insertPasskey(tx, passkey)))
      throw new DomainError('conflict', 'this passkey is already registered', { field: 'response' });
    return { ...passkey, createdAt: new Date(), lastUsedAt: null };
  }

  /** Request options for signing in; with an email, that person's passkeys are listed (else discoverable). */
  async loginOptions(person: PersonRecord | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = person ? await this.credentials.passkeysOf(person.id) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      userVerification: 'required',
    });
    await this.remember(options.challenge, 'login', null);
    return options;
  }

  /** Verifies a sign-in assertion; returns the id of the person whose passkey signed it. */
  async verifyLogin(response: AuthenticationResponseJSON): Promise<string> {
    const challenge = await this.credentials.takeChallenge(challengeOf(response), 'login');
    if (!challenge) throw new DomainError('unauthenticated', 'the sign-in answers no live challenge; start again');
    const passkey = await this.credentials.passkey(response.id);
    if (!passkey) throw new DomainError('unauthenticated', 'this passkey is not registered here');
    if (
      response.response.userHandle !== undefined &&
      response.response.userHandle !== Buffer.from(await this.credentials.webauthnUserId(passkey.personId), 'hex').toString('base64url')
    ) {
      throw new DomainError('unauthenticated', 'the passkey answered for another user');
    }
    await this.verifyAssertion(passkey, response, challenge.challenge, 'unauthenticated');
    return passkey.personId;
  }

  /**
   * Step-up options bound to one approval: the challenge is SHA-256(nonce || action digest), and the nonce is
   * kept with the approval, the person and the digest, single use, for five minutes.
   */
  async stepUpOptions(
    person: PersonRecord,
    approval: { id: string; actionDigest: string },
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = await this.credentials.passkeysOf(person.id);
    if (passkeys.length === 0) throw new DomainError('step_up_required', 'you have no passkey to confirm with; add one in your settings');
    const nonce = randomBytes(32);
    const challenge = stepUpChallenge(nonce, approval.actionDigest).toString('base64url');
    const options = await generateAuthenticationOptions({
      rpID: this.rpId,
      challenge: Buffer.from(challenge, 'base64url'),
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      userVerification: 'required',
    });
    await this.credentials.insertChallenge({
      challenge,
      purpose: 'step_up',
      personId: person.id,
      approvalId: approval.id,
      nonce: nonce.toString('base64url'),
      actionDigest: approval.actionDigest,
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    });
    return options;
  }

  /**
   * Checks a step-up assertion for exactly this person and this approval as it is now: the challenge is taken
   * (single use), must have been issued to this person for this approval, must still derive from the approval's
   * current action digest, and must be signed with user verification by one of this person's own passkeys.
   * Returns the authentication methods to record; throws `step_up_invalid` naming what failed.
   */
  async verifyStepUp(
    person: PersonRecord,
    approval: { id: string; actionDigest: string },
    response: AuthenticationResponseJSON,
  ): Promise<string[]> {
    const challenge = await this.credentials.takeChallenge(challengeOf(response), 'step_up');
    if (!challenge)
      throw new DomainError(
        'step_up_invalid',
        'the step-up answers no live challenge (already used, expired or never issued); ask for a new one',
      );
    if (challenge.personId !== person.id) throw new DomainError('step_up_invalid', 'the step-up challenge was issued to someone else');
    if (challenge.approvalId !== approval.id)
      throw new DomainError('step_up_invalid', 'the step-up challenge was issued for another approval');
    const expected = stepUpChallenge(Buffer.from(challenge.nonce ?? '', 'base64url'), approval.actionDigest).toString('base64url');
    if (challenge.actionDigest !== approval.actionDigest || expected !== challenge.challenge) {
      throw new DomainError('step_up_invalid', 'the approval changed since the step-up was issued; review it again');
    }
    const passkey = await this.credentials.passkey(response.id);
    if (!passkey || passkey.personId !== person.id)
      throw new DomainError('step_up_invalid', 'the step-up was not signed with one of your passkeys');
    await this.verifyAssertion(passkey, response, challenge.challenge, 'step_up_invalid');
    return ['passkey', 'uv'];
  }

  async list(person: PersonRecord): Promise<PasskeyView[]> {
    return (await this.credentials.passkeysOf(person.id)).map((passkey) => ({
      id: passkey.id,
      name: passkey.name,
      created_at: passkey.createdAt.toISOString(),
      last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
      backed_up: passkey.backedUp,
    }));
  }

  private async verifyAssertion(
    passkey: PasskeyRecord,
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
    code: 'unauthenticated' | 'step_up_invalid',
  ): Promise<void> {
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        credential: {
          id: passkey.id,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch (error) {
      // Origin, RP id, user verification and sign-counter regressions (a cloned authenticator) land here.
      throw new DomainError(code, `the passkey assertion was refused: ${(error as Error).message}`);
    }
    if (!verification.verified) throw new DomainError(code, 'the passkey signature did not verify');
    await this.credentials.recordUse(passkey.id, verification.authenticationInfo.newCounter);
  }

  private remember(challenge: string, purpose: ChallengePurpose, personId: string | null): Promise<void> {
    return this.credentials.insertChallenge({
      challenge,
      purpose,
      personId,
      approvalId: null,
      nonce: null,
      actionDigest: null,
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    });
  }
}
