import { DomainError, isInternalHost } from '@countersign/domain';

/**
 * At intake: the URL must be http(s) and, unless private callbacks are allowed (development), not obviously
 * private. The host is compared normalised (`localhost.`, `[::ffff:7f00:1]`); the address it resolves to is
 * checked when the worker connects (`outboundAgents`).
 */
export function validateCallbackUrl(value: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DomainError('invalid_callback_url', 'callback_url is not an absolute URL', { field: '/callback_url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DomainError('invalid_callback_url', 'callback_url must use http or https', { field: '/callback_url' });
  }
  if (url.username || url.password) {
    throw new DomainError('invalid_callback_url', 'callback_url must not carry credentials', { field: '/callback_url' });
  }
  if (!allowPrivate && isInternalHost(url.hostname)) {
    throw new DomainError('invalid_callback_url', 'callback_url points at a loopback or private address', { field: '/callback_url' });
  }
  return url;
}
