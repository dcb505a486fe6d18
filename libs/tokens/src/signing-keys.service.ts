import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type JWK } from 'jose';
import { AuditEventType, AuditService, type Actor } from '@countersign/audit';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { Database, type Tx } from '@countersign/database';
import { MAX_TOKEN_TTL_SECONDS } from '@countersign/domain';
import { KeyEncryption } from './key-encryption';
import { SigningKeyRepository } from './signing-key.repository';

/** ES256 for every token Countersign signs; see docs/adr/0002-approval-token-signing-algorithm.md. */
export const SIGNING_ALGORITHM = 'ES256';
/**
 * Each process re-reads the active key at least this often. A rotation is announced to every process at once
 * (SigningKeyRotations); this is the fallback when the announcement does not reach one.
 */
export const ACTIVE_KEY_CACHE_MS = 30_000;
/** Clocks of Countersign and of verifiers may disagree by this much (the verifier SDK tolerates 30 s by default). */
export const CLOCK_SKEW_SECONDS = 60;
/**
 * A retiring key stays in the JWKS this long: longer than any token it signed can live. Tokens live at most
 * MAX_TOKEN_TTL_SECONDS (approval tokens by the taxonomy's bound, access tokens by ACCESS_TOKEN_TTL_SECONDS's);
 * a process that missed the announcement signs with the old key for up to a cache period after the rotation.
 */
export const RETIRING_KEY_PUBLISH_SECONDS = MAX_TOKEN_TTL_SECONDS + ACTIVE_KEY_CACHE_MS / 1000 + CLOCK_SKEW_SECONDS;

export interface ActiveSigningKey {
  kid: string;
  alg: typeof SIGNING_ALGORITHM;
  privateKey: KeyObject;
}

@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly encryption: KeyEncryption;
  private cached?: { key: ActiveSigningKey; loadedAt: number };
  /** Bumped by every forget: a load that began before one must not cache what it read. */
  private generation = 0;
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly database: Database,
    private readonly repository: SigningKeyRepository,
    private readonly audit: AuditService,
  ) {
    this.encryption = new KeyEncryption(config.keyEncryptionSecret);
  }

  /** Creates the first key on first start; safe when several processes start at once. */
  async ensureActiveKey(actor: Actor): Promise<void> {
    await this.database.transaction(async (tx) => {
      await this.repository.lock(tx);
      if (await this.repository.active(tx)) return;
      const kid = await this.createKey(tx);
      await this.audit.append(tx, actor, [
        { type: AuditEventType.KeysRotated, subject: { type: 'signing_key', id: kid }, data: { kid, reason: 'first key' } },
      ]);
      this.logger.log(`created signing key ${kid}`);
    });
  }

  async rotate(actor: Actor): Promise<{ kid: string; retired: string | null }> {
    const result = await this.database.transaction(async (tx) => {
      await this.repository.lock(tx);
      const previous = await this.repository.active(tx);
      if (previous) await this.repository.retire(tx, previous.kid, new Date(Date.now() + RETIRING_KEY_PUBLISH_SECONDS * 1000));
      const kid = await this.createKey(tx);
      await this.audit.append(tx, actor, [
        { type: AuditEventType.KeysRotated, subject: { type: 'signing_key', id: kid }, data: { kid, retired: previous?.kid ?? null } },
      ]);
      return { kid, retired: previous?.kid ?? null };
    });
    this.forgetActiveKey(result.kid);
    return result;
  }

  /** Another process rotated to `kid` (or this one did): the next signature reads the active key again. */
  forgetActiveKey(kid: string): void {
    if (this.cached?.key.kid === kid) return;
    this.cached = undefined;
    this.generation++;
  }

  /** Within a transaction, pass it: a second pool connection taken while holding one can deadlock a busy pool. */
  async activeKey(tx?: Tx): Promise<ActiveSigningKey> {
    if (this.cached && Date.now() - this.cached.loadedAt < ACTIVE_KEY_CACHE_MS) return this.cached.key;
    const generation = this.generation;
    const record = await this.repository.active(tx);
    if (!record) throw new Error('no active signing key: the API creates one at start-up');
    const privateKey = createPrivateKey({ key: this.encryption.open(record.privateKeyEnc), format: 'der', type: 'pkcs8' });
    const key: ActiveSigningKey = { kid: record.kid, alg: SIGNING_ALGORITHM, privateKey };
    if (generation === this.generation) this.cached = { key, loadedAt: Date.now() };
    return key;
  }

  /** The public JWKS: the active key plus retiring keys whose tokens may still be alive. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.repository.published(new Date());
    return { keys: keys.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' })) };
  }

  /** A published public key by kid, for verifying Countersign's own tokens; null for unknown or retired kids. */
  async publicKey(kid: string): Promise<KeyObject | null> {
    const cached = this.publicKeys.get(kid);
    if (cached) return cached;
    const found = (await this.repository.published(new Date())).find((key) => key.kid === kid);
    if (!found) return null;
    const key = createPublicKey({ key: found.publicJwk as JsonWebKeyInput, format: 'jwk' });
    this.publicKeys.set(kid, key);
    return key;
  }

  private async createKey(tx: Parameters<SigningKeyRepository['insert']>[0]): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomUUID();
    await this.repository.insert(tx, {
      kid,
      alg: SIGNING_ALGORITHM,
      publicJwk: publicKey.export({ format: 'jwk' }),
      privateKeyEnc: this.encryption.seal(privateKey.export({ format: 'der', type: 'pkcs8' })),
      state: 'active',
      publishUntil: null,
    });
    return kid;
  }
}

type JsonWebKeyInput = Parameters<typeof createPublicKey>[0] extends infer T
  ? T extends { format: 'jwk'; key: infer K }
    ? K
    : never
  : never;
