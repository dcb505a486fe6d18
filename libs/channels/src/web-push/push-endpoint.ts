import { type CountersignConfig } from '@countersign/config';
import { isInternalHost, normaliseHost } from '@countersign/domain';

export type PushEndpointPolicy = Pick<CountersignConfig, 'pushServiceOrigins' | 'allowPrivatePushEndpoints'>;

/**
 * When a browser subscribes: why the endpoint is refused, or null. Unless private endpoints are allowed, a
 * loopback or private host is refused on its face; then the origin must be in PUSH_SERVICE_ORIGINS. A browser's
 * real subscription always points at its vendor's push service; anything else would make the worker a client
 * for whoever subscribed.
 */
export function pushEndpointRefusal(endpoint: URL, policy: PushEndpointPolicy): string | null {
  if (!policy.allowPrivatePushEndpoints && isInternalHost(endpoint.hostname)) return 'endpoint points at a loopback or private address';
  return pushOriginRefusal(endpoint, policy.pushServiceOrigins);
}

/**
 * Before each push: the origin must (still) be allowed. The address rule is applied by the agent to the address
 * actually connected to, so a name resolving inside is refused there, not guessed at here.
 */
export function pushOriginRefusal(endpoint: URL, origins: readonly string[]): string | null {
  if (endpoint.protocol !== 'https:') return 'endpoint must be an https URL';
  if (origins.some((pattern) => originMatches(pattern, endpoint))) return null;
  return `endpoint ${endpoint.origin} is not a known push service (PUSH_SERVICE_ORIGINS)`;
}

/** `https://host[:port]` matches that origin exactly; `https://*.host` its subdomains (not host itself); `*` any. */
function originMatches(pattern: string, endpoint: URL): boolean {
  if (pattern === '*') return true;
  const wildcard = pattern.startsWith('https://*.');
  const allowed = new URL(wildcard ? `https://${pattern.slice('https://*.'.length)}` : pattern);
  if (allowed.port !== endpoint.port) return false;
  const host = normaliseHost(endpoint.hostname);
  const allowedHost = normaliseHost(allowed.hostname);
  return wildcard ? host.endsWith(`.${allowedHost}`) : host === allowedHost;
}
