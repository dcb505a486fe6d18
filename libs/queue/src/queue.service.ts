import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type Redis } from 'ioredis';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { FAIRNESS_COST_MS, JOB_RETRY, type JobName, type JobPayloads, notificationPriority, QueueName, queuesOf, route } from './jobs';
import { createRedis } from './redis';

export interface EnqueueOptions {
  jobId: string;
  delayMs?: number;
  /** Lower runs first (BullMQ priority). */
  priority?: number;
}

/**
 * Start-time fair queueing for one agent: its job starts at max(its virtual finish, now), and its virtual finish
 * moves on by the cost. Returns how far ahead of now the start is (ms). The key expires a minute after the agent's
 * virtual time falls behind the clock (by then it would start at "now" anyway).
 */
const FAIR_START_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local finish = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(finish, now)
local nextFinish = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], nextFinish, 'PX', nextFinish - now + 60000)
return start - now
`;

/** The only way the API enqueues work. Payloads carry ids only; processors reload rows. */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(@Inject(CONFIG) private readonly config: CountersignConfig) {
    this.connection = createRedis(config.redisUrl, 'producer');
    this.connection.on('error', (error: Error) => this.logger.warn(`queue redis: ${error.message}`));
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: `${this.config.redisPrefix}:bull` });
      // Without a listener BullMQ prints every reconnection failure to the console; the connection logs it once.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions): Promise<void> {
    const retry = JOB_RETRY[name];
    const { queue, priority } = route(name, options.priority);
    await this.queue(queue).add(name, payload, {
      jobId: options.jobId,
      delay: options.delayMs,
      priority,
      attempts: retry.attempts,
      backoff: retry.backoffMs > 0 ? { type: 'exponential', delay: retry.backoffMs } : undefined,
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /**
   * `enqueue` unless a job with this id is still in any queue a job of this name can be in: a job id deduplicates
   * within one queue, and a delivery enqueued again (the sweep's redelivery) may be routed to the other delivery
   * queue than the first time (ADR 0010). Two jobs of one delivery could both send its message.
   */
  async enqueueOnce<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions): Promise<boolean> {
    for (const queueName of queuesOf(name)) {
      if (await this.queue(queueName).getJob(options.jobId)) return false;
    }
    await this.enqueue(name, payload, options);
    return true;
  }

  /**
   * The priority of the agent's next `jobs` notification jobs, charging them to the agent's virtual time: one
   * atomic script on Redis's clock, so every API and worker instance agrees (see `notificationPriority`).
   */
  async fairPriority(tier: string, agentId: string, jobs = 1): Promise<number> {
    const lead = (await this.connection.eval(
      FAIR_START_SCRIPT,
      1,
      `${this.config.redisPrefix}:fair:${agentId}`,
      FAIRNESS_COST_MS * jobs,
    )) as number;
    return notificationPriority(tier, lead);
  }

  async depth(): Promise<Array<{ queue: QueueName; state: string; count: number }>> {
    const rows: Array<{ queue: QueueName; state: string; count: number }> = [];
    for (const name of Object.values(QueueName)) {
      const counts = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: name, state, count });
    }
    return rows;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }
}
