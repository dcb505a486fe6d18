import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from './audit.service';

/** How often each process moves the outbox into the chain; the chain lock keeps concurrent chainers in line. */
export const AUDIT_CHAIN_INTERVAL_MS = 200;

/** Runs in every process that writes audit events, so events are chained within moments even with no worker. */
@Injectable()
export class AuditChainer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditChainer.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly audit: AuditService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.audit
        .chainIfFree()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`audit chaining failed, will retry: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, AUDIT_CHAIN_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    try {
      await this.audit.flush();
    } catch (error) {
      this.logger.warn(`audit outbox not flushed at shutdown (the next process will chain it): ${(error as Error).message}`);
    }
  }
}
