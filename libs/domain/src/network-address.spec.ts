import { isInternalHost, isPrivateAddress, normaliseHost } from './network-address';

describe('network addresses', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '::7f00:1',
  ])('%s is internal', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '142.250.74.42', '2001:4860:4860::8888', '::ffff:8.8.8.8', 'example.com'])(
    '%s is not an internal address',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it.each([
    ['localhost.', 'localhost'],
    ['LocalHost..', 'localhost'],
    ['[::1]', '::1'],
    ['[::ffff:7f00:1]', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['Push.Example.COM.', 'push.example.com'],
  ])('normalises %s to %s', (hostname, expected) => {
    expect(normaliseHost(hostname)).toBe(expected);
  });

  it.each(['localhost', 'localhost.', 'api.localhost', 'API.LOCALHOST.', '[::1]', '[::ffff:7f00:1]', '10.0.0.1', '169.254.169.254'])(
    '%s is internal on its face',
    (host) => {
      expect(isInternalHost(host)).toBe(true);
    },
  );

  it.each(['fcm.googleapis.com', 'localhost.example.com', '8.8.8.8', '[2001:4860:4860::8888]'])(
    '%s is not internal on its face',
    (host) => {
      expect(isInternalHost(host)).toBe(false);
    },
  );
});
