import { checkSlackSignature, signSlackRequest } from './slack-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

describe('Slack request signatures (v0)', () => {
  const now = 1_700_000_000;
  const ts = String(now);
  const signature = signSlackRequest(SECRET, BODY, ts);

  it("matches Slack's documented example", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(SECRET, body, '1531420618')).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('accepts a fresh, correctly signed body', () => {
    expect(checkSlackSignature(SECRET, BODY, ts, signature, now)).toBeNull();
    expect(checkSlackSignature(SECRET, BODY, ts, signature, now + 300)).toBeNull();
  });

  it('refuses a stale or future timestamp, in both directions', () => {
    expect(checkSlackSignature(SECRET, BODY, ts, signature, now + 301)).toBe('stale_timestamp');
    expect(checkSlackSignature(SECRET, BODY, ts, signature, now - 301)).toBe('stale_timestamp');
  });

  it('refuses a changed body, another secret, a truncated signature, missing headers', () => {
    expect(checkSlackSignature(SECRET, BODY + 'x', ts, signature, now)).toBe('bad_signature');
    expect(checkSlackSignature('another-secret-0123456789', BODY, ts, signature, now)).toBe('bad_signature');
    expect(checkSlackSignature(SECRET, BODY, ts, signature.slice(0, -1), now)).toBe('bad_signature');
    expect(checkSlackSignature(SECRET, BODY, undefined, signature, now)).toBe('missing_headers');
    expect(checkSlackSignature(SECRET, BODY, '12a', signature, now)).toBe('missing_headers');
  });
});
