import { MicroBatch } from './micro-batch';

describe('MicroBatch', () => {
  it('serves calls made in the same turn with one execution, answering each caller in order', async () => {
    const executions: number[][] = [];
    const batch = new MicroBatch<number, string>((inputs) => {
      executions.push(inputs);
      return Promise.resolve(inputs.map((input) => `#${input}`));
    });
    const answers = await Promise.all([1, 2, 3].map((input) => batch.run(input)));
    expect(answers).toEqual(['#1', '#2', '#3']);
    expect(executions).toEqual([[1, 2, 3]]);
    // A later call is a batch of its own.
    await expect(batch.run(4)).resolves.toBe('#4');
    expect(executions).toEqual([[1, 2, 3], [4]]);
  });

  it('splits at the maximum batch size', async () => {
    const sizes: number[] = [];
    const batch = new MicroBatch<number, number>((inputs) => {
      sizes.push(inputs.length);
      return Promise.resolve(inputs);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((input) => batch.run(input)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('fails only the caller whose input is bad when a batch fails', async () => {
    const batch = new MicroBatch<number, number>((inputs) =>
      inputs.includes(13) ? Promise.reject(new Error('thirteen')) : Promise.resolve(inputs.map((input) => input * 2)),
    );
    const results = await Promise.allSettled([12, 13, 14].map((input) => batch.run(input)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 24 },
      { status: 'rejected', reason: new Error('thirteen') },
      { status: 'fulfilled', value: 28 },
    ]);
  });
});
