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

/** The session cookie's value from the Cookie header. */
export function readSessionCookie(request: FastifyRequest, config: CountersignConfig): string | null {
  return readCookie(request, sessionCookieName(config));
}

/** A cookie's value from the Cookie header (RFC 6265 §4.2.1: `name=value` pairs separated by "; "). */
function readCookie(request: FastifyRequest, name: string): string | null {
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

// Single sign-on: the cookie binding an authorization request to the browser that started it (docs/adr/0016). It
// is SameSite=Lax, not Strict, because the IdP's redirect back is a cross-site top-level navigation; it only names a
// request in flight (single use, ten minutes), never a session, and is scoped to the SSO routes.
const SSO_COOKIE_PATH = '/v1/auth/sso';

function ssoCookieName(config: CountersignConfig): string {
  return config.publicUrl.startsWith('https:') ? '__Secure-countersign_sso' : 'countersign_sso';
}

export function readSsoCookie(request: FastifyRequest, config: CountersignConfig): string | null {
  return readCookie(request, ssoCookieName(config));
}

export function setSsoCookie(reply: FastifyReply, config: CountersignConfig, value: string, maxAgeSeconds: number): void {
  const secure = config.publicUrl.startsWith('https:') ? '; Secure' : '';
  void reply.header(
    'set-cookie',
    `${ssoCookieName(config)}=${value}; Path=${SSO_COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`,
  );
}

export function clearSsoCookie(reply: FastifyReply, config: CountersignConfig): void {
  const secure = config.publicUrl.startsWith('https:') ? '; Secure' : '';
  void reply.header('set-cookie', `${ssoCookieName(config)}=; Path=${SSO_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${secure}`);
}
