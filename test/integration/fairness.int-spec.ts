import { Queue, Worker } from 'bullmq';
import { type CountersignConfig } from '@countersign/config';
import { createRedis, FAIRNESS_COST_MS, FAIRNESS_GRACE_MS, notificationPriority, QueueService } from '@countersign/queue';
import { testConfig } from '@countersign/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Per-agent fairness of notification jobs on a real Redis: priorities come from each agent's virtual time, so an
 * agent's rate (not how many it sent lately) decides whether its jobs queue behind others'.
 */
describe('fair priorities for notification jobs', () => {
  let config: CountersignConfig;
  let queue: QueueService;

  beforeEach(() => {
    config = testConfig();
    queue = new QueueService(config);
  });
  afterEach(async () => {
    await queue.onApplicationShutdown();
  });

  it('an agent enqueueing slower than one job per cost keeps the base priority however many it sends', async () => {
    const priorities: number[] = [];
    for (let n = 0; n < 20; n++) {
      priorities.push(await queue.fairPriority('medium', 'steady-agent'));
      await sleep(FAIRNESS_COST_MS * 3);
    }
    // Counting jobs per window (what this replaced) gave the 20th job a priority 19 worse than the first.
    expect(new Set(priorities)).toEqual(new Set([notificationPriority('medium', 0)]));
  });

  it('a burst within the grace stays first in, first out; past it the agent is flooding', async () => {
    const burst = Math.floor(FAIRNESS_GRACE_MS / FAIRNESS_COST_MS / 2);
    const priorities: number[] = [];
    for (let n = 0; n < burst; n++) priorities.push(await queue.fairPriority('medium', 'bursty-agent'));
    expect(new Set(priorities)).toEqual(new Set([notificationPriority('medium', 0)]));
    // Charging the rest of the grace and more at once (a plan of many deliveries) puts the next job past it.
    await queue.fairPriority('medium', 'bursty-agent', burst * 4);
    expect(await queue.fairPriority('medium', 'bursty-agent')).toBeGreaterThan(notificationPriority('medium', 0));
  });

  it("a flooding agent runs ahead of the clock, and a quiet agent's next job goes in front of its backlog", async () => {
    const flood: number[] = [];
    for (let n = 0; n < 300; n++) flood.push(await queue.fairPriority('medium', 'flooder'));
    const base = notificationPriority('medium', 0);
    // 300 jobs charge 3 s of virtual time; enqueueing them took far less than the 1 s this leaves room for.
    expect(flood[flood.length - 1] - base).toBeGreaterThan(3_000 - FAIRNESS_GRACE_MS - 1_000);
    expect(flood[flood.length - 1]).toBeGreaterThan(flood[0]);
    const quiet = await queue.fairPriority('medium', 'quiet-agent');
    expect(quiet).toBe(base);
    expect(flood.slice(-100).every((priority) => priority > quiet)).toBe(true);
    // Charging several jobs at once moves the virtual time by all of them.
    const before = await queue.fairPriority('medium', 'batch-agent', 150);
    const after = await queue.fairPriority('medium', 'batch-agent');
    expect(after - before).toBeGreaterThanOrEqual(150 * FAIRNESS_COST_MS - FAIRNESS_GRACE_MS - 100);
  });

  it("BullMQ runs the jobs in that order: a quiet agent's job overtakes a flood enqueued before it", async () => {
    const name = `fairness-${Math.random().toString(36).slice(2)}`;
    const connection = createRedis(config.redisUrl, 'bullmq');
    const bull = new Queue(name, { connection, prefix: `${config.redisPrefix}:bull` });
    const order: string[] = [];
    try {
      for (let n = 0; n < 300; n++)
        await bull.add('job', { agent: 'flooder' }, { priority: await queue.fairPriority('medium', 'flooder-2') });
      await bull.add('job', { agent: 'quiet' }, { priority: await queue.fairPriority('medium', 'quiet-2') });
      const workerConnection = createRedis(config.redisUrl, 'bullmq');
      const worker = new Worker(name, (job) => Promise.resolve(void order.push(job.data.agent as string)), {
        connection: workerConnection,
        prefix: `${config.redisPrefix}:bull`,
        concurrency: 1,
      });
      const deadline = Date.now() + 10_000;
      while (order.length < 301 && Date.now() < deadline) await sleep(20);
      await worker.close();
      workerConnection.disconnect();
      expect(order).toHaveLength(301);
      // The flooder's first jobs are a burst within the grace (about 100 at 10 ms each, a few more while the
      // adds took time), first in, first out; the quiet job comes right after those, before the other ~200.
      const quietAt = order.indexOf('quiet');
      expect(quietAt).toBeGreaterThanOrEqual(FAIRNESS_GRACE_MS / FAIRNESS_COST_MS - 5);
      expect(quietAt).toBeLessThan(200);
    } finally {
      await bull.obliterate({ force: true });
      await bull.close();
      connection.disconnect();
    }
  });
});
