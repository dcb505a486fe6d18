import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type CountersignConfig } from '@countersign/config';
import { type NewSession } from '@countersign/people';

// One cookie whose value is base64url (no characters that need quoting or escaping), so it is read and written
// here in a few lines rather than with a cookie library (@fastify/cookie loads `cookie` with a dynamic import
// that our CommonJS test runner cannot follow).

/** The session cookie; `__Host-` (Secure, no Domain, Path=/) whenever Countersign is served over https. */
export function sessionCookieName(config: CountersignConfig): string {
  return config.publicUrl.startsWith('https:') ? '__Host-countersign_session' : 'countersign_session';
}

/** The cookie's value from the Cookie header (RFC 6265 §4.2.1: `name=value` pairs separated by "; "). */
export function readSessionCookie(request: FastifyRequest, config: CountersignConfig): string | null {
  const name = sessionCookieName(config);
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return null;
}

/** httpOnly, SameSite=Strict, Secure over https; the browser forgets it when the session's lifetime ends. */
export function setSessionCookie(reply: FastifyReply, config: CountersignConfig, session: NewSession): void {
  void reply.header('set-cookie', serialize(config, session.id, `Expires=${session.expiresAt.toUTCString()}`));
}

export function clearSessionCookie(reply: FastifyReply, config: CountersignConfig): void {
  void reply.header('set-cookie', serialize(config, '', 'Max-Age=0'));
}

function serialize(config: CountersignConfig, value: string, lifetime: string): string {
  const secure = config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${sessionCookieName(config)}=${value}; Path=/; ${lifetime}; HttpOnly; SameSite=Strict${secure}`;
}
