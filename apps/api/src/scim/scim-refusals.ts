import { isIPv4, isIPv6 } from 'node:net';

/**
 * Refused SCIM requests (no, wrong or revoked bearer token) audited per source address and minute. Past that the
 * source is answered 429 without a token check and without an audit row each: a flood of bad tokens must not
 * flood the audit chain.
 */
export const SCIM_REFUSALS_PER_MINUTE = 10;

/**
 * The source a refusal counts against: an IPv4 address (also when it arrives IPv4-mapped, ::ffff:a.b.c.d), or an
 * IPv6 address's /64 (a host is usually given a whole /64, so counting single addresses would count nothing).
 */
export function scimRefusalSource(address: string): string {
  if (isIPv4(address)) return address;
  const withoutZone = address.split('%')[0];
  if (!isIPv6(withoutZone)) return address;
  const groups = ipv6Groups(withoutZone);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff)
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail turned into two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const written =
    tail === undefined
      ? split(head)
      : [...split(head), ...Array<string>(8 - split(head).length - split(tail).length).fill('0'), ...split(tail)];
  return written.map((group) => parseInt(group, 16));
}
