/**
 * A software WebAuthn authenticator (plus the bits of the browser "client" it needs), so tests can drive the
 * server's real `@simplewebauthn/server` verification instead of mocking it out.
 *
 * Section numbers below are W3C WebAuthn Level 2 (https://www.w3.org/TR/webauthn-2/); names are given too, since
 * Level 3 renumbers some of them.
 *
 * It plays both roles a browser + authenticator would:
 *  - client: builds clientDataJSON (W3C WebAuthn §5.8.1 "Client Data Used in WebAuthn Signatures") from the
 *    options and the origin it is told it runs on. It does NOT enforce the browser's origin/RP ID rules, so tests
 *    can produce responses for the wrong origin and check that the server rejects them.
 *  - authenticator: ES256 (P-256, COSE alg -7) credentials, "none" attestation, a per-credential signature
 *    counter. Every credential is discoverable (resident): it remembers its user handle.
 *
 * Only `node:crypto` is used; the CBOR needed (attestation object, COSE key) comes from the tiny encoder below.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** COSE algorithm identifier for ECDSA w/ SHA-256 on P-256 (RFC 9053 / IANA COSE Algorithms). */
export const COSE_ALG_ES256 = -7;

/** Authenticator data flag bits (§6.1 "Authenticator Data", flags byte). */
export const AuthDataFlags = {
  UP: 0x01, // bit 0: User Present
  UV: 0x04, // bit 2: User Verified
  BE: 0x08, // bit 3: Backup Eligibility
  BS: 0x10, // bit 4: Backup State
  AT: 0x40, // bit 6: Attested credential data included
  ED: 0x80, // bit 7: Extension data included
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Tiny CBOR encoder (RFC 8949), only the shapes WebAuthn needs here: unsigned/negative ints, byte strings, text
// strings and maps (int or text keys). Always the shortest head encoding, which is what the server's CBOR library
// re-encodes to when it measures the COSE key inside authenticator data — so lengths must be minimal.
// ---------------------------------------------------------------------------------------------------------------

export type CborValue = number | string | Uint8Array | Map<number | string, CborValue>;

function cborHead(majorType: number, length: number | bigint): Buffer {
  const n = BigInt(length);
  const mt = majorType << 5;
  if (n < 24n) return Buffer.from([mt | Number(n)]);
  if (n < 0x100n) return Buffer.from([mt | 24, Number(n)]);
  if (n < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = mt | 25;
    b.writeUInt16BE(Number(n), 1);
    return b;
  }
  if (n < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = mt | 26;
    b.writeUInt32BE(Number(n), 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = mt | 27;
  b.writeBigUInt64BE(n, 1);
  return b;
}

export function encodeCbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`CBOR encoder: only integers are supported, got ${value}`);
    // Major type 0 (unsigned) or 1 (negative, encoded as -1 - n).
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === 'string') {
    const utf8 = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, utf8.length), utf8]); // major type 3: text string
  }
  if (value instanceof Uint8Array) {
    return Buffer.concat([cborHead(2, value.length), value]); // major type 2: byte string
  }
  // Major type 5: map. Insertion order is kept (the layouts below are written in canonical order already).
  const parts: Buffer[] = [cborHead(5, value.size)];
  for (const [k, v] of value) parts.push(encodeCbor(k), encodeCbor(v));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// WebAuthn structures as pure functions.
// ---------------------------------------------------------------------------------------------------------------

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * A P-256 public key as a COSE_Key (§6.5.1.1 "Examples of credentialPublicKey Values Encoded in COSE_Key Format";
 * RFC 9052 §7 / RFC 9053 §7.1.1 for EC2 keys): {1: kty=2 (EC2), 3: alg=-7, -1: crv=1 (P-256), -2: x, -3: y}.
 */
export function coseES256PublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('coseES256PublicKey: not a P-256 key');
  return encodeCbor(
    new Map<number, CborValue>([
      [1, 2],
      [3, COSE_ALG_ES256],
      [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')],
      [-3, Buffer.from(jwk.y, 'base64url')],
    ]),
  );
}

export interface AttestedCredentialData {
  /** 16 bytes; all zeros for an authenticator that does not identify its model (as with "none" attestation). */
  aaguid?: Uint8Array;
  credentialId: Uint8Array;
  /** COSE_Key encoded public key. */
  credentialPublicKey: Uint8Array;
}

