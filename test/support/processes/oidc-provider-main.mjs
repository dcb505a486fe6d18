// A real OpenID provider for the test suites: panva's oidc-provider (ES modules only, so it runs in a process of
// its own, started by test/support/oidc-provider.ts). Its development interactions are the login and consent
// pages: any password is accepted and the login is the account's `sub`, which must be one of the fixture's
// accounts. Configured by OIDC_FIXTURE (JSON: port, clients, accounts); listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const fixture = JSON.parse(process.env.OIDC_FIXTURE);
const issuer = `http://127.0.0.1:${fixture.port}`;

const provider = new Provider(issuer, {
  clients: fixture.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The claims of the granted scopes go into the ID token too, as most organizations' providers do.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const account = fixture.accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['countersign-test-oidc-provider-cookie-key'] },
});

// Quiet: the development-only warnings would be noise in every suite's output.
provider.on('server_error', (_ctx, error) => process.stderr.write(`server_error: ${error.stack}\n`));

createServer(provider.callback()).listen(fixture.port, '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
