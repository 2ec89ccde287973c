import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  LIVE_STATUSES,
  RequestRecordSchema,
  type Effect,
  type RequestRecord,
  type RequestStatus,
  type TransitionResult,
} from '../../domain/request.ts';
import { effectId, type TokenUse, type UpdateResult } from '../../contracts/requests.ts';
import type { Keyspace } from './keys.ts';

/**
 * Requests in Redis, changed only through atomic transitions.
 *
 * Durable (under `<prefix>:data:`, saved by `coalition export`):
 *   request:<id>              JSON record (with its audit trail)
 *   requests                  sorted set id → created time
 *   requests:open             set of live request ids (LIVE_STATUSES; duplicate detection)
 *   request-by-message:<h>    id of the request a received Message-ID created (sha256)
 *   token-use:<h>             who used which reply to decide (sha256 of coordinator|reply Message-ID)
 * Operational:
 *   outbox:<id>               effects stored with the transition that produced them, not yet performed
 *   outboxes                  set of request ids with a non-empty outbox
 *
 * Every change is read → transition() → WATCH/MULTI/EXEC: the record, its
 * new effects and any token-use record land together or not at all; a
 * concurrent change makes EXEC fail and the transition is recomputed on the
 * new record. A crash after EXEC leaves the effects in the outbox, and the
 * next flush performs them (each effect is idempotent by its id).
 */

