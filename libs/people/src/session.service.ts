import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { type SessionView } from '@countersign/contract';
import { type Tx } from '@countersign/database';
import { type PersonRecord } from './people.repository';
import { SessionRepository, type SessionRecord } from './session.repository';

/** last_seen_at is written at most this often per session: the idle timeout is exact to within this. */
const TOUCH_EVERY_MS = 60_000;

export interface NewSession {
  /** The cookie value: shown to the browser only; the database keeps its SHA-256. */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export type PersonSession = SessionRecord;

/** Server-side sessions behind an opaque cookie, with idle and absolute timeouts. */
@Injectable()
export class SessionService {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly sessions: SessionRepository,
  ) {}

  async create(tx: Tx | undefined, person: PersonRecord, userAgent: string | null): Promise<NewSession> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessionAbsoluteHours * 3_600_000);
    await this.sessions.insert(tx, {
      idHash: hashSessionId(id),
      personId: person.id,
      csrfToken,
      userAgent: userAgent?.slice(0, 300) ?? null,
      expiresAt,
    });
    return { id, csrfToken, expiresAt };
  }

  /** The live session behind a cookie value, or null (unknown, ended, idle too long, past its lifetime, person disabled). */
  async authenticate(id: string): Promise<PersonSession | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const session = await this.sessions.findLive(hashSessionId(id), this.config.sessionIdleMinutes);
    if (session && Date.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await this.sessions.touch(session.idHash);
    return session;
  }

  async end(session: PersonSession): Promise<void> {
    await this.sessions.end(session.idHash);
  }

  endAllFor(tx: Tx | undefined, personId: string): Promise<number> {
    return this.sessions.endAllFor(tx, personId);
  }

  async listOpen(person: PersonRecord, current: PersonSession): Promise<SessionView[]> {
    const open = await this.sessions.listOpen(person.id);
    // The hash is shown as the session's handle: it identifies a session without being able to open it.
    return open.map((session) => ({
      id: session.idHash.slice(0, 16),
      user_agent: session.userAgent,
      created_at: session.createdAt.toISOString(),
      last_seen_at: session.lastSeenAt.toISOString(),
      current: session.idHash === current.idHash,
    }));
  }
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
