/** The slice of a logger the embedded dependencies need; pino and Nest's logger adapters both fit. */
export interface EmbeddedLogger {
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
}

/** A dependency started (or found) for `countersign start`; `stop()` is safe to call more than once. */
export interface EmbeddedService {
  url: string;
  stop(): Promise<void>;
}
