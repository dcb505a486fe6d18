import { scimRefusalSource } from './scim-refusals';

describe('scimRefusalSource: what a refused SCIM request counts against', () => {
  it('counts an IPv4 address as itself, also when it arrives IPv4-mapped', () => {
    expect(scimRefusalSource('203.0.113.7')).toBe('203.0.113.7');
    expect(scimRefusalSource('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(scimRefusalSource('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(scimRefusalSource('127.0.0.1')).not.toBe(scimRefusalSource('127.0.0.2'));
  });

  it('counts an IPv6 address against its /64, however it is written (so one host cannot rotate through its own prefix)', () => {
    const source = scimRefusalSource('2001:db8:1:2::1');
    expect(source).toBe('2001:db8:1:2::/64');
    for (const address of ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:DB8:1:2:0:0:0:9', '2001:db8:1:2::a%eth0'])
      expect(scimRefusalSource(address)).toBe(source);
    expect(scimRefusalSource('2001:db8:1:3::1')).not.toBe(source);
    expect(scimRefusalSource('::1')).toBe('0:0:0:0::/64');
    expect(scimRefusalSource('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
  });

  it('keeps anything else as it is (a proxy that passes something odd still gets one bucket per value)', () => {
    expect(scimRefusalSource('unknown')).toBe('unknown');
    expect(scimRefusalSource('')).toBe('');
  });
});
