/** Every queue and job Countersign runs, with its payload type; the worker registers exactly one handler each. */
export enum QueueName {
  Lifecycle = 'lifecycle',
  Callbacks = 'callbacks',
}

export enum JobName {
  ExpireApproval = 'approval.expire',
  SweepExpiredApprovals = 'approval.sweep-expired',
  DeliverCallback = 'approval.callback',
}

export interface JobPayloads {
  [JobName.ExpireApproval]: { approvalId: string };
  [JobName.SweepExpiredApprovals]: Record<string, never>;
  [JobName.DeliverCallback]: { approvalId: string; status: string };
}

export const JOB_QUEUES: Record<JobName, QueueName> = {
  [JobName.ExpireApproval]: QueueName.Lifecycle,
  [JobName.SweepExpiredApprovals]: QueueName.Lifecycle,
  [JobName.DeliverCallback]: QueueName.Callbacks,
};

/** Attempts and backoff per job. Callbacks retry for about an hour (2^12 s total); expiry retries quickly. */
export const JOB_RETRY: Record<JobName, { attempts: number; backoffMs: number }> = {
  [JobName.ExpireApproval]: { attempts: 10, backoffMs: 1_000 },
  [JobName.SweepExpiredApprovals]: { attempts: 1, backoffMs: 0 },
  [JobName.DeliverCallback]: { attempts: 12, backoffMs: 2_000 },
};

/** Fixed job ids make enqueueing idempotent: the same fact never becomes two jobs. */
export const jobId = {
  // BullMQ forbids ':' in custom ids (it is its key separator).
  expire: (approvalId: string) => `expire-${approvalId}`,
  callback: (approvalId: string, status: string) => `callback-${approvalId}-${status}`,
};

/** A failure that retrying cannot fix (bad URL, gone row): the processor stops retrying. */
export class PermanentJobError extends Error {}
