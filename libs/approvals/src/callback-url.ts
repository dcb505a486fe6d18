import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { DomainError } from '@countersign/domain';

// Loopback, private, link-local, CGNAT, unique-local and unspecified ranges: a callback there is an SSRF probe.
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** At intake: the URL must be http(s) and, unless private callbacks are allowed (development), not obviously private. */
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
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) {
      throw new DomainError('invalid_callback_url', 'callback_url points at a loopback or private address', { field: '/callback_url' });
    }
  }
  return url;
}

/** At delivery: resolve the name and refuse if any address is private (a public name can point inside). */
export async function assertDeliverable(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  if (addresses.some((entry) => isPrivateAddress(entry.address))) {
    throw new DomainError('invalid_callback_url', `callback host ${host} resolves to a private address`);
  }
}
