import { Injectable } from '@nestjs/common';
import { RedisService } from './redis.service';

/**
 * The worker refreshes an agent's mark with every flood delivery that starts late, so the mark lapses this long
 * after they catch up.
 */
const MARK_HOLD_MS = 1_000;

/**
 * Backpressure on a flood (ADR 0010). The worker marks an agent whose flood deliveries start more than
 * FLOOD_BACKLOG_LIMIT_MS after they were enqueued; intake refuses that agent's new requests while the mark lasts.
 * Redis holds the mark, so every API instance sees what every worker saw.
 */
@Injectable()
export class FloodBacklog {
  constructor(private readonly redis: RedisService) {}

  /** The worker: this agent's flood deliveries are starting `lagMs` after they were enqueued. */
  async mark(agentId: string, lagMs: number): Promise<void> {
    await this.redis.client.set(this.redis.key('flood-backlog', agentId), String(Math.round(lagMs)), 'PX', MARK_HOLD_MS);
  }

  /** Intake: how far behind the agent's flood deliveries were last seen, while that was recent; null otherwise. */
  async behindMs(agentId: string): Promise<number | null> {
    const value = await this.redis.client.get(this.redis.key('flood-backlog', agentId));
    return value === null ? null : Number(value);
  }
}
