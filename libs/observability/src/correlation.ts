import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const storage = new AsyncLocalStorage<{ correlationId: string }>();

const VALID_INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's X-Request-Id only when it is short and plain, so logs cannot be injected into. */
export function correlationIdFrom(incoming: unknown): string {
  return typeof incoming === 'string' && VALID_INCOMING_ID.test(incoming) ? incoming : randomUUID();
}

export function runWithCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run({ correlationId }, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
