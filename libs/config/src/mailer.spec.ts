import { smtpError } from './mailer';

describe('smtpError: what retrying can fix', () => {
  it('a 5xx reply is permanent, at any stage', () => {
    for (const [code, command] of [
      [550, 'RCPT TO'],
      [554, 'DATA'],
      [535, 'AUTH PLAIN'],
    ] as const) {
      const error = smtpError(
        Object.assign(new Error('refused'), { code: 'EENVELOPE', responseCode: code, response: `${code} no`, command }),
      );
      expect({ code, permanent: error.permanent, responseCode: error.responseCode }).toEqual({ code, permanent: true, responseCode: code });
      expect(error.message).toContain(`at ${command}`);
    }
  });

  it('a 4xx reply, a refused or dropped connection and a timeout are transient', () => {
    expect(
      smtpError(Object.assign(new Error('later'), { code: 'EENVELOPE', responseCode: 451, response: '451 greylisted' })).permanent,
    ).toBe(false);
    for (const code of ['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', undefined]) {
      expect({ code, permanent: smtpError(Object.assign(new Error('down'), { code })).permanent }).toEqual({ code, permanent: false });
    }
  });

  it('a message nodemailer will never send as it is, is permanent without a reply', () => {
    expect(smtpError(Object.assign(new Error('bad config'), { code: 'ECONFIG' })).permanent).toBe(true);
  });
});
