import type { Redis } from 'ioredis';

/**
 * Where the watcher is in a mailbox: every UID up to `lastUid` under this
 * UIDVALIDITY was handed off, filed, or deliberately left alone (older than
 * PROCESS_SINCE). RFC 3501 §2.3.1.1: UIDs are only meaningful together with
 * UIDVALIDITY; when it changes, every UID may have been reassigned.
 */
export interface Checkpoint {
  /** UIDVALIDITY as a decimal string (it is a 32-bit unsigned value; imapflow gives a bigint). */
  uidValidity: string;
  lastUid: number;
}

export type ScanReason = 'first-run' | 'resume' | 'uidvalidity-changed';

export interface ScanPlan {
  /** First UID to look at. */
  fromUid: number;
  reason: ScanReason;
}

/**
 * Where a catch-up starts. A new or changed UIDVALIDITY rescans from UID 1 and
 * relies on the dedup records instead of skipping or re-acknowledging mail.
 */
export function planScan(checkpoint: Checkpoint | null, uidValidity: string): ScanPlan {
  if (!checkpoint) return { fromUid: 1, reason: 'first-run' };
  if (checkpoint.uidValidity !== uidValidity) return { fromUid: 1, reason: 'uidvalidity-changed' };
  return { fromUid: checkpoint.lastUid + 1, reason: 'resume' };
}

/**
 * The UIDs a `UID SEARCH UID n:*` really asked for, ascending. RFC 3501 §6.4.8:
 * "n:*" is a range between n and the largest UID, so when n is above every UID
 * the server still returns the last message; it must not be handed off again.
 */
export function uidsFrom(found: readonly number[], fromUid: number): number[] {
  return [...new Set(found)].filter((u) => u >= fromUid).sort((a, b) => a - b);
}

/** The checkpoint after `uid` was dealt with (never moves backwards within one UIDVALIDITY). */
export function advance(checkpoint: Checkpoint | null, uidValidity: string, uid: number): Checkpoint {
  if (checkpoint && checkpoint.uidValidity === uidValidity && checkpoint.lastUid >= uid) return checkpoint;
  return { uidValidity, lastUid: uid };
}

// Same rule as advance(), applied atomically in Redis so that a late write of a
// stale watcher cannot move the checkpoint back.
const ADVANCE_LUA = `
local v = redis.call('HGET', KEYS[1], 'uidValidity')
local u = tonumber(redis.call('HGET', KEYS[1], 'lastUid') or '0')
if v ~= ARGV[1] or tonumber(ARGV[2]) > u then
  redis.call('HSET', KEYS[1], 'uidValidity', ARGV[1], 'lastUid', ARGV[2])
  return 1
end
return 0`;

/** Checkpoints per mailbox in a Redis hash {uidValidity, lastUid}. */
export class CheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (mailbox: string) => string,
  ) {}

  async get(mailbox: string): Promise<Checkpoint | null> {
    const h = await this.redis.hgetall(this.keyOf(mailbox));
    if (!h.uidValidity || h.lastUid === undefined) return null;
    const lastUid = Number(h.lastUid);
    return Number.isInteger(lastUid) ? { uidValidity: h.uidValidity, lastUid } : null;
  }

  /** Records that `uid` was dealt with; true when the stored checkpoint moved. */
  async advance(mailbox: string, uidValidity: string, uid: number): Promise<boolean> {
    const r = await this.redis.eval(ADVANCE_LUA, 1, this.keyOf(mailbox), uidValidity, String(uid));
    return r === 1;
  }

  async reset(mailbox: string): Promise<void> {
    await this.redis.del(this.keyOf(mailbox));
  }
}

/**
 * The moment before which mail is left alone. PROCESS_SINCE when configured;
 * otherwise the moment the service first met this Redis, stored once (SET NX)
 * so restarts keep the same boundary.
 */
export async function resolveProcessSince(redis: Redis, key: string, configured: Date | undefined, now: Date = new Date()): Promise<Date> {
  if (configured) return configured;
  await redis.set(key, now.toISOString(), 'NX');
  const stored = await redis.get(key);
  const d = stored ? new Date(stored) : now;
  return Number.isNaN(d.getTime()) ? now : d;
}
