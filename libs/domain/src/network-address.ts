import { BlockList, isIP } from 'node:net';

// Loopback, private, link-local (cloud metadata), CGNAT, unique-local, multicast, reserved and unspecified
// ranges: an address there is inside the deployment's network, never a callback receiver or a push service.
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
// ::/96 holds the unspecified and loopback addresses and the deprecated IPv4-compatible ones; IPv4-mapped
// addresses (::ffff:0:0/96) are checked by BlockList against the IPv4 ranges above.
for (const [network, prefix] of [
  ['::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/** True for an IP address (v4 or v6, no brackets) in a loopback, private, link-local or otherwise internal range. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A URL's hostname as the resolver sees it: without IPv6 brackets, lower case, without the trailing dot of a
 * fully qualified name (`localhost.` is `localhost`), and an IPv4-mapped IPv6 address as the IPv4 address.
 */
export function normaliseHost(hostname: string): string {
  const host = hostname
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.+$/, '');
  // A zone id (fe80::1%eth0) is no URL host; left as it is, it is still checked as an address.
  if (isIP(host) !== 6 || host.includes('%')) return host;
  // The URL parser writes every spelling of an IPv6 address the one canonical way (::ffff:7f00:1).
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(new URL(`http://[${host}]/`).hostname);
  if (!mapped) return host;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * Whether a host (as in a URL) is internal on its face: a `localhost` name (RFC 6761) or an internal address.
 * A public name can still resolve inside: connections check the resolved address too (`checkedLookup`).
 */
export function isInternalHost(hostname: string): boolean {
  const host = normaliseHost(hostname);
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host);
}
