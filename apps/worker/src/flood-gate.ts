/**
 * At most `limit` holders at once; the others wait their turn, first come first served. The worker passes a
 * flooding agent's deliveries through one, so they take a few of its slots and a bounded share of the CPU while
 * everyone else's run as they come (ADR 0009).
 */
export class FloodGate {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    try {
      return await work();
    } finally {
      // The turn passes straight to the next waiter (the count stays), or is given back.
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    }
  }
}