/**
 * Authenticator data (§6.1 "Authenticator Data"):
 *
 *   rpIdHash (32: SHA-256 of the RP ID) | flags (1) | signCount (4, big-endian u32) | attestedCredentialData (var)
 *
 * with attestedCredentialData (§6.5.1 "Attested Credential Data") present only when flags has AT:
 *
 *   aaguid (16) | credentialIdLength (2, big-endian u16) | credentialId (L) | credentialPublicKey (COSE_Key, CBOR)
 */
export function buildAuthenticatorData(input: {
  rpId: string;
  flags: number;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
}): Buffer {
  const { rpId, signCount, attestedCredentialData } = input;
  const flags = attestedCredentialData ? input.flags | AuthDataFlags.AT : input.flags & ~AuthDataFlags.AT;
  const head = Buffer.alloc(37);
  sha256(rpId).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(signCount >>> 0, 33);
  if (!attestedCredentialData) return head;

  const aaguid = attestedCredentialData.aaguid ?? new Uint8Array(16);
  if (aaguid.length !== 16) throw new Error('AAGUID must be 16 bytes');
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(attestedCredentialData.credentialId.length, 0);
  return Buffer.concat([head, aaguid, idLength, attestedCredentialData.credentialId, attestedCredentialData.credentialPublicKey]);
}

/**
 * clientDataJSON (§5.8.1). Key order is what browsers emit (type, challenge, origin, crossOrigin); the server
 * parses it as JSON, so order only matters for byte-exact comparisons. `challenge` is the options' base64url string,
 * unchanged.
 */
