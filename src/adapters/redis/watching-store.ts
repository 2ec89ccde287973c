import type { Redis } from 'ioredis';

/**
 * A store whose changes are optimistic transactions (WATCH … MULTI … EXEC). WATCH belongs to a connection: the
 * store takes its own (a duplicate of the one it is given) and runs its transactions one at a time on it, so no
 * other command flow can interleave an UNWATCH or an EXEC.
 */
export abstract class WatchingStore {
  protected readonly redis: Redis;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(redis: Redis) {
    this.redis = redis.duplicate();
    this.redis.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }

  /** Runs `fn` after every transaction queued before it, whether they succeeded or failed. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
