import { MAX_EXPIRES_IN_SECONDS } from '@countersign/domain';
import { GatewayConfigError, parseGatewayConfig } from './gateway-config';
import { RefusedCall, toolAction } from './tool-action';

const VALID = `countersign:
  url: http://127.0.0.1:3000
  client_id: agt_1
  client_secret_env: GATEWAY_SECRET
on_behalf_of: alice@example.com
upstreams:
  - name: shop
    url: http://127.0.0.1:4100/mcp
    audience: https://shop.internal
tools:
  - tool: refund*
    type: shop.refund
    resource: "order:{order_id}"
`;
const ENV = { GATEWAY_SECRET: 's3cret' };

function problemsOf(text: string, env: Record<string, string> = ENV): string[] {
  try {
    parseGatewayConfig(text, 'mapping.yaml', env);
  } catch (error) {
    if (error instanceof GatewayConfigError) return error.lines;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('the gateway mapping file', () => {
  it('reads a valid file, with the secret from the named environment variable', () => {
    const config = parseGatewayConfig(VALID, 'mapping.yaml', ENV);
    expect(config.countersign).toEqual({
      url: 'http://127.0.0.1:3000',
      clientId: 'agt_1',
      clientSecret: 's3cret',
      approvalPageUrl: 'http://127.0.0.1:3000',
    });
    expect(config.tools[0].matches('refund_order')).toBe(true);
    expect(config.tools[0].matches('lookup')).toBe(false);
  });

  it('names the line of each problem', () => {
    expect(
      problemsOf(VALID.replace('type: shop.refund', 'type: "shop refund"').replace('url: http://127.0.0.1:4100/mcp', 'url: not-a-url')),
    ).toEqual([
      expect.stringMatching(/^line 8:10 upstreams\[0\]\.url: /),
      'line 12:11 tools[0].type: must be a dotted action type such as "payments.refund"',
    ]);
    expect(problemsOf(VALID + 'hide_unmaped: true\n')).toEqual(['line 14:1 hide_unmaped: unknown key "hide_unmaped"']);
    expect(problemsOf('countersign: [\n')[0]).toMatch(/^line \d+:\d+ /);
  });

  it('accepts an expires_in up to the bound agents have, and refuses one beyond it', () => {
    const withExpiry = (seconds: number) =>
      VALID.replace('    resource: "order:{order_id}"\n', `    resource: "order:{order_id}"\n    expires_in: ${seconds}\n`);
    expect(parseGatewayConfig(withExpiry(MAX_EXPIRES_IN_SECONDS), 'mapping.yaml', ENV).tools[0].expires_in).toBe(MAX_EXPIRES_IN_SECONDS);
    expect(problemsOf(withExpiry(MAX_EXPIRES_IN_SECONDS + 1))).toEqual([expect.stringMatching(/^line 14:17 tools\[0\]\.expires_in: /)]);
  });

  it('takes the person from the file or from the client’s token, not both and not neither', () => {
    const oauth = VALID.replace(
      'on_behalf_of: alice@example.com',
      'authorization: { issuer: "https://id.example", jwks_uri: "https://id.example/jwks", audience: gw }',
    );
    expect(parseGatewayConfig(oauth, 'mapping.yaml', ENV).authorization).toEqual({
      issuer: 'https://id.example',
      jwksUri: 'https://id.example/jwks',
      audience: 'gw',
      personClaim: 'email',
    });
    const problem = 'line 1:1 give exactly one of "on_behalf_of" (one person) and "authorization" (the person from each client)';
    expect(problemsOf(VALID.replace('on_behalf_of: alice@example.com\n', ''))).toEqual([problem]);
    expect(problemsOf(oauth + 'on_behalf_of: alice@example.com\n')).toEqual([problem]);
  });

  it('refuses an unset secret variable and two upstreams of one name', () => {
    expect(problemsOf(VALID, {})).toEqual(['line 4:22 countersign.client_secret_env: the environment variable GATEWAY_SECRET is not set']);
    const twice = VALID.replace('tools:', '  - name: shop\n    command: node\ntools:');
    expect(problemsOf(twice)).toEqual(['line 10:11 upstreams[1].name: a second upstream named "shop"']);
  });
});

describe('the action of a tool call', () => {
  const config = parseGatewayConfig(VALID, 'mapping.yaml', ENV);
  const shop = { name: 'shop', audience: 'https://shop.internal' };

  it('maps a tool by its rule, with every argument as the action args', () => {
    const args = { order_id: '7', amount: 12.5 };
    expect(toolAction(config, shop, 'refund', args)).toEqual({
      type: 'shop.refund',
      resource: 'order:7',
      args,
      audience: 'https://shop.internal',
      expiresIn: undefined,
      mapped: true,
    });
  });

  it('sends a tool no rule names as an unknown action type', () => {
    expect(toolAction(config, shop, 'delete/order', { id: 1 })).toMatchObject({
      type: 'mcp.unmapped.shop.delete_order',
      resource: 'mcp:shop/delete/order',
      mapped: false,
    });
  });

  it('refuses oversized, non-finite, out-of-range and unresolvable calls', () => {
    expect(() => toolAction(config, shop, 'refund', { order_id: '7', note: 'x'.repeat(40_000) })).toThrow(RefusedCall);
    expect(() => toolAction(config, shop, 'refund', { order_id: '7', amount: Infinity })).toThrow(/outside what JSON can carry/);
    expect(() => toolAction(config, shop, 'refund', { order_id: '7', amount: 2 ** 60 })).toThrow(/not I-JSON/);
    expect(() => toolAction(config, shop, 'refund', { order_id: '\uD800' })).toThrow(/not I-JSON/);
    expect(() => toolAction(config, shop, 'refund', { amount: 1 })).toThrow(/argument it names is missing/);
  });
});
