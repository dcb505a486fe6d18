import { KeyEncryption } from './key-encryption';
import { generateSecret, hashSecret, verifySecret } from './secret-hash';

describe('KeyEncryption', () => {
  const encryption = new KeyEncryption('a'.repeat(32));

  it('round-trips and never stores the plaintext', () => {
    const sealed = encryption.seal('private key bytes');
    expect(sealed).not.toContain('private');
    expect(encryption.open(sealed).toString()).toBe('private key bytes');
  });

  it('refuses a tampered value and a value sealed under another secret', () => {
    const sealed = encryption.seal('x');
    const parts = sealed.split('.');
    // Flip one bit of the ciphertext (replacing it with a fixed byte left it unchanged 1 time in 256).
    const ciphertext = Buffer.from(parts[3], 'base64url');
    ciphertext[0] ^= 0x01;
    parts[3] = ciphertext.toString('base64url');
    expect(() => encryption.open(parts.join('.'))).toThrow();
    expect(() => new KeyEncryption('b'.repeat(32)).open(sealed)).toThrow();
  });
});

describe('secret hashing', () => {
  it('verifies the right secret only', async () => {
    const secret = generateSecret('cs');
    const hash = await hashSecret(secret);
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    await expect(verifySecret(secret, hash)).resolves.toBe(true);
    await expect(verifySecret(`${secret}x`, hash)).resolves.toBe(false);
    await expect(verifySecret(secret, 'plain$text')).resolves.toBe(false);
  });
});
