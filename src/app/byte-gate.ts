/**
 * At most `budget` bytes of received mail being read at once: a backlog of large messages is read a few at a
 * time, whatever the worker's concurrency, so memory stays flat. A message larger than the budget is read
 * alone. Waiters are served in order, so a large message is never starved by small ones.
 */
export class ByteGate {
  private inFlight = 0;
  private running = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(readonly budget: number) {}

  async run<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    await this.acquire(bytes);
    try {
      return await fn();
    } finally {
      this.release(bytes);
    }
  }

  /** Bytes and tasks running now (for tests and metrics). */
  get load(): { bytes: number; tasks: number } {
    return { bytes: this.inFlight, tasks: this.running };
  }

  private fits(bytes: number): boolean {
    return this.running === 0 || this.inFlight + bytes <= this.budget;
  }

  private acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ bytes, go: resolve }));
  }

  private take(bytes: number): void {
    this.inFlight += bytes;
    this.running += 1;
  }

  private release(bytes: number): void {
    this.inFlight -= bytes;
    this.running -= 1;
    while (this.waiting.length && this.fits((this.waiting[0] as { bytes: number }).bytes)) {
      const next = this.waiting.shift() as { bytes: number; go: () => void };
      this.take(next.bytes);
      next.go();
    }
  }
}
