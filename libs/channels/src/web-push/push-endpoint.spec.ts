import { pushEndpointRefusal, pushOriginRefusal } from './push-endpoint';

const browsers = [
  'https://fcm.googleapis.com',
  'https://updates.push.services.mozilla.com',
  'https://*.push.apple.com',
  'https://*.notify.windows.com',
];
const strict = { pushServiceOrigins: browsers, allowPrivatePushEndpoints: false };

describe('push endpoints', () => {
  it.each([
    'https://fcm.googleapis.com/fcm/send/abc',
    'https://FCM.googleapis.com./wp/abc',
    'https://updates.push.services.mozilla.com/wpush/v2/abc',
    'https://web.push.apple.com/QGx',
    'https://wns2-by3p.notify.windows.com/w/?token=abc',
  ])("accepts the browsers' push service %s", (endpoint) => {
    expect(pushEndpointRefusal(new URL(endpoint), strict)).toBeNull();
  });

  it.each([
    'https://127.0.0.1:8443/push/x',
    'https://[::1]/push/x',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/push/x',
    'https://localhost./push/x',
    'https://push.localhost/x',
    'https://[::ffff:7f00:1]/x',
  ])('refuses the internal %s on its face', (endpoint) => {
    expect(pushEndpointRefusal(new URL(endpoint), { ...strict, pushServiceOrigins: ['*'] })).toMatch(/loopback or private/);
  });

  it.each([
    'https://push.example.net/send/x',
    'https://push.apple.com/x',
    'https://fcm.googleapis.com:8443/fcm/send/x',
    'https://fcm.googleapis.com.evil.example/x',
    'https://evilnotify.windows.com/x',
    'http://fcm.googleapis.com/fcm/send/x',
  ])('refuses %s, not a known push service', (endpoint) => {
    expect(pushOriginRefusal(new URL(endpoint), browsers)).not.toBeNull();
  });

  it('allows a local push service only when configured both ways (tests, development)', () => {
    const local = new URL('https://127.0.0.1:8443/push/x');
    expect(pushEndpointRefusal(local, { pushServiceOrigins: ['https://127.0.0.1:8443'], allowPrivatePushEndpoints: false })).toMatch(
      /private/,
    );
    expect(pushEndpointRefusal(local, { pushServiceOrigins: browsers, allowPrivatePushEndpoints: true })).toMatch(
      /not a known push service/,
    );
    expect(pushEndpointRefusal(local, { pushServiceOrigins: ['https://127.0.0.1:8443'], allowPrivatePushEndpoints: true })).toBeNull();
  });
});