export function buildClientDataJSON(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

/** Attestation object (§6.5.4 "Generating an Attestation Object"; §8.7 "None Attestation Statement Format"): {fmt: "none", attStmt: {}, authData}. */
export function buildNoneAttestationObject(authData: Uint8Array): Buffer {
  return encodeCbor(
    new Map<string, CborValue>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authData],
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The authenticator.
// ---------------------------------------------------------------------------------------------------------------

export interface SoftAuthenticatorOptions {
  /** UV flag used when a call does not say otherwise. Default true (a passkey unlocked with biometrics/PIN). */
  userVerified?: boolean;
  /** Credential id length in bytes, 16..32 (default 32). */
  credentialIdLength?: number;
}

export interface CreateCredentialBehaviour {
  userVerified?: boolean;
  /** UP flag; default true. Set false to check the server refuses "silent" registrations. */
  userPresent?: boolean;
}

export interface GetAssertionBehaviour {
  userVerified?: boolean;
  /** UP flag; default true. */
  userPresent?: boolean;
  /** Which credential to use (base64url id) when several match. */
  credentialId?: string;
  /**
   * Sign with this counter instead of incrementing (simulates a cloned authenticator replaying an old counter).
   * The credential's stored counter is set to this value.
   */
  counter?: number;
}

/** What a test may read about a credential (the private key stays inside). */
export interface SoftCredentialInfo {
  /** base64url credential id (as in the response's `id`). */
  id: string;
  rpId: string;
  /** base64url user handle (= `options.user.id` at registration). */
  userHandle: string;
  signCount: number;
  /** COSE_Key public key, as the server stores it (`registrationInfo.credential.publicKey`). */
  publicKey: Uint8Array;
}

interface StoredCredential extends SoftCredentialInfo {
  privateKey: KeyObject;
}

export class SoftAuthenticator {
  private readonly store = new Map<string, StoredCredential>();
  private readonly defaultUserVerified: boolean;
  private readonly credentialIdLength: number;

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.defaultUserVerified = options.userVerified ?? true;
    this.credentialIdLength = options.credentialIdLength ?? 32;
    if (this.credentialIdLength < 16 || this.credentialIdLength > 32) throw new Error('credentialIdLength must be 16..32');
  }

  /** navigator.credentials.create(): a new ES256 credential with "none" attestation. */
  createCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    behaviour: CreateCredentialBehaviour = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(origin).hostname;

    if (!options.pubKeyCredParams.some((p) => p.type === 'public-key' && p.alg === COSE_ALG_ES256)) {
      throw new Error('SoftAuthenticator: NotSupportedError — ES256 (-7) is not in pubKeyCredParams');
    }
    // §6.3.2 authenticatorMakeCredential: refuse if a credential in excludeCredentials is ours for this RP.
    const excluded = (options.excludeCredentials ?? []).find((d) => this.store.get(d.id)?.rpId === rpId);
    if (excluded) throw new Error(`SoftAuthenticator: InvalidStateError — credential ${excluded.id} is already registered for ${rpId}`);

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialId = randomBytes(this.credentialIdLength);
    const id = b64url(credentialId);
    const credentialPublicKey = coseES256PublicKey(publicKey);

    const authData = buildAuthenticatorData({
      rpId,
      flags: this.flags(behaviour.userPresent ?? true, behaviour.userVerified ?? this.defaultUserVerified),
      signCount: 0,
      attestedCredentialData: { credentialId, credentialPublicKey },
    });
    const clientDataJSON = buildClientDataJSON('webauthn.create', options.challenge, origin);

    this.store.set(id, { id, rpId, userHandle: options.user.id, signCount: 0, publicKey: credentialPublicKey, privateKey });

    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(buildNoneAttestationObject(authData)),
        // The optional convenience fields browsers add (getAuthenticatorData/getPublicKey/getPublicKeyAlgorithm).
        authenticatorData: b64url(authData),
        publicKey: b64url(publicKey.export({ format: 'der', type: 'spki' })),
        publicKeyAlgorithm: COSE_ALG_ES256,
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get(): an assertion signed by one of this authenticator's credentials. */
  getAssertion(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    behaviour: GetAssertionBehaviour = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const credential = this.pick(rpId, options.allowCredentials ?? [], behaviour.credentialId);

    credential.signCount = behaviour.counter ?? credential.signCount + 1;
    const authData = buildAuthenticatorData({
      rpId,
      flags: this.flags(behaviour.userPresent ?? true, behaviour.userVerified ?? this.defaultUserVerified),
      signCount: credential.signCount,
    });
    const clientDataJSON = buildClientDataJSON('webauthn.get', options.challenge, origin);

    // §6.3.3 authenticatorGetAssertion: sign authenticatorData || SHA-256(clientDataJSON). For ES256 the
    // signature is ASN.1 DER Ecdsa-Sig-Value (§6.5.5 "Signature Formats for Packed Attestation, FIDO U2F
    // Attestation, and Assertion Signatures"), not raw r||s.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), { key: credential.privateKey, dsaEncoding: 'der' });

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The base64url ids of the credentials held, optionally only those for one RP ID. */
  credentials(rpId?: string): string[] {
    return [...this.store.values()].filter((c) => rpId === undefined || c.rpId === rpId).map((c) => c.id);
  }

  /** Public details of one credential (throws if unknown). */
  credential(id: string): SoftCredentialInfo {
    const c = this.store.get(id);
    if (!c) throw new Error(`SoftAuthenticator: no credential ${id}`);
    return { id: c.id, rpId: c.rpId, userHandle: c.userHandle, signCount: c.signCount, publicKey: c.publicKey };
  }

  /** Forget a credential (the user deleted the passkey on their device). */
  removeCredential(id: string): void {
    this.store.delete(id);
  }

  private flags(userPresent: boolean, userVerified: boolean): number {
    return (userPresent ? AuthDataFlags.UP : 0) | (userVerified ? AuthDataFlags.UV : 0);
  }

  /**
   * Credential selection (§6.3.3 authenticatorGetAssertion): with a non-empty allowCredentials, candidates are those listed that we hold for this RP;
   * otherwise (discoverable flow) all our credentials for the RP. Several candidates: `credentialId` chooses
   * (a browser would show an account picker); with allowCredentials the first listed wins by default.
   */
  private pick(rpId: string, allow: { id: string }[], chosen: string | undefined): StoredCredential {
    const ours = [...this.store.values()].filter((c) => c.rpId === rpId);
    const candidates = allow.length > 0 ? allow.map((d) => ours.find((c) => c.id === d.id)).filter((c) => c !== undefined) : ours;
    if (chosen !== undefined) {
      const found = candidates.find((c) => c.id === chosen);
      if (!found) throw new Error(`SoftAuthenticator: NotAllowedError — credential ${chosen} is not usable for ${rpId} with these options`);
      return found;
    }
    if (candidates.length === 0) throw new Error(`SoftAuthenticator: NotAllowedError — no credential for ${rpId}`);
    if (allow.length === 0 && candidates.length > 1) {
      throw new Error(
        `SoftAuthenticator: ${candidates.length} discoverable credentials for ${rpId}; pass behaviour.credentialId to choose`,
      );
    }
    return candidates[0];
  }
}
