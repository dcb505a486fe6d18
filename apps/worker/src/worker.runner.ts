import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { type Redis } from 'ioredis';
import { ApprovalLifecycleService, CallbacksService } from '@countersign/approvals';
import { NotificationService } from '@countersign/channels';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import {
  createRedis,
  FloodBacklog,
  floodLagMs,
  JOB_QUEUES,
  JOB_RETRY,
  JobName,
  parseJobPayload,
  PermanentJobError,
  QueueName,
  QueueService,
  RetryLaterError,
} from '@countersign/queue';
import { Heartbeat } from './heartbeat';
import { JobHandlers } from './job-handlers';

const SWEEP_SCHEDULER_ID = 'expiry-sweep';
/** How often the worker checks that Redis still holds its queue (one SET NX: nothing for Redis). */
const QUEUE_CHECK_MS = 1_000;

/** Only the worker registers processors. One BullMQ Worker per queue dispatches by job name. */
@Injectable()
export class WorkerRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerRunner.name);
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  /** Its own connection for the queue's marker: commands fail fast while Redis is away instead of piling up. */
  private watch: Redis | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private catchingUp: Promise<void> | null = null;
  private lostAgain = false;
  /** Null without WORKER_HEARTBEAT_FILE. */
  heartbeat: Heartbeat | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly handlers: JobHandlers,
    private readonly queue: QueueService,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly callbacks: CallbacksService,
    private readonly floodBacklog: FloodBacklog,
    private readonly notifications: NotificationService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    assertOneHandlerPerJob(Object.keys(this.handlers.byName));
    for (const queueName of Object.values(QueueName)) {
      const connection = createRedis(this.config.redisUrl, 'bullmq');
      connection.on('error', (error: Error) => this.logger.warn(`worker redis: ${error.message}`));
      this.connections.push(connection);
      const worker = new Worker(queueName, (job: Job, token?: string) => this.process(job, token), {
        connection,
        prefix: `${this.config.redisPrefix}:bull`,
        concurrency: concurrencyOf(queueName, this.config),
        // A worker that dies mid-job loses its lock after lockDuration; a live worker then runs the job again.
        lockDuration: this.config.workerLockDurationMs,
        stalledInterval: this.config.workerStalledIntervalMs,
      });
      worker.on('failed', (job, error) => void this.onFailed(job, error));
      worker.on('error', (error) => this.logger.error(`worker ${queueName}: ${error.message}`));
      this.workers.push(worker);
    }
    // Whatever Redis held may be gone (a restart without persistence, a failover, a flush): the marker first, so a
    // loss from now on is seen, then everything re-enqueued from Postgres.
    this.watch = createRedis(this.config.redisUrl, 'commands');
    this.watch.on('error', (error: Error) => this.logger.debug(`queue watch redis: ${error.message}`));
    // Like BullMQ's own connections, boot waits for Redis (events.once would give up at the first connection error).
    if (this.watch.status !== 'ready') await new Promise((resolve) => this.watch!.once('ready', resolve));
    await this.mark();
    const counts = await this.catchUp();
    this.logger.log(
      `worker started; at boot ${counts.expired} overdue approval(s) expired, ${counts.callbacks} lost callback(s) and ${counts.notifications} notification job(s) re-enqueued`,
    );
    // A reconnect is when a restarted Redis is most likely empty: look at once rather than at the next tick.
    this.watch.on('ready', () => void this.checkQueue());
    this.watchTimer = setInterval(() => void this.checkQueue(), QUEUE_CHECK_MS);
    this.watchTimer.unref();
    if (this.config.workerHeartbeatFile) {
      // Working: every queue's worker runs and every Redis connection is up (BullMQ reconnects on its own).
      const working = () =>
        this.workers.every((worker) => worker.isRunning()) && this.connections.every((connection) => connection.status === 'ready');
      this.heartbeat = new Heartbeat(this.config.workerHeartbeatFile, working, (error) =>
        this.logger.warn(`could not write the heartbeat file: ${error.message}`),
      );
      this.heartbeat.start();
    }
  }

  /**
   * The queue's marker: a key among BullMQ's own (under its prefix), written at start and whenever it is found
   * missing. Whatever empties the queue takes it too: a Redis restarted without persistence, a failover to a
   * replica that never had it, FLUSHDB/FLUSHALL, someone deleting the prefix's keys. `SET NX` both looks and puts
   * it back in one command, and across several workers only the one whose SET wins runs the catch-up.
   */
  private markerKey(): string {
    return `${this.config.redisPrefix}:bull:countersign-queue-marker`;
  }

  /** True when the marker was missing (and is now set). */
  private async mark(): Promise<boolean> {
    const set = await this.watch!.set(this.markerKey(), `${hostname()}:${process.pid}:${new Date().toISOString()}`, 'NX');
    return set === 'OK';
  }

  private async checkQueue(): Promise<void> {
    let lost: boolean;
    try {
      lost = await this.mark();
    } catch {
      return; // Redis is away: the next tick (or the reconnect's `ready`) looks again.
    }
    if (!lost) return;
    this.logger.warn('Redis lost the queue (its marker key is gone): re-enqueueing from Postgres');
    if (this.catchingUp) {
      this.lostAgain = true;
      return;
    }
    this.catchingUp = (async () => {
      do {
        this.lostAgain = false;
        try {
          const counts = await this.catchUp();
          this.logger.log(
            `after the queue was lost: ${counts.expired} approval(s) expired, ${counts.callbacks} callback(s) and ${counts.notifications} notification job(s) re-enqueued`,
          );
        } catch (error) {
          // The sweep (if its scheduler is back) and the next loss seen retry; a failed catch-up must not stop the watch.
          this.logger.error(`catching up after the queue was lost failed: ${(error as Error).message}`);
        }
      } while (this.lostAgain);
      this.catchingUp = null;
    })();
    await this.catchingUp;
  }

  /** Everything the queue may have lost, redone from Postgres: the sweep's timer, expiries, callbacks, notifications. */
  private async catchUp(): Promise<{ expired: number; callbacks: number; notifications: number }> {
    await this.scheduleSweep();
    const expired = await this.lifecycle.sweepExpired();
    const callbacks = await this.callbacks.redeliverOverdue();
    const notifications = await this.notifications.catchUp();
    return { expired, callbacks, notifications };
  }

  private async scheduleSweep(): Promise<void> {
    await this.queue
      .queue(JOB_QUEUES[JobName.SweepExpiredApprovals])
      .upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: this.config.expirySweepSeconds * 1000 },
        { name: JobName.SweepExpiredApprovals, data: {} },
      );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.watchTimer) clearInterval(this.watchTimer);
    // A catch-up under way finishes first, unless Redis went away under it (its enqueues would wait for it).
    if (this.catchingUp) await Promise.race([this.catchingUp, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    this.watch?.disconnect();
    await this.heartbeat?.stop();
    await Promise.all(this.workers.map((worker) => worker.close()));
    // BullMQ leaves connections it was given open.
    for (const connection of this.connections) connection.disconnect();
  }

  private async process(job: Job, token: string | undefined): Promise<void> {
    const name = job.name as JobName;
    if (!(name in this.handlers.byName)) throw new UnrecoverableError(`no handler for job ${job.name}`);
    try {
      // A flooding agent's delivery that starts too long after it was enqueued holds back its new requests (ADR 0010).
      if ((job.queueName as QueueName) === QueueName.FloodNotifications) this.noteFloodLag(job);
      await this.handlers.run(name, job.data);
    } catch (error) {
      if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
      if (error instanceof RetryLaterError) {
        // Told when to come back (429 Retry-After): wait that long without using up an attempt.
        this.logger.warn(`job ${job.name} ${job.id} delayed ${error.delayMs} ms: ${error.message}`);
        await job.moveToDelayed(Date.now() + error.delayMs, token);
        throw new DelayedError();
      }
      throw error;
    }
  }

  private noteFloodLag(job: Job): void {
    const lagMs = floodLagMs({ attemptsStarted: job.attemptsStarted, enqueuedAt: job.timestamp }, Date.now());
    if (lagMs <= this.config.floodBacklogLimitMs) return;
    const { agentId } = parseJobPayload(JobName.DeliverNotification, job.data);
    // The delivery goes ahead either way; a mark that could not be written only means intake does not push back.
    this.floodBacklog
      .mark(agentId, lagMs)
      .catch((error: Error) => this.logger.warn(`could not mark agent ${agentId} as backlogged: ${error.message}`));
  }

  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const name = job.name as JobName;
    const attempts = JOB_RETRY[name]?.attempts ?? 1;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= attempts;
    this.logger.warn(
      `job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}/${attempts}${final ? ', giving up' : ''}): ${error.message}`,
    );
    if (!final) return;
    try {
      await this.handlers.exhausted(name, job.data, error.message);
    } catch (auditError) {
      this.logger.error(`could not record the failure of job ${job.id}: ${(auditError as Error).message}`);
    }
  }
}

function concurrencyOf(queueName: QueueName, config: CountersignConfig): number {
  switch (queueName) {
    case QueueName.Notifications:
      return config.workerNotificationConcurrency;
    case QueueName.FloodNotifications:
      return config.workerFloodingConcurrency;
    case QueueName.Lifecycle:
    case QueueName.Callbacks:
      return 8;
  }
}

/** STYLE.md: at boot, every job name has exactly one handler. */
export function assertOneHandlerPerJob(registered: string[]): void {
  const expected = Object.values(JobName) as string[];
  const missing = expected.filter((name) => !registered.includes(name));
  const unknown = registered.filter((name) => !expected.includes(name));
  const duplicated = registered.filter((name, index) => registered.indexOf(name) !== index);
  if (missing.length || unknown.length || duplicated.length) {
    throw new Error(
      `job handlers do not match the job names: missing [${missing.join(', ')}], unknown [${unknown.join(', ')}], duplicated [${duplicated.join(', ')}]`,
    );
  }
}
