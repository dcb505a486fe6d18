import { FAIRNESS_GRACE_MS, JobName, jobId, notificationPriority, QueueName, QueueService } from '@countersign/queue';
import { type RunningApi, startApi, testConfig } from '@countersign/testing';

/**
 * A flooding agent's deliveries go to a queue of their own (ADR 0010); a job id deduplicates within one queue only,
 * so the sweep's redelivery of a delivery must not add a second job in the other delivery queue.
 */
describe('the flood queue', () => {
  let api: RunningApi;
  let queues: QueueService;

  beforeAll(async () => {
    api = await startApi(testConfig());
    queues = api.app.get(QueueService);
  });
  afterAll(() => api.close());

  const flooding = notificationPriority('medium', FAIRNESS_GRACE_MS + 1_000);
  const ordinary = notificationPriority('medium', 0);
  const jobIn = async (queue: QueueName, id: string) => (await queues.queue(queue).getJob(id)) !== undefined;

  it("routes a flooding agent's delivery to the flood queue and everyone else's to the ordinary one", async () => {
    const [flood, calm] = [jobId.deliver('00000000-0000-4000-8000-00000000f100'), jobId.deliver('00000000-0000-4000-8000-00000000f101')];
    await queues.enqueue(JobName.DeliverNotification, { deliveryId: 'f100', agentId: 'a' }, { jobId: flood, priority: flooding });
    await queues.enqueue(JobName.DeliverNotification, { deliveryId: 'f101', agentId: 'b' }, { jobId: calm, priority: ordinary });
    expect([await jobIn(QueueName.FloodNotifications, flood), await jobIn(QueueName.Notifications, flood)]).toEqual([true, false]);
    expect([await jobIn(QueueName.FloodNotifications, calm), await jobIn(QueueName.Notifications, calm)]).toEqual([false, true]);
  });

  it('does not enqueue a delivery again while its job is in the other delivery queue', async () => {
    const id = jobId.deliver('00000000-0000-4000-8000-00000000f200');
    await queues.enqueue(JobName.DeliverNotification, { deliveryId: 'f200', agentId: 'a' }, { jobId: id, priority: flooding });
    // Redelivered when the agent is no longer flooding: the ordinary queue would take it as a new job.
    expect(
      await queues.enqueueOnce(JobName.DeliverNotification, { deliveryId: 'f200', agentId: 'a' }, { jobId: id, priority: ordinary }),
    ).toBe(false);
    expect(await jobIn(QueueName.Notifications, id)).toBe(false);

    const lost = jobId.deliver('00000000-0000-4000-8000-00000000f201');
    expect(
      await queues.enqueueOnce(JobName.DeliverNotification, { deliveryId: 'f201', agentId: 'a' }, { jobId: lost, priority: ordinary }),
    ).toBe(true);
    expect(await jobIn(QueueName.Notifications, lost)).toBe(true);
  });
});
