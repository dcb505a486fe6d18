import { randomBytes } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export type EnvelopeType = 'interactive' | 'slash_commands' | 'events_api';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

export interface EnvelopeAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/**
 * Slack's Socket Mode on 127.0.0.1, speaking its wire protocol over `ws`: `apps.connections.open` (answered by the
 * fake Web API with the app-level token) hands out a `ws://` URL with a one-time ticket; a connection gets `hello`,
 * then envelopes, which the app must acknowledge with `{envelope_id, payload?}`. An envelope not acknowledged when its
 * connection goes is sent again, with the same id and a higher `retry_attempt`, on the next connection (as Slack
 * does). `disconnect()` asks the app to reconnect (`refresh_requested`); `drop()` cuts the TCP connection.
 */
export class FakeSlackSocketMode {
  readonly appToken = 'xapp-1-' + randomBytes(8).toString('hex');
  readonly acks: EnvelopeAck[] = [];
  /** Every envelope sent, re-sends included, in order. */
  readonly sent: Envelope[] = [];
  /** Connections made (each after its own `apps.connections.open`). */
  connections = 0;
  private server!: WebSocketServer;
  private port = 0;
  private readonly tickets = new Set<string>();
  private current: WebSocket | null = null;
  private readonly unacknowledged = new Map<string, Envelope>();
  private readonly waiting = new Map<string, (ack: EnvelopeAck) => void>();
  private connectedListeners: Array<() => void> = [];

  async start(): Promise<this> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.server.once('listening', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.server.on('connection', (socket, request) => {
      const ticket = new URL(request.url ?? '/', 'ws://127.0.0.1').searchParams.get('ticket') ?? '';
      // A ticket is good for one connection, as Slack's are.
      if (!this.tickets.delete(ticket)) return socket.close(4001, 'invalid ticket');
      this.connections += 1;
      this.current = socket;
      socket.on('message', (data: Buffer) => this.received(data.toString('utf8')));
      socket.on('close', () => {
        if (this.current === socket) this.current = null;
      });
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0FAKE' } }));
      // What the last connection left unacknowledged comes again.
      for (const envelope of this.unacknowledged.values())
        this.write({ ...envelope, retry_attempt: envelope.retry_attempt + 1, retry_reason: 'timeout' });
      for (const listener of this.connectedListeners.splice(0)) listener();
    });
    return this;
  }

  /** The URL `apps.connections.open` answers: a fresh ticket each time. */
  connectionUrl(): string {
    const ticket = randomBytes(8).toString('hex');
    this.tickets.add(ticket);
    return `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}`;
  }

  get connected(): boolean {
    return this.current !== null;
  }

  /** Resolves once the app is connected (now, or after its next connection when `fresh`). */
  whenConnected(fresh = false, timeoutMs = 20_000): Promise<void> {
    if (this.current && !fresh) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the app did not connect over Socket Mode within ${timeoutMs} ms`)), timeoutMs);
      this.connectedListeners.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends an envelope to the connected app; resolves with its acknowledgement. */
  send(type: EnvelopeType, payload: Record<string, unknown>): { envelope: Envelope; acked: Promise<EnvelopeAck> } {
    const envelope: Envelope = {
      envelope_id: randomBytes(12).toString('hex'),
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      retry_attempt: 0,
      retry_reason: '',
    };
    this.unacknowledged.set(envelope.envelope_id, envelope);
    const acked = this.acknowledgement(envelope.envelope_id);
    this.write(envelope);
    return { envelope, acked };
  }

  /** The same envelope again, as Slack re-sends one (or as a replaying attacker on the socket would). */
  resend(envelope: Envelope): Promise<EnvelopeAck> {
    const acked = this.acknowledgement(envelope.envelope_id);
    this.write({ ...envelope, retry_attempt: envelope.retry_attempt + 1, retry_reason: 'timeout' });
    return acked;
  }

  /** Slack asks the app to reconnect (it must open a new connection through `apps.connections.open`). */
  disconnect(reason = 'refresh_requested'): void {
    this.current?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake' } }));
  }

  /** The TCP connection dies without a close frame. */
  drop(): void {
    this.current?.terminate();
    this.current = null;
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private acknowledgement(envelopeId: string): Promise<EnvelopeAck> {
    return new Promise((resolve) => this.waiting.set(envelopeId, resolve));
  }

  private write(envelope: Envelope): void {
    this.sent.push(envelope);
    this.current?.send(JSON.stringify(envelope));
  }

  private received(text: string): void {
    const ack = JSON.parse(text) as EnvelopeAck;
    if (typeof ack.envelope_id !== 'string') return;
    this.acks.push(ack);
    this.unacknowledged.delete(ack.envelope_id);
    const waiter = this.waiting.get(ack.envelope_id);
    this.waiting.delete(ack.envelope_id);
    waiter?.(ack);
  }
}
