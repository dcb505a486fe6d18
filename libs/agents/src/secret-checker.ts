import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { verifySecret } from '@countersign/tokens';

const CACHE_MS = 5 * 60_000;
const CACHE_LIMIT = 10_000;

/**
 * scrypt costs 32 MiB and tens of milliseconds per check, by design. A successful check is remembered for a few
 * minutes, keyed by a hash of the presented credentials AND the stored hash, so a changed secret is re-checked.
 */
@Injectable()
export class SecretChecker {
  private readonly verified = new Map<string, number>();

  async matches(clientId: string, presented: string, storedHash: string): Promise<boolean> {
    const key = createHash('sha256').update(clientId).update('\0').update(presented).update('\0').update(storedHash).digest('base64url');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (!(await verifySecret(presented, storedHash))) return false;
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(key, Date.now() + CACHE_MS);
    return true;
  }
}
