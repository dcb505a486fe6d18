interface Pending<In, Out> {
  input: In;
  resolve(output: Out): void;
  reject(error: unknown): void;
}

/**
 * Calls that arrive in the same turn of the event loop are served by one call of `execute` (one statement, one
 * round trip, one commit). A lone call waits for nothing but `setImmediate`. If a batch fails, each input is
 * retried alone, so one bad input fails only its own caller.
 */
export class MicroBatch<In, Out> {
  private queue: Array<Pending<In, Out>> = [];
  private scheduled = false;

  constructor(
    /** Must answer with one output per input, in order. */
    private readonly execute: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 64,
  ) {}

  run(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queue.splice(0, this.maxBatch);
      this.schedule();
      void this.flush(batch);
    });
  }

  private async flush(batch: Array<Pending<In, Out>>): Promise<void> {
    try {
      const outputs = await this.execute(batch.map((pending) => pending.input));
      batch.forEach((pending, index) => pending.resolve(outputs[index]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      await Promise.all(
        batch.map(async (pending) => {
          try {
            pending.resolve((await this.execute([pending.input]))[0]);
          } catch (single) {
            pending.reject(single);
          }
        }),
      );
    }
  }
}
