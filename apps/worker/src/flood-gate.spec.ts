import { FloodGate } from './flood-gate';

describe('FloodGate', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('runs at most its limit at once, the rest in the order they came, and survives failures', async () => {
    const gate = new FloodGate(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const job = (n: number, fail = false) =>
      gate.run(async () => {
        started.push(n);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        if (fail) throw new Error(`job ${n} failed`);
        return n;
      });
    const results = [job(1, true), job(2), job(3), job(4)].map((promise) => promise.then((value) => ({ value }), (error: Error) => ({ error: error.message })));
    await tick();
    expect(started).toEqual([1, 2]);
    releases[0]();
    await tick();
    expect(started).toEqual([1, 2, 3]);
    releases[1]();
    releases[2]();
    await tick();
    releases[3]();
    expect(await Promise.all(results)).toEqual([{ error: 'job 1 failed' }, { value: 2 }, { value: 3 }, { value: 4 }]);
    expect(most).toBe(2);
    // All turns were given back: two more run at once straight away.
    const again: number[] = [];
    const hold = gate.run(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
    await gate.run(() => Promise.resolve(again.push(1)));
    await hold;
    expect(again).toEqual([1]);
  });
});
