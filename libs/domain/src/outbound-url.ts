import { DomainError } from './errors';
import { isInternalHost } from './network-address';

/**
 * An address Countersign will POST to (an agent's callback, a CIBA client's ping endpoint): http(s), no
 * credentials and, unless private addresses are allowed (development), not obviously private. The host is compared
 * normalised (`localhost.`, `[::ffff:7f00:1]`); the address it resolves to is checked when the worker connects
 * (`outboundAgents`). `name` is the parameter as the caller knows it, `field` where the refusal points.
 */
export function validateOutboundUrl(value: string, allowPrivate: boolean, name: string, field: string): URL {
  const refuse = (problem: string) => new DomainError('invalid_callback_url', `${name} ${problem}`, { field });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must use http or https');
  if (url.username || url.password) throw refuse('must not carry credentials');
  if (!allowPrivate && isInternalHost(url.hostname)) throw refuse('points at a loopback or private address');
  return url;
}
