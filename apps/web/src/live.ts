import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';

export interface LiveEvent {
  event: 'approval.created' | 'approval.updated';
  id: string;
  status: string;
  tier: string;
}

/**
 * Countersign's live updates (`/v1/live`): the session cookie authenticates the socket at the handshake, and
 * events carry only an id, status and tier, so the page re-reads what it shows through the API.
 * `onConnect` runs at every (re)connection: events sent while the socket was not connected are gone, so the page
 * re-reads then too (an approval created between the page's first read and the socket's connection was missing
 * from the inbox until a reload). Returns whether the socket is connected.
 */
export function useLiveApprovals(onEvent: (event: LiveEvent) => void, onConnect?: () => void): boolean {
  const handler = useRef(onEvent);
  const connectHandler = useRef(onConnect);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    handler.current = onEvent;
    connectHandler.current = onConnect;
  });
  useEffect(() => {
    const socket = io({ path: '/v1/live', transports: ['websocket'], withCredentials: true });
    socket.on('connect', () => {
      setConnected(true);
      connectHandler.current?.();
    });
    socket.on('disconnect', () => setConnected(false));
    for (const event of ['approval.created', 'approval.updated'] as const) {
      socket.on(event, (payload: { id: string; status: string; tier: string }) => handler.current({ event, ...payload }));
    }
    return () => {
      socket.disconnect();
    };
  }, []);
  return connected;
}

/** The current time, re-read every `intervalMs` (for countdowns). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}
