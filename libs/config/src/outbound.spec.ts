import { type LookupAddress } from 'node:dns';
import { createServer, request, type Agent, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo } from 'node:net';
import { checkedLookup, outboundAgents, RefusedAddressError, refusedAddressOf } from './outbound';

/** GET through the agent; resolves with the status, rejects with the request's error. */
function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const outgoing = request(
      { hostname: target.hostname.replace(/^\[|\]$/g, ''), port: target.port, path: target.pathname, agent },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('outbound connections', () => {
  let server: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((_request, response) => response.end('ok'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => (connections = 0));

  it.each(['http://127.0.0.1:PORT/', 'http://localhost:PORT/', 'http://LOCALHOST:PORT/', 'http://[::ffff:127.0.0.1]:PORT/'])(
    'refuses %s before connecting',
    async (url) => {
      const agents = outboundAgents({ allowPrivate: false });
      const error = await get(url.replace('PORT', String(port)), agents.http).catch((caught: unknown) => caught);
      expect(refusedAddressOf(error)).toBeInstanceOf(RefusedAddressError);
      expect(connections).toBe(0);
      agents.http.destroy();
    },
  );

  it('refuses an address literal over https too (the agent web-push is given)', async () => {
    const agents = outboundAgents({ allowPrivate: false });
    const error = await new Promise((resolve) =>
      httpsRequest({ hostname: '127.0.0.1', port, path: '/', agent: agents.https }).on('error', resolve).end(),
    );
    expect(refusedAddressOf(error)).toBeInstanceOf(RefusedAddressError);
    expect(connections).toBe(0);
    agents.https.destroy();
  });

  it('connects to loopback when private addresses are allowed (development, tests)', async () => {
    const agents = outboundAgents({ allowPrivate: true });
    await expect(get(`http://localhost:${port}/`, agents.http)).resolves.toBe(200);
    expect(connections).toBe(1);
    agents.http.destroy();
  });

  describe('checkedLookup', () => {
    const resolving = (addresses: LookupAddress[]) => checkedLookup((_hostname, _options, callback) => callback(null, addresses));
    const run = (lookup: ReturnType<typeof checkedLookup>, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
        lookup('push.example', { all }, (error, address, family) => resolve({ error, address, family })),
      );

    it('refuses a name if any of its addresses is internal', async () => {
      const { error } = await run(
        resolving([
          { address: '142.250.74.42', family: 4 },
          { address: '169.254.169.254', family: 4 },
        ]),
        true,
      );
      expect(error).toBeInstanceOf(RefusedAddressError);
      expect(error?.message).toContain('169.254.169.254');
    });

    it('hands the socket the addresses it checked, resolving once', async () => {
      let calls = 0;
      const lookup = checkedLookup((_hostname, _options, callback) => {
        calls++;
        // A rebinding server: public the first time, loopback after.
        callback(null, [{ address: calls === 1 ? '142.250.74.42' : '127.0.0.1', family: 4 }]);
      });
      await expect(run(lookup, false)).resolves.toEqual({ error: null, address: '142.250.74.42', family: 4 });
      expect(calls).toBe(1);
      await expect(run(lookup, true)).resolves.toMatchObject({ error: expect.any(RefusedAddressError) });
    });

    it('answers with every address when asked for all', async () => {
      const addresses = [
        { address: '2001:4860:4860::8888', family: 6 },
        { address: '8.8.8.8', family: 4 },
      ];
      await expect(run(resolving(addresses), true)).resolves.toMatchObject({ error: null, address: addresses });
    });
  });
});
