import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@countersign/queue';

const channel = (approvalId: string) => `approval:${approvalId}`;

/** Status changes fan out over Redis pub/sub, so a long-poll on any API instance wakes up. */
@Injectable()
export class ApprovalEvents {
  private readonly logger = new Logger(ApprovalEvents.name);

  constructor(private readonly redis: RedisService) {}

  async statusChanged(approvalId: string, status: string): Promise<void> {
    try {
      await this.redis.publish(channel(approvalId), status);
    } catch (error) {
      // Waiters also re-read Postgres when their wait ends; a lost wake-up delays an answer, it never changes one.
      this.logger.warn(`could not publish the status of ${approvalId}: ${(error as Error).message}`);
    }
  }

  /**
   * Resolves on the first change notice, after `timeoutMs`, or when `signal` aborts. The deadline holds even when
   * Redis cannot subscribe (the caller then simply re-reads Postgres at the deadline), and the subscription is
   * always released, also when it completes after we stopped waiting.
   */
  async waitForChange(
    approvalId: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    ready: () => Promise<boolean>,
  ): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(() => wake(), timeoutMs);
    const onAbort = () => wake();
    signal?.addEventListener('abort', onAbort);
    // Aborted before we got here (the caller went away during its reads): no event will come, so do not wait.
    if (signal?.aborted) wake();
    let finished = false;
    let unsubscribe: (() => void) | undefined;
    const subscribed = this.redis
      .subscribe(channel(approvalId), () => wake())
      .then(
        (release) => (finished ? release() : (unsubscribe = release)),
        (error: Error) => this.logger.warn(`long-poll without wake-ups for ${approvalId}: ${error.message}`),
      );
    try {
      await Promise.race([subscribed, woken]);
      // Subscribed first, then checked: a change between the caller's read and the subscription is not missed.
      if (await ready()) return;
      await woken;
    } finally {
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unsubscribe?.();
    }
  }
}
