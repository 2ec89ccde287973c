import type { Redis } from 'ioredis';
import type { Keyspace } from '../redis/keys.ts';

export class SpoolError extends Error {
  constructor(
    readonly code: 'SPOOL_MESSAGE_TOO_LARGE' | 'SPOOL_FULL',
    message: string,
  ) {
    super(message);
    this.name = 'SpoolError';
  }
}

// Keeps a running total of spooled bytes next to the messages so the cap is
// checked without scanning; both change in one script.
const PUT_LUA = `
local old = redis.call('STRLEN', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('INCRBY', KEYS[2], string.len(ARGV[1]) - old)`;
const DELETE_LUA = `
local old = redis.call('STRLEN', KEYS[1])
if redis.call('DEL', KEYS[1]) == 1 then
  local left = redis.call('DECRBY', KEYS[2], old)
  if left < 0 then redis.call('SET', KEYS[2], 0) end
  return 1
end
return 0`;

/** Commands a transaction (ioredis MULTI or pipeline) offers for put(). */
interface Tx {
  eval(script: string, numKeys: number, ...args: (string | Buffer | number)[]): unknown;
  set(key: string, value: string): unknown;
}

/**
 * Raw messages waiting for the processor, in Redis under `<prefix>:spool:<key>`.
 * The watcher puts a message in the same transaction that queues its job; the
 * processor reads it with get() and deletes it once the message is processed.
 * Caps: one message at most `maxMessageBytes`, all of them at most `maxTotalBytes`.
 */
export class Spool {
  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
    readonly limits: { maxMessageBytes: number; maxTotalBytes: number },
  ) {}

  keyOf(key: string): string {
    return this.ks.op('spool', key);
  }

  /** The watcher's reading of a spooled message (see src/app/triage.ts), kept and removed with it. */
  readingKeyOf(key: string): string {
    return this.ks.op('spool-reading', key);
  }

  async reading(key: string): Promise<string | null> {
    return this.redis.get(this.readingKeyOf(key));
  }

  private get totalKey(): string {
    return this.ks.op('spool-bytes');
  }

  async get(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keyOf(key));
  }

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(key))) === 1;
  }

  async put(key: string, raw: Buffer): Promise<void> {
    await this.check(raw.length);
    await this.redis.eval(PUT_LUA, 2, this.keyOf(key), this.totalKey, raw);
  }

  /** Adds the put to a transaction (after check()), so it lands together with the job; with the watcher's reading. */
  putIn(tx: Tx, key: string, raw: Buffer, reading?: string | null): void {
    tx.eval(PUT_LUA, 2, this.keyOf(key), this.totalKey, raw);
    if (reading) tx.set(this.readingKeyOf(key), reading);
  }

  /** Throws a SpoolError when `bytes` more would pass a cap. */
  async check(bytes: number): Promise<void> {
    if (bytes > this.limits.maxMessageBytes) {
      throw new SpoolError('SPOOL_MESSAGE_TOO_LARGE', `message of ${bytes} bytes exceeds the spool's per-message cap of ${this.limits.maxMessageBytes}`);
    }
    const used = Number((await this.redis.get(this.totalKey)) ?? 0);
    if (used + bytes > this.limits.maxTotalBytes) {
      throw new SpoolError('SPOOL_FULL', `spool holds ${used} bytes; ${bytes} more would pass its cap of ${this.limits.maxTotalBytes}`);
    }
  }

  /** Bytes currently spooled. */
  async usedBytes(): Promise<number> {
    return Number((await this.redis.get(this.totalKey)) ?? 0);
  }

  /** Removes a processed message; true when it was there. */
  async delete(key: string): Promise<boolean> {
    const res = await this.redis.multi().eval(DELETE_LUA, 2, this.keyOf(key), this.totalKey).del(this.readingKeyOf(key)).exec();
    const [err, deleted] = res?.[0] ?? [new Error('spool delete: transaction discarded'), 0];
    if (err) throw err;
    return deleted === 1;
  }
}
