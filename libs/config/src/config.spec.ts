import { ConfigError, loadConfig } from './config';

const valid = {
  DATABASE_URL: 'postgres://localhost/countersign',
  REDIS_URL: 'redis://127.0.0.1:6379',
  COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'x'.repeat(32),
};

describe('loadConfig', () => {
  it('Slack is off without a bot token, and needs its signing secret and app id with one', () => {
    expect(loadConfig(valid).slack).toBeNull();
    expect(() => loadConfig({ ...valid, SLACK_BOT_TOKEN: 'xoxb-123-abc' })).toThrow(/SLACK_SIGNING_SECRET[\s\S]*SLACK_APP_ID/);
    const config = loadConfig({
      ...valid,
      SLACK_BOT_TOKEN: 'xoxb-123-abc',
      SLACK_SIGNING_SECRET: 's'.repeat(32),
      SLACK_APP_ID: 'A0123',
      SLACK_API_URL: 'http://127.0.0.1:9/api',
    });
    expect(config.slack).toEqual({
      botToken: 'xoxb-123-abc',
      signingSecret: 's'.repeat(32),
      appId: 'A0123',
      apiUrl: 'http://127.0.0.1:9/api/',
      appToken: null,
      command: '/countersign',
    });
    expect(loadConfig(valid).slack).toBeNull();
  });

  it('Slack over Socket Mode with an app-level token; the slash command is configurable and checked', () => {
    const slack = { ...valid, SLACK_BOT_TOKEN: 'xoxb-123-abc', SLACK_SIGNING_SECRET: 's'.repeat(32), SLACK_APP_ID: 'A0123' };
    expect(loadConfig({ ...slack, SLACK_APP_TOKEN: 'xapp-1-A0123-456-abc', SLACK_COMMAND: '/approve-it' }).slack).toMatchObject({
      appToken: 'xapp-1-A0123-456-abc',
      command: '/approve-it',
    });
    expect(() => loadConfig({ ...slack, SLACK_APP_TOKEN: 'xoxb-123-abc' })).toThrow(/SLACK_APP_TOKEN: must be a Slack app-level token/);
    for (const command of ['countersign', '/Countersign', '/with space', '/'])
      expect(() => loadConfig({ ...slack, SLACK_COMMAND: command })).toThrow(/SLACK_COMMAND: must be a slash command/);
  });

  it('VAPID keys come in pairs; the subject defaults to a mailto: for http deployments', () => {
    expect(() => loadConfig({ ...valid, VAPID_PUBLIC_KEY: 'B'.repeat(87) })).toThrow(/set both or neither/);
    expect(loadConfig(valid).vapidSubject).toMatch(/^mailto:/);
    expect(loadConfig({ ...valid, PUBLIC_URL: 'https://cs.example.com' }).vapidSubject).toBe('https://cs.example.com');
  });

  it("push service origins: the browsers' push services by default, a configured list, or a refusal of a bad entry", () => {
    expect(loadConfig(valid).pushServiceOrigins).toEqual([
      'https://fcm.googleapis.com',
      'https://updates.push.services.mozilla.com',
      'https://*.push.apple.com',
      'https://*.notify.windows.com',
    ]);
    expect(loadConfig(valid).allowPrivatePushEndpoints).toBe(false);
    expect(
      loadConfig({ ...valid, PUSH_SERVICE_ORIGINS: ' https://Push.Example.com/ , https://127.0.0.1:8443' }).pushServiceOrigins,
    ).toEqual(['https://push.example.com', 'https://127.0.0.1:8443']);
    expect(loadConfig({ ...valid, PUSH_SERVICE_ORIGINS: '*' }).pushServiceOrigins).toEqual(['*']);
    for (const bad of ['http://push.example.com', 'push.example.com', 'https://push.example.com/path', ',']) {
      expect(() => loadConfig({ ...valid, PUSH_SERVICE_ORIGINS: bad })).toThrow(/PUSH_SERVICE_ORIGINS/);
    }
  });

  it('Teams is off without TEAMS_APP_ID; with one it needs the password and tenant, defaults to the public cloud, and takes only https (or loopback) endpoints', () => {
    expect(loadConfig(valid).teams).toBeNull();
    const appId = '6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e';
    const tenant = '0b1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e';
    expect(() => loadConfig({ ...valid, TEAMS_APP_ID: appId })).toThrow(/TEAMS_APP_PASSWORD, TEAMS_TENANT_ID: required/);
    expect(loadConfig({ ...valid, TEAMS_APP_ID: appId, TEAMS_APP_PASSWORD: 'pw', TEAMS_TENANT_ID: tenant }).teams).toEqual({
      appId,
      appPassword: 'pw',
      tenantId: tenant,
      openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
      tokenIssuer: 'https://api.botframework.com',
      loginUrl: `https://login.microsoftonline.com/${tenant}`,
      oauthScope: 'https://api.botframework.com',
      serviceUrls: ['https://smba.trafficmanager.net/'],
    });
    const teams = { ...valid, TEAMS_APP_ID: appId, TEAMS_APP_PASSWORD: 'pw', TEAMS_TENANT_ID: tenant };
    expect(
      loadConfig({ ...teams, TEAMS_SERVICE_URLS: 'https://smba.trafficmanager.net/amer, http://127.0.0.1:9/teams/' }).teams?.serviceUrls,
    ).toEqual(['https://smba.trafficmanager.net/amer/', 'http://127.0.0.1:9/teams/']);
    expect(() => loadConfig({ ...teams, TEAMS_SERVICE_URLS: 'http://smba.example.com/' })).toThrow(/TEAMS_SERVICE_URLS/);
    expect(() => loadConfig({ ...teams, TEAMS_LOGIN_URL: 'http://login.example.com/t' })).toThrow(/TEAMS_LOGIN_URL/);
    expect(() => loadConfig({ ...teams, TEAMS_OPENID_METADATA_URL: 'http://login.example.com/x' })).toThrow(/TEAMS_OPENID_METADATA_URL/);
    expect(() => loadConfig({ ...teams, TEAMS_TENANT_ID: 'common' })).toThrow(/TEAMS_TENANT_ID/);
  });

  it('email is off without SMTP_URL; with one it needs SMTP_FROM, and only smtp:// or smtps:// URLs with a host', () => {
    expect(loadConfig(valid).smtp).toBeNull();
    expect(() => loadConfig({ ...valid, SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/SMTP_FROM: required/);
    expect(loadConfig({ ...valid, SMTP_URL: 'smtps://u:p@mail.example.com', SMTP_FROM: 'Countersign <cs@example.com>' }).smtp).toEqual({
      url: 'smtps://u:p@mail.example.com',
      from: 'Countersign <cs@example.com>',
    });
    expect(loadConfig({ ...valid, SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_FROM: 'cs@example.com' }).smtp?.from).toBe('cs@example.com');
    for (const bad of ['http://mail.example.com', 'smtp://', 'mail.example.com', 'direct://x']) {
      expect(() => loadConfig({ ...valid, SMTP_URL: bad, SMTP_FROM: 'cs@example.com' })).toThrow(/SMTP_URL/);
    }
    for (const bad of ['not an address', 'a@b.c\r\nBcc: eve@example.com', 'Name <nope>']) {
      expect(() => loadConfig({ ...valid, SMTP_URL: 'smtp://127.0.0.1', SMTP_FROM: bad })).toThrow(/SMTP_FROM/);
    }
  });

  it("never echoes the SMTP URL's credentials in a refusal", () => {
    let error: unknown;
    try {
      loadConfig({ ...valid, SMTP_URL: 'ftp://user:hunter2secret@mail.example.com' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('SMTP_URL');
    expect((error as ConfigError).message).not.toContain('hunter2secret');
  });

  it('applies defaults and derives the public URL from the port', () => {
    const config = loadConfig({ ...valid, PORT: '4100' });
    expect(config.publicUrl).toBe('http://localhost:4100');
    expect(config.allowPrivateCallbackUrls).toBe(false);
  });

  it('lists every bad variable at once and never echoes a secret', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'nope', COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'short-secret-value', PORT: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL/);
    expect(problems).toMatch(/REDIS_URL/);
    expect(problems).toMatch(/COUNTERSIGN_KEY_ENCRYPTION_SECRET: must be at least 32/);
    expect(problems).toMatch(/PORT/);
    expect((error as Error).message).not.toContain('short-secret-value');
  });

  it("SCIM's provisioned people are members unless SCIM_DEFAULT_ROLE names another role", () => {
    expect(loadConfig(valid).scimDefaultRole).toBe('member');
    expect(loadConfig({ ...valid, SCIM_DEFAULT_ROLE: 'approver' }).scimDefaultRole).toBe('approver');
    expect(() => loadConfig({ ...valid, SCIM_DEFAULT_ROLE: 'owner' })).toThrow(/SCIM_DEFAULT_ROLE/);
  });

  it('strips a trailing slash from PUBLIC_URL so token issuers compare exactly', () => {
    expect(loadConfig({ ...valid, PUBLIC_URL: 'https://approve.example.com/' }).publicUrl).toBe('https://approve.example.com');
  });

  it('treats an empty variable as unset, as docker compose passes `${VAR}` of an unset VAR', () => {
    const empty = [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'SLACK_APP_ID',
      'SLACK_APP_TOKEN',
      'SLACK_COMMAND',
      'VAPID_PUBLIC_KEY',
      'VAPID_PRIVATE_KEY',
      'VAPID_SUBJECT',
      'COUNTERSIGN_ADMIN_TOKEN',
      'COUNTERSIGN_BOOTSTRAP_EMAIL',
      'LOG_LEVEL',
      'PUBLIC_URL',
      'PORT',
      'WORKER_HEARTBEAT_FILE',
    ];
    const config = loadConfig({ ...valid, ...Object.fromEntries(empty.map((name) => [name, ''])) });
    expect(config).toMatchObject({
      slack: null,
      vapidKeys: null,
      vapidSubject: 'mailto:countersign@localhost',
      adminToken: null,
      bootstrapEmail: null,
      logLevel: 'info',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      workerHeartbeatFile: null,
    });
    // A required variable set empty is still missing.
    expect(() => loadConfig({ ...valid, COUNTERSIGN_KEY_ENCRYPTION_SECRET: '' })).toThrow(/COUNTERSIGN_KEY_ENCRYPTION_SECRET/);
  });

  describe('single sign-on (OIDC_PROVIDERS, REQUIRE_SSO)', () => {
    const corp = {
      id: 'corp',
      name: 'Corp ID',
      issuer: 'https://login.example.com/tenant',
      client_id: 'countersign',
      client_secret: 'the-client-secret-value',
    };

    it('is off by default; a provider gets the defaults (no linking, email and profile scopes)', () => {
      expect(loadConfig(valid)).toMatchObject({ oidcProviders: [], requireSso: false });
      expect(loadConfig({ ...valid, OIDC_PROVIDERS: JSON.stringify([corp]), REQUIRE_SSO: 'true' })).toMatchObject({
        requireSso: true,
        oidcProviders: [
          {
            id: 'corp',
            name: 'Corp ID',
            issuer: 'https://login.example.com/tenant',
            clientId: 'countersign',
            clientSecret: 'the-client-secret-value',
            linkByVerifiedEmail: false,
            tokenEndpointAuthMethod: 'client_secret_basic',
            scopes: ['email', 'profile'],
          },
        ],
      });
      const linking = { ...corp, link_by_verified_email: true, scopes: ['openid', 'email'] };
      expect(loadConfig({ ...valid, OIDC_PROVIDERS: JSON.stringify([linking]) }).oidcProviders[0]).toMatchObject({
        linkByVerifiedEmail: true,
        scopes: ['email'],
      });
    });

    it('http issuers only on loopback (development and tests)', () => {
      for (const issuer of ['http://127.0.0.1:4000', 'http://localhost:4000/realm']) {
        expect(loadConfig({ ...valid, OIDC_PROVIDERS: JSON.stringify([{ ...corp, issuer }]) }).oidcProviders[0].issuer).toBe(issuer);
      }
      expect(() => loadConfig({ ...valid, OIDC_PROVIDERS: JSON.stringify([{ ...corp, issuer: 'http://login.example.com' }]) })).toThrow(
        /OIDC_PROVIDERS\[0\]\["issuer"\]: must be an https URL/,
      );
    });

    it('names each problem by index and field, never echoing the secret', () => {
      const cases: Array<[string, RegExp]> = [
        ['not json', /OIDC_PROVIDERS: must be a JSON array/],
        ['{}', /OIDC_PROVIDERS: must be a JSON array/],
        ['[]', /OIDC_PROVIDERS: must list at least one provider/],
        [JSON.stringify([{ ...corp, id: 'Corp!' }]), /OIDC_PROVIDERS\[0\]\["id"\]/],
        [JSON.stringify([{ ...corp, client_secret: undefined }]), /OIDC_PROVIDERS\[0\]\["client_secret"\]/],
        [JSON.stringify([{ ...corp, issuer: 'https://login.example.com/?x=1' }]), /OIDC_PROVIDERS\[0\]\["issuer"\]: must have no query/],
        [JSON.stringify([corp, { ...corp, link_by_verified_email: 'yes' }]), /OIDC_PROVIDERS\[1\]\["link_by_verified_email"\]/],
        [JSON.stringify([{ ...corp, clientSecret: 'typo' }]), /OIDC_PROVIDERS\[0\]: Unrecognized key/i],
        [JSON.stringify([corp, corp]), /the id "corp" is used twice/],
        [
          JSON.stringify([{ ...corp, token_endpoint_auth_method: 'private_key_jwt' }]),
          /OIDC_PROVIDERS\[0\]\["token_endpoint_auth_method"\]/,
        ],
      ];
      for (const [value, expected] of cases) {
        let error: unknown;
        try {
          loadConfig({ ...valid, OIDC_PROVIDERS: value });
        } catch (caught) {
          error = caught;
        }
        expect({ value, error: error instanceof ConfigError ? error.message : error }).toEqual({
          value,
          error: expect.stringMatching(expected),
        });
        expect((error as Error).message).not.toContain('the-client-secret-value');
      }
    });

    it('REQUIRE_SSO without a provider is refused: nobody could sign in', () => {
      expect(() => loadConfig({ ...valid, REQUIRE_SSO: 'true' })).toThrow(/REQUIRE_SSO: needs OIDC_PROVIDERS/);
    });
  });
});
