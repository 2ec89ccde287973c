import type { Redis } from 'ioredis';
import {
  applyJoin,
  applyLeave,
  foundingVersion,
  StatementVersionSchema,
  type JoinChange,
  type LeaveChange,
  type Signatory,
  type StatementVersion,
} from '../../domain/statement.ts';
import type { Keyspace } from './keys.ts';

/**
 * The signatory registry and the statement's versions, in Redis under
 * `<prefix>:data:statement:*` (so `coalition export` saves them):
 *   current        the latest version number
 *   version:<n>    JSON snapshot of version n (date, change, full list)
 *   applied        hash: idempotency key (request id) → version it made
 * Each change is committed by one Lua script that checks the idempotency key
 * and the expected current version, then writes the version, the pointer and
 * the key together: a request can never add twice, even when the caller
 * retries after a crash, and two concurrent changes cannot both be version n.
 */

// KEYS: current, version:1. ARGV: founding version JSON.
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], '1')
return 1`;

// KEYS: current, applied, version:<n+1>. ARGV: expected current, idempotency key, JSON, n+1.
const COMMIT = `
local done = redis.call('HGET', KEYS[2], ARGV[2])
if done then return {'done', done} end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'conflict', ''} end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SET', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
return {'ok', ARGV[4]}`;

export interface ChangeResult {
  version: StatementVersion;
  /** false when this idempotency key had already made its version (nothing was written). */
  created: boolean;
}

export class RegistryError extends Error {
  constructor(
    readonly code: 'REGISTRY_CONFLICT' | 'REGISTRY_CORRUPT',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export class RegistryStore {
  private readonly k;

  constructor(
    private readonly redis: Redis,
    ks: Keyspace,
    private readonly founding: Signatory[],
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.k = {
      current: ks.data('statement', 'current'),
      applied: ks.data('statement', 'applied'),
      version: (n: number) => ks.data('statement', 'version', String(n)),
    };
  }

  /** Writes version 1 (the founding statement) unless a registry exists. True when it seeded. */
  async seed(): Promise<boolean> {
    const v1 = foundingVersion(this.founding, this.clock());
    const r = await this.redis.eval(SEED, 2, this.k.current, this.k.version(1), JSON.stringify(v1));
    return r === 1;
  }

  async currentNumber(): Promise<number | null> {
    const n = await this.redis.get(this.k.current);
    return n === null ? null : Number(n);
  }

  async version(n: number): Promise<StatementVersion | null> {
    const raw = await this.redis.get(this.k.version(n));
    if (raw === null) return null;
    const parsed = StatementVersionSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new RegistryError('REGISTRY_CORRUPT', `statement version ${n} is not readable: ${parsed.error.message}`);
    return parsed.data;
  }

  /** The latest version, or null before seeding. */
  async current(): Promise<StatementVersion | null> {
    const n = await this.currentNumber();
    return n === null ? null : this.version(n);
  }

  /** The latest version; seeds the founding one first when the registry is empty. */
  async currentOrSeed(): Promise<StatementVersion> {
    await this.seed();
    const v = await this.current();
    if (!v) throw new RegistryError('REGISTRY_CORRUPT', 'the registry has no current version after seeding');
    return v;
  }

  /** Every version, oldest first. */
  async versions(): Promise<StatementVersion[]> {
    const n = (await this.currentNumber()) ?? 0;
    const out: StatementVersion[] = [];
    for (let i = 1; i <= n; i++) {
      const v = await this.version(i);
      if (v) out.push(v);
    }
    return out;
  }

  /** The version an idempotency key made, if it made one. */
  async appliedVersion(idempotencyKey: string): Promise<StatementVersion | null> {
    const n = await this.redis.hget(this.k.applied, idempotencyKey);
    return n === null ? null : this.version(Number(n));
  }

  /** Adds a signatory (new version). The same idempotency key (default: the request id) never adds twice. */
  addSignatory(change: JoinChange, idempotencyKey = change.source): Promise<ChangeResult> {
    return this.commit(idempotencyKey, (prev) => applyJoin(prev, change));
  }

  /** Removes a signatory (new version). The same idempotency key never removes twice. */
  removeSignatory(change: LeaveChange, idempotencyKey = change.source): Promise<ChangeResult> {
    return this.commit(idempotencyKey, (prev) => applyLeave(prev, change));
  }

  private async commit(key: string, next: (prev: StatementVersion) => StatementVersion): Promise<ChangeResult> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const done = await this.appliedVersion(key);
      if (done) return { version: done, created: false };
      const prev = await this.currentOrSeed();
      // Pure: may throw StatementError (already a signatory, not a signatory).
      const v = next(prev);
      const [status, n] = (await this.redis.eval(
        COMMIT,
        3,
        this.k.current,
        this.k.applied,
        this.k.version(v.number),
        String(prev.number),
        key,
        JSON.stringify(v),
        String(v.number),
      )) as [string, string];
      if (status === 'ok') return { version: v, created: true };
      if (status === 'done') {
        const made = await this.version(Number(n));
        if (made) return { version: made, created: false };
      }
      // 'conflict': another change landed first; recompute from the new current version.
    }
    throw new RegistryError('REGISTRY_CONFLICT', `could not commit ${key}: the registry kept changing`);
  }
}
