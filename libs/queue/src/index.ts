export { FloodBacklog } from './flood-backlog';
export {
  FAIRNESS_COST_MS,
  FAIRNESS_GRACE_MS,
  floodLagMs,
  notificationPriority,
  JOB_QUEUES,
  JOB_RETRY,
  jobId,
  JobName,
  type JobPayloads,
  parseJobPayload,
  PermanentJobError,
  QueueName,
  RetryLaterError,
  SLACK_HOME_PRIORITY,
  SLACK_HOME_WINDOW_MS,
} from './jobs';
export { QueueModule } from './queue.module';
export { type EnqueueOptions, QueueService } from './queue.service';
export { createRedis, pingOnce, publishOnce } from './redis';
export { RedisService } from './redis.service';