export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export class RequestStore {
  private readonly redis: Redis;
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * WATCH belongs to a connection: the store takes its own connection
   * (a duplicate of `redis`) and runs its transactions one at a time, so no
   * other command flow can interleave an UNWATCH or EXEC.
   */
  constructor(
    redis: Redis,
    private readonly ks: Keyspace,
  ) {
    this.redis = redis.duplicate();
    this.redis.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private key(id: string): string {
    return this.ks.data('request', id);
  }
  private outboxKey(id: string): string {
    return this.ks.op('outbox', id);
  }
  private get outboxesKey(): string {
    return this.ks.op('outboxes');
  }
  private get indexKey(): string {
    return this.ks.data('requests');
  }
  private get openKey(): string {
    return this.ks.data('requests', 'open');
  }
  byMessageKey(messageId: string): string {
    return this.ks.data('request-by-message', sha(messageId.trim().toLowerCase()));
  }
  tokenUseKey(coordinator: string, replyMessageId: string): string {
    return this.ks.data('token-use', sha(`${coordinator.toLowerCase()}|${replyMessageId.trim().toLowerCase()}`));
  }

  async get(id: string): Promise<RequestRecord | null> {
    const raw = await this.redis.get(this.key(id.toUpperCase()));
    return raw === null ? null : RequestRecordSchema.parse(JSON.parse(raw));
  }

  async list(o: { status?: RequestStatus } = {}): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(this.indexKey, '0', '-1');
    const out: RequestRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r && (!o.status || r.status === o.status || (o.status === 'pending' && r.status === 'info_requested')))
        out.push(r);
    }
    return out;
  }

  async open(): Promise<RequestRecord[]> {
    const ids = await this.redis.smembers(this.openKey);
    const out: RequestRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  /** The request a received message already created, if any. */
  async idForMessage(messageId: string): Promise<string | null> {
    return this.redis.get(this.byMessageKey(messageId));
  }

  async tokenUsed(coordinator: string, replyMessageId: string): Promise<TokenUse | null> {
    const raw = await this.redis.get(this.tokenUseKey(coordinator, replyMessageId));
    return raw === null ? null : (JSON.parse(raw) as TokenUse);
  }

  private get registryCurrentKey(): string {
    return this.ks.data('statement', 'current');
  }

  /**
   * What a duplicate check reads, in one token: the open requests and the
   * registry's version. Taken before the check reads them; `create` with
   * `unchangedSince` stores the request only if the token is still the same,
   * under a WATCH of those keys, so two processors cannot both find "no
   * duplicate" and both create (the README lets several share one Redis).
   */
  async snapshot(): Promise<string> {
    return this.snapshotOn(this.redis);
  }

  private async snapshotOn(redis: Redis): Promise<string> {
    const [open, current] = await Promise.all([redis.smembers(this.openKey), redis.get(this.registryCurrentKey)]);
    return `${current ?? '-'}|${open.sort().join(',')}`;
  }

  /**
   * Stores a new request unless `messageKey` (the received Message-ID or
   * message hash) already created one; returns the id that holds it. With
   * `unchangedSince` (a snapshot()), nothing is stored and `stale` is returned
   * when an open request or the registry changed since: the caller checks for
   * duplicates again.
   */
  create(
    result: TransitionResult,
    messageKey: string,
    o: { unchangedSince?: string } = {},
  ): Promise<{ created: boolean; id: string; stale?: true }> {
    return this.serial(() => this.createNow(result, messageKey, o));
  }

  private async createNow(
    result: TransitionResult,
    messageKey: string,
    o: { unchangedSince?: string },
  ): Promise<{ created: boolean; id: string; stale?: true }> {
    const byMsg = this.byMessageKey(messageKey);
    const guarded = o.unchangedSince !== undefined ? [this.openKey, this.registryCurrentKey] : [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.redis.watch(byMsg, this.key(result.request.id), ...guarded);
      const existing = await this.redis.get(byMsg);
      if (existing !== null) {
        await this.redis.unwatch();
        return { created: false, id: existing };
      }
      if (o.unchangedSince !== undefined && (await this.snapshotOn(this.redis)) !== o.unchangedSince) {
        await this.redis.unwatch();
        return { created: false, id: result.request.id, stale: true };
      }
      if ((await this.redis.exists(this.key(result.request.id))) === 1) {
        await this.redis.unwatch();
        throw new Error(`request id ${result.request.id} is taken`);
      }
      const r = result.request;
      const tx = this.redis
        .multi()
        .set(byMsg, r.id)
        .set(this.key(r.id), JSON.stringify(r))
        .zadd(this.indexKey, new Date(r.createdAt).getTime(), r.id)
        .sadd(this.openKey, r.id);
      if (result.effects.length)
        tx.set(this.outboxKey(r.id), JSON.stringify(result.effects)).sadd(this.outboxesKey, r.id);
      if (await tx.exec()) return { created: true, id: r.id };
    }
    throw new Error(`could not store request ${result.request.id}: too much contention`);
  }

  /**
   * Applies `step` to the current record atomically. `step` returns null to
   * change nothing. With `tokenUse`, the reply is recorded as used in the same
   * transaction, and a reply already used changes nothing (replay).
   */
  update(
    id: string,
    step: (r: RequestRecord) => TransitionResult | null,
    o: { tokenUse?: TokenUse } = {},
  ): Promise<UpdateResult> {
    return this.serial(() => this.updateNow(id, step, o));
  }

  private async updateNow(
    id: string,
    step: (r: RequestRecord) => TransitionResult | null,
    o: { tokenUse?: TokenUse },
  ): Promise<UpdateResult> {
    const key = this.key(id.toUpperCase());
    const useKey = o.tokenUse ? this.tokenUseKey(o.tokenUse.coordinator, o.tokenUse.replyMessageId) : null;
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.redis.watch(key, this.outboxKey(id), ...(useKey ? [useKey] : []));
      const raw = await this.redis.get(key);
      if (raw === null) {
        await this.redis.unwatch();
        return { found: false };
      }
      if (useKey && (await this.redis.exists(useKey)) === 1) {
        await this.redis.unwatch();
        return { found: true, replay: true, changed: false };
      }
      const current = RequestRecordSchema.parse(JSON.parse(raw));
      const res = step(current);
      if (!res || !res.changed) {
        await this.redis.unwatch();
        return { request: current, effects: [], changed: false, found: true };
      }
      const pending = JSON.parse((await this.redis.get(this.outboxKey(id))) ?? '[]') as Effect[];
      const tx = this.redis.multi().set(key, JSON.stringify(res.request));
      if (LIVE_STATUSES.includes(res.request.status))
        tx.sadd(this.openKey, id);
      else tx.srem(this.openKey, id);
      if (res.effects.length)
        tx.set(this.outboxKey(id), JSON.stringify([...pending, ...res.effects])).sadd(this.outboxesKey, id);
      if (useKey && o.tokenUse) tx.set(useKey, JSON.stringify({ ...o.tokenUse, at: new Date().toISOString() }));
      if (await tx.exec()) return { ...res, found: true };
    }
    throw new Error(`could not change request ${id}: too much contention`);
  }

  async pendingEffects(id: string): Promise<Effect[]> {
    return JSON.parse((await this.redis.get(this.outboxKey(id))) ?? '[]') as Effect[];
  }

  async requestsWithEffects(): Promise<string[]> {
    return this.redis.smembers(this.outboxesKey);
  }

  /** Removes performed effects from the outbox (effects added meanwhile stay). */
  completeEffects(id: string, done: readonly Effect[]): Promise<void> {
    return this.serial(() => this.completeNow(id, done));
  }

  private async completeNow(id: string, done: readonly Effect[]): Promise<void> {
    const ids = new Set(done.map(effectId));
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.redis.watch(this.outboxKey(id));
      const left = (await this.pendingEffects(id)).filter((e) => !ids.has(effectId(e)));
      const tx = this.redis.multi();
      if (left.length) tx.set(this.outboxKey(id), JSON.stringify(left));
      else tx.del(this.outboxKey(id)).srem(this.outboxesKey, id);
      if (await tx.exec()) return;
    }
  }

  /** Adds an audit entry without a state change (e.g. an unauthenticated attempt on this request). */
  async audit(
    id: string,
    entry: { event: string; by?: string | null; via?: string | null; detail?: string | null },
    now = new Date(),
  ) {
    await this.update(id, (r) => ({
      request: {
        ...r,
        audit: [
          ...r.audit,
          {
            at: now.toISOString(),
            event: entry.event,
            by: entry.by ?? null,
            via: entry.via ?? null,
            detail: entry.detail ?? null,
          },
        ],
      },
      effects: [],
      changed: true,
    }));
  }
}
