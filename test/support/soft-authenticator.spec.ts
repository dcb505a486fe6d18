import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { type CborValue, encodeCbor, SoftAuthenticator } from './soft-authenticator';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:3000';
const USER_ID = 'person-1';

function registrationOptions(
  rpID = RP_ID,
  extra: Partial<Parameters<typeof generateRegistrationOptions>[0]> = {},
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: 'Countersign',
    rpID,
    userName: 'alice@example.com',
    userID: new TextEncoder().encode(USER_ID),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    ...extra,
  });
}

/** Registers a new credential on `authenticator` through the real server verification; returns what the server would store. */
async function register(authenticator: SoftAuthenticator, rpID = RP_ID, origin = ORIGIN): Promise<WebAuthnCredential> {
  const options = await registrationOptions(rpID);
  const response = authenticator.createCredential(options, origin);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: true,
  });
  if (!verification.verified) throw new Error('registration not verified');
  return verification.registrationInfo.credential;
}

async function verifyLogin(
  response: AuthenticationResponseJSON,
  challenge: string,
  credential: WebAuthnCredential,
  origin = ORIGIN,
  rpID = RP_ID,
) {
  return verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential,
    requireUserVerification: true,
  });
}

describe('encodeCbor (RFC 8949 Appendix A vectors)', () => {
  it.each<[CborValue, string]>([
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [100, '1864'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [-1, '20'],
    [-7, '26'],
    [-100, '3863'],
    [-1000, '3903e7'],
    ['', '60'],
    ['IETF', '6449455446'],
    [Uint8Array.from([1, 2, 3, 4]), '4401020304'],
    [
      new Map([
        [1, 2],
        [3, 4],
      ]),
      'a201020304',
    ],
    [
      new Map<string, CborValue>([
        ['a', 1],
        ['b', new Map()],
      ]),
      'a26161016162a0',
    ],
  ])('encodes %p as %s', (value, hex) => {
    expect(encodeCbor(value).toString('hex')).toBe(hex);
  });
});

describe('SoftAuthenticator against @simplewebauthn/server', () => {
  it('registers: the server verifies the "none" attestation, UV, and extracts the COSE public key', async () => {
    const authenticator = new SoftAuthenticator();
    const options = await registrationOptions();
    const response = authenticator.createCredential(options, ORIGIN);

    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });

    expect(verification.verified).toBe(true);
    const info = verification.registrationInfo!;
    expect(info.userVerified).toBe(true);
    expect(info.fmt).toBe('none');
    expect(info.aaguid).toBe('00000000-0000-0000-0000-000000000000');
    expect(info.rpID).toBe(RP_ID);
    expect(info.origin).toBe(ORIGIN);
    expect(info.credentialDeviceType).toBe('singleDevice');
    expect(info.credential).toEqual({ id: response.id, publicKey: expect.any(Uint8Array), counter: 0, transports: ['internal'] });
    expect(Buffer.from(info.credential.publicKey)).toEqual(Buffer.from(authenticator.credential(response.id).publicKey));
    expect(authenticator.credentials()).toEqual([response.id]);
    expect(authenticator.credential(response.id)).toMatchObject({ rpId: RP_ID, userHandle: options.user.id, signCount: 0 });
  });

  it('authenticates with allowCredentials: verified, counter 1 then 2', async () => {
    const authenticator = new SoftAuthenticator();
    const credential = await register(authenticator);

    for (const expected of [1, 2]) {
      const options = await generateAuthenticationOptions({
        rpID: RP_ID,
        allowCredentials: [{ id: credential.id, transports: ['internal'] }],
        userVerification: 'required',
      });
      const response = authenticator.getAssertion(options, ORIGIN);
      const { verified, authenticationInfo } = await verifyLogin(response, options.challenge, credential);

      expect(verified).toBe(true);
      expect(authenticationInfo).toMatchObject({
        newCounter: expected,
        credentialID: credential.id,
        userVerified: true,
        origin: ORIGIN,
        rpID: RP_ID,
      });
      credential.counter = authenticationInfo.newCounter; // what the server persists
    }
  });

  it('discoverable login (no allowCredentials) returns the user handle given at registration', async () => {
    const authenticator = new SoftAuthenticator();
    const credential = await register(authenticator);
    const options = await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' });
    expect(options.allowCredentials).toBeUndefined();

    const response = authenticator.getAssertion(options, ORIGIN);

    expect(response.id).toBe(credential.id);
    expect(Buffer.from(response.response.userHandle!, 'base64url').toString()).toBe(USER_ID);
    expect((await verifyLogin(response, options.challenge, credential)).verified).toBe(true);
  });

  it('discoverable login with several credentials for the RP needs a choice', async () => {
    const authenticator = new SoftAuthenticator();
    await register(authenticator);
    const second = await register(authenticator);
    const options = await generateAuthenticationOptions({ rpID: RP_ID });

    expect(() => authenticator.getAssertion(options, ORIGIN)).toThrow(/2 discoverable credentials/);
    expect(authenticator.getAssertion(options, ORIGIN, { credentialId: second.id }).id).toBe(second.id);
  });

  it('refuses a credential listed in excludeCredentials, and options without ES256', async () => {
    const authenticator = new SoftAuthenticator();
    const credential = await register(authenticator);

    const again = await registrationOptions(RP_ID, { excludeCredentials: [{ id: credential.id }] });
    expect(() => authenticator.createCredential(again, ORIGIN)).toThrow(/InvalidStateError/);
    // Same credential id excluded, but for another RP: not ours there, so allowed.
    const otherRp = await registrationOptions('example.com', { excludeCredentials: [{ id: credential.id }] });
    expect(() => authenticator.createCredential(otherRp, 'https://example.com')).not.toThrow();

    const edOnly = await registrationOptions(RP_ID, { supportedAlgorithmIDs: [-8] });
    expect(() => authenticator.createCredential(edOnly, ORIGIN)).toThrow(/ES256/);
  });

  it('refuses to assert with a credential that is not allowed, or for an RP it has none for', async () => {
    const authenticator = new SoftAuthenticator();
    const credential = await register(authenticator);

    const otherAllowed = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: 'AAAAAAAAAAAAAAAAAAAAAA' }] });
    expect(() => authenticator.getAssertion(otherAllowed, ORIGIN)).toThrow(/NotAllowedError/);
    expect(() => authenticator.getAssertion(otherAllowed, ORIGIN, { credentialId: credential.id })).toThrow(/NotAllowedError/);
    const otherRp = await generateAuthenticationOptions({ rpID: 'example.com' });
    expect(() => authenticator.getAssertion(otherRp, 'https://example.com')).toThrow(/no credential for example.com/);
  });

  describe('the server rejects', () => {
    let authenticator: SoftAuthenticator;
    let credential: WebAuthnCredential;
    beforeEach(async () => {
      authenticator = new SoftAuthenticator();
      credential = await register(authenticator);
    });
    const loginOptions = () =>
      generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: credential.id }], userVerification: 'required' });

    it('a registration made on another origin', async () => {
      const options = await registrationOptions();
      const response = new SoftAuthenticator().createCredential(options, 'http://evil.example');
      await expect(
        verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID }),
      ).rejects.toThrow('Unexpected registration response origin "http://evil.example", expected "http://localhost:3000"');
    });

    it('an assertion made on another origin', async () => {
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, 'http://evil.example');
      await expect(verifyLogin(response, options.challenge, credential)).rejects.toThrow(
        'Unexpected authentication response origin "http://evil.example"',
      );
    });

    it('an assertion for another RP ID', async () => {
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, ORIGIN);
      await expect(verifyLogin(response, options.challenge, credential, ORIGIN, 'example.com')).rejects.toThrow('Unexpected RP ID hash');
    });

    it('a wrong challenge (string, and a verifier function that says no)', async () => {
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, ORIGIN);
      const stale = (await loginOptions()).challenge;
      await expect(verifyLogin(response, stale, credential)).rejects.toThrow(/Unexpected authentication response challenge/);
      await expect(
        verifyAuthenticationResponse({
          response,
          expectedChallenge: (c) => c === stale,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          credential,
        }),
      ).rejects.toThrow(/Custom challenge verifier returned false/);

      const regOptions = await registrationOptions();
      const registration = new SoftAuthenticator().createCredential(regOptions, ORIGIN);
      await expect(
        verifyRegistrationResponse({ response: registration, expectedChallenge: stale, expectedOrigin: ORIGIN, expectedRPID: RP_ID }),
      ).rejects.toThrow(/Unexpected registration response challenge/);
    });

    it('userVerified false when UV is required (registration)', async () => {
      const options = await registrationOptions();
      const response = new SoftAuthenticator({ userVerified: false }).createCredential(options, ORIGIN);
      await expect(
        verifyRegistrationResponse({
          response,
          expectedChallenge: options.challenge,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          requireUserVerification: true,
        }),
      ).rejects.toThrow('User verification was required, but user could not be verified');
      // ...and the same response passes when UV is not required, so it is the flag that was refused.
      const lax = await verifyRegistrationResponse({
        response,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: false,
      });
      expect(lax).toMatchObject({ verified: true, registrationInfo: { userVerified: false } });
    });

    it('userVerified false when UV is required (authentication)', async () => {
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, ORIGIN, { userVerified: false });
      await expect(verifyLogin(response, options.challenge, credential)).rejects.toThrow(
        'User verification required, but user could not be verified',
      );
    });

    it('user presence missing', async () => {
      const options = await registrationOptions();
      const registration = new SoftAuthenticator().createCredential(options, ORIGIN, { userPresent: false });
      await expect(
        verifyRegistrationResponse({
          response: registration,
          expectedChallenge: options.challenge,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
        }),
      ).rejects.toThrow('User presence was required, but user was not present');
      const login = await loginOptions();
      const assertion = authenticator.getAssertion(login, ORIGIN, { userPresent: false });
      await expect(verifyLogin(assertion, login.challenge, credential)).rejects.toThrow('User not present during authentication');
    });

    it('a tampered signature, or authenticator data changed after signing (verified: false, no throw)', async () => {
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, ORIGIN);

      // Flip a bit in the last byte (inside s): still well-formed DER, but not a valid signature.
      const signature = Buffer.from(response.response.signature, 'base64url');
      signature[signature.length - 1] ^= 0x01;
      const badSignature = { ...response, response: { ...response.response, signature: signature.toString('base64url') } };
      expect((await verifyLogin(badSignature, options.challenge, credential)).verified).toBe(false);

      // Raise the counter in authenticatorData without re-signing.
      const authData = Buffer.from(response.response.authenticatorData, 'base64url');
      authData.writeUInt32BE(1000, 33);
      const badAuthData = { ...response, response: { ...response.response, authenticatorData: authData.toString('base64url') } };
      expect((await verifyLogin(badAuthData, options.challenge, credential)).verified).toBe(false);

      expect((await verifyLogin(response, options.challenge, credential)).verified).toBe(true);
    });

    it('an assertion checked against another credential (the server must look the credential up by response.id)', async () => {
      const other = await register(new SoftAuthenticator());
      const options = await loginOptions();
      const response = authenticator.getAssertion(options, ORIGIN);
      // SimpleWebAuthn does not compare response.id with credential.id; only the signature check catches it.
      const result = await verifyLogin(response, options.challenge, other);
      expect(result.verified).toBe(false);
      expect(result.authenticationInfo.credentialID).toBe(other.id);
    });

    it('a counter that does not increase once the stored counter is > 0 (cloned authenticator); 0 → 0 is allowed', async () => {
      // Authenticators that do not implement counters always send 0: accepted while the stored counter is 0.
      const zero = await loginOptions();
      const first = await verifyLogin(authenticator.getAssertion(zero, ORIGIN, { counter: 0 }), zero.challenge, credential);
      expect(first).toMatchObject({ verified: true, authenticationInfo: { newCounter: 0 } });

      const up = await loginOptions();
      const second = await verifyLogin(authenticator.getAssertion(up, ORIGIN, { counter: 5 }), up.challenge, credential);
      expect(second).toMatchObject({ verified: true, authenticationInfo: { newCounter: 5 } });
      credential.counter = 5;

      const backwards = await loginOptions();
      await expect(
        verifyLogin(authenticator.getAssertion(backwards, ORIGIN, { counter: 3 }), backwards.challenge, credential),
      ).rejects.toThrow('Response counter value 3 was lower than expected 5');
      const equal = await loginOptions();
      await expect(verifyLogin(authenticator.getAssertion(equal, ORIGIN, { counter: 5 }), equal.challenge, credential)).rejects.toThrow(
        'Response counter value 5 was lower than expected 5',
      );
      const zeroAgain = await loginOptions();
      await expect(
        verifyLogin(authenticator.getAssertion(zeroAgain, ORIGIN, { counter: 0 }), zeroAgain.challenge, credential),
      ).rejects.toThrow('Response counter value 0 was lower than expected 5');
    });
  });

  it('accepts an IP address as RP ID: rpID 127.0.0.1 with origin http://127.0.0.1:PORT', async () => {
    const origin = 'http://127.0.0.1:54321';
    const authenticator = new SoftAuthenticator();
    const credential = await register(authenticator, '127.0.0.1', origin);
    const options = await generateAuthenticationOptions({ rpID: '127.0.0.1', allowCredentials: [{ id: credential.id }] });

    const { verified, authenticationInfo } = await verifyLogin(
      authenticator.getAssertion(options, origin),
      options.challenge,
      credential,
      origin,
      '127.0.0.1',
    );

    expect(verified).toBe(true);
    expect(authenticationInfo).toMatchObject({ newCounter: 1, rpID: '127.0.0.1', origin });
    // The origin is compared as an exact string: the port is part of it.
    const again = await generateAuthenticationOptions({ rpID: '127.0.0.1' });
    await expect(
      verifyLogin(authenticator.getAssertion(again, 'http://127.0.0.1:1'), again.challenge, credential, origin, '127.0.0.1'),
    ).rejects.toThrow(/origin/);
  });
});
