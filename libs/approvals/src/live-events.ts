import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import { type Redis } from 'ioredis';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { type Approver, approverEntriesFor, type GroupMembers, groupMembersNamed } from '@countersign/domain';
import { createRedis } from '@countersign/queue';
import { type ApprovalRecord } from './approval.repository';

export type LiveEventName = 'approval.created' | 'approval.updated';

/** The socket.io Redis adapter's channel prefix: the API's adapter and every emitter must agree on it. */
export function liveEventsKey(redisPrefix: string): string {
  return `${redisPrefix}:socket.io`;
}

/**
 * The rooms of people who may decide an approval listing these approver entries: a `group:` entry reaches the
 * members recorded for it (`groupMembers`) in their own rooms. Delegates are not sent live events (their inbox shows
 * delegated approvals when it next loads).
 */
export function approverRooms(onBehalfOfId: string, entries: readonly string[], groupMembers: GroupMembers = {}): string[] {
  return [
    ...new Set([
      ...entries
        .filter((entry) => !entry.startsWith('group:'))
        .map((entry) => (entry === 'on_behalf_of' ? `person:${onBehalfOfId}` : `entry:${entry}`)),
      ...groupMembersNamed(entries, groupMembers).map((id) => `person:${id}`),
    ]),
  ];
}

/** The rooms a signed-in person's sockets join: their own, and one per approver entry that names them. */
export function personRooms(person: Approver): string[] {
  return [`person:${person.id}`, ...approverEntriesFor(person).map((entry) => `entry:${entry}`)];
}

export function agentRoom(agentId: string): string {
  return `agent:${agentId}`;
}

/**
 * Live updates for sockets on every API instance: whoever changes an approval (an API instance or the worker)
 * emits through Redis to the socket.io adapter's channel. Events carry the id, status and tier only; the client
 * reads the rest through the API, which checks who may see it.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger(LiveEvents.name);
  private readonly redis: Redis;
  private readonly emitter: Emitter;

  constructor(@Inject(CONFIG) config: CountersignConfig) {
    // Its own connection, queueing while Redis is away: a lost live event delays a screen refresh, nothing else.
    this.redis = createRedis(config.redisUrl, 'bullmq');
    this.redis.on('error', (error: Error) => this.logger.warn(`live events redis: ${error.message}`));
    this.emitter = new Emitter(this.redis, { key: liveEventsKey(config.redisPrefix) });
  }

  /** To the approval's approvers (`entries`: who may decide) and to its agent. */
  emit(event: LiveEventName, approval: ApprovalRecord, entries: readonly string[]): void {
    const payload = { id: approval.id, status: approval.status, tier: approval.tier, updated_at: approval.updatedAt.toISOString() };
    try {
      const rooms = [agentRoom(approval.agentId), ...approverRooms(approval.onBehalfOfId, entries, approval.groupMembers)];
      this.emitter.to(rooms).emit(event, payload);
    } catch (error) {
      this.logger.warn(`could not emit ${event} for ${approval.id}: ${(error as Error).message}`);
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
