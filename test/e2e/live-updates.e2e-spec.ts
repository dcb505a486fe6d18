import { io, type Socket } from 'socket.io-client';
import { agentAccessToken, call, newAgent, type RunningApi, signedInPerson, startApi, testConfig } from '@countersign/testing';

jest.setTimeout(30_000);

type Event = { id: string; status: string; tier: string };

/** Resolves when the socket receives `event` for this approval id. */
function next(socket: Socket, event: string, id: string, timeoutMs = 10_000): Promise<Event> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} for ${id} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (payload: Event) => {
      if (payload.id !== id) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

function connect(url: string, options: { cookie?: string; origin?: string; token?: string }): Promise<Socket> {
  const socket = io(url, {
    path: '/v1/live',
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { ...(options.cookie ? { cookie: options.cookie } : {}), ...(options.origin ? { origin: options.origin } : {}) },
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

describe('live updates over socket.io, across API instances', () => {
  let a: RunningApi;
  let b: RunningApi;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // One deployment (same database and Redis prefix), two API instances.
    const config = testConfig();
    [a, b] = await Promise.all([startApi(config), startApi(config)]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('a person connected to instance A sees a new approval and the decision made on instance B; the agent sees its own approval change', async () => {
    const { person, browser } = await signedInPerson(b.app, b.url);
    const agent = await newAgent(b.app);
    // Each test instance has its own PUBLIC_URL (the token's issuer): the agent's token comes from the instance it connects to.
    const token = await agentAccessToken(a.url, agent.clientId, agent.clientSecret);
    const other = await newAgent(b.app);
    const otherToken = await agentAccessToken(a.url, other.clientId, other.clientSecret);

    const personSocket = await connect(a.url, { cookie: browser.cookie!, origin: a.config.publicUrl });
    const agentSocket = await connect(a.url, { token });
    const otherAgentSocket = await connect(a.url, { token: otherToken });
    sockets.push(personSocket, agentSocket, otherAgentSocket);
    const otherSaw: Event[] = [];
    otherAgentSocket.on('approval.updated', (event: Event) => otherSaw.push(event));

    const createdPromise = (async () => {
      const created = await call<{ id: string }>(`${a.url}/v1/approvals`, {
        token,
        body: {
          action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
          on_behalf_of: person.email,
          audience: 'https://chat.internal',
        },
      });
      return created.body.id;
    })();
    const id = await createdPromise;
    // The creation event may have arrived before we knew the id: ask for the next update instead.
    const personUpdate = next(personSocket, 'approval.updated', id);
    const agentUpdate = next(agentSocket, 'approval.updated', id);
    expect((await browser.decide(id, 'approve')).status).toBe(200);
    expect(await personUpdate).toMatchObject({ id, status: 'approved', tier: 'medium' });
    expect(await agentUpdate).toMatchObject({ id, status: 'approved' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(otherSaw.filter((event) => event.id === id)).toEqual([]);
  });

  it('approval.created reaches the approver on another instance', async () => {
    const { person, browser } = await signedInPerson(b.app, b.url);
    const agent = await newAgent(a.app);
    const token = await agentAccessToken(a.url, agent.clientId, agent.clientSecret);
    const socket = await connect(b.url, { cookie: browser.cookie!, origin: b.config.publicUrl });
    sockets.push(socket);
    const seen: Event[] = [];
    socket.on('approval.created', (event: Event) => seen.push(event));
    const created = await call<{ id: string }>(`${a.url}/v1/approvals`, {
      token,
      body: {
        action: { type: 'chat.message.send', resource: 'channel:ops', args: { text: 'hi' } },
        on_behalf_of: person.email,
        audience: 'https://chat.internal',
      },
    });
    const deadline = Date.now() + 5_000;
    while (!seen.some((event) => event.id === created.body.id) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.find((event) => event.id === created.body.id)).toMatchObject({ status: 'pending', tier: 'medium' });
  });

  it('refuses a handshake without credentials, with a bad token, or with a session cookie from another origin', async () => {
    const { browser } = await signedInPerson(a.app, a.url);
    await expect(connect(a.url, {})).rejects.toThrow('unauthenticated');
    await expect(connect(a.url, { token: 'not-a-token' })).rejects.toThrow('unauthenticated');
    await expect(connect(a.url, { cookie: browser.cookie!, origin: 'https://evil.example' })).rejects.toThrow('unauthenticated');
  });
});
