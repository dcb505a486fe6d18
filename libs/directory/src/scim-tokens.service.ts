import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { type Actor, AuditEventType, AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { ScimTokenRepository, type ScimTokenRecord } from './scim-token.repository';

const PREFIX = 'csscim';
/** `csscim.<token id>.<secret>`: the id finds the row, the secret (256 bits) is compared in constant time. */
const TOKEN = /^csscim\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export type ScimTokenView = ScimTokenRecord;

/**
 * The directory's bearer tokens for /scim/v2. A token is shown once when made; only a SHA-256 of its secret is
 * kept (the secret is 256 random bits, so a slow hash would add nothing). Every refusal is audited.
 */
@Injectable()
export class ScimTokensService {
  private readonly logger = new Logger(ScimTokensService.name);

  constructor(
    private readonly database: Database,
    private readonly tokens: ScimTokenRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, name: string): Promise<{ token: ScimTokenView; secret: string }> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200)
      throw new DomainError('invalid_request', 'a SCIM token needs a name of 1 to 200 characters (e.g. "okta")', { field: 'name' });
    const secret = randomBytes(32).toString('base64url');
    return this.database.transaction(async (tx) => {
      const token = await this.tokens.insert(tx, trimmed, digest(secret));
      await this.audit.append(tx, actor, [
        { type: AuditEventType.ScimTokenCreated, subject: { type: 'scim_token', id: token.id }, data: { name: trimmed } },
      ]);
      return { token, secret: `${PREFIX}.${token.id}.${secret}` };
    });
  }

  list(): Promise<ScimTokenView[]> {
    return this.tokens.list();
  }

  async revoke(actor: Actor, reference: string): Promise<ScimTokenView> {
    return this.database.transaction(async (tx) => {
      const token = await this.tokens.revoke(tx, reference);
      if (!token)
        throw new DomainError('not_found', `no SCIM token ${JSON.stringify(reference)} (give its id, or a name only one token has)`);
      await this.audit.append(tx, actor, [
        { type: AuditEventType.ScimTokenRevoked, subject: { type: 'scim_token', id: token.id }, data: { name: token.name } },
      ]);
      return token;
    });
  }

  /** The directory acting with this Authorization header, or `unauthenticated` (audited, with the caller's address). */
  async authenticate(authorization: string | undefined, remoteAddress: string): Promise<Actor> {
    const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const parts = presented === undefined ? null : TOKEN.exec(presented);
    const stored = parts ? await this.tokens.findForCheck(parts[1]) : null;
    // Compared even when no row matched, against a hash of nothing, so a wrong id costs the same as a wrong secret.
    const matches = timingSafeEqual(digest(parts?.[2] ?? ''), stored?.secretHash ?? digest('\0'));
    const reason = !presented
      ? 'no bearer token'
      : !parts
        ? 'not a SCIM token'
        : !stored || !matches
          ? 'unknown token or wrong secret'
          : stored.revokedAt
            ? 'revoked token'
            : null;
    if (reason === null) {
      await this.tokens.touch(parts![1]);
      return { type: 'directory', id: parts![1] };
    }
    try {
      await this.audit.record({ type: 'system' }, [
        {
          type: AuditEventType.ScimRequestRefused,
          ...(parts && stored ? { subject: { type: 'scim_token', id: parts[1] } } : {}),
          data: { reason, remote_address: remoteAddress },
        },
      ]);
    } catch (error) {
      this.logger.error(`could not audit a refused SCIM request: ${(error as Error).message}`);
    }
    throw new DomainError('unauthenticated', `SCIM requests need a valid directory bearer token (${reason})`);
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
