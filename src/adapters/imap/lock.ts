import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Token-checked renew and release: a watcher whose lock already expired (and
// was taken by another) must not extend or delete the new owner's lock.
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LockOptions {
  /** Time after which a dead holder's lock lapses (ms). */
  ttlMs: number;
  /** How often the holder extends it (ms); well under ttlMs. */
  renewEveryMs?: number;
}

/**
 * One active watcher per mailbox: SET NX PX with a random token, renewed by
 * the holder; when the holder dies the key expires and a standby that retries
 * acquire() takes over within one TTL.
 */
export class RedisLock {
  readonly token = randomBytes(16).toString('hex');
  private timer: NodeJS.Timeout | null = null;
  private held = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly o: LockOptions,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Tries once; on success keeps renewing until release() or until the lock is lost. */
  async tryAcquire(onLost: () => void): Promise<boolean> {
    const ok = await this.redis.set(this.key, this.token, 'PX', this.o.ttlMs, 'NX');
    if (ok !== 'OK') return false;
    this.held = true;
    const every = this.o.renewEveryMs ?? Math.max(100, Math.floor(this.o.ttlMs / 3));
    this.timer = setInterval(() => {
      this.renew().then(
        (still) => {
          if (!still && this.held) {
            this.stopRenewing();
            onLost();
          }
        },
        () => undefined, // Redis unreachable: try again on the next tick; the TTL decides.
      );
    }, every);
    this.timer.unref();
    return true;
  }

  async renew(): Promise<boolean> {
    const r = await this.redis.eval(RENEW_LUA, 1, this.key, this.token, String(this.o.ttlMs));
    return r === 1;
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.held = false;
  }

  async release(): Promise<void> {
    const wasHeld = this.held;
    this.stopRenewing();
    if (wasHeld) await this.redis.eval(RELEASE_LUA, 1, this.key, this.token);
  }
}
