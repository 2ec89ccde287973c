import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  LIVE_STATUSES,
  indexEntries,
  RequestRecordSchema,
  type Effect,
  type RequestRecord,
  type RequestStatus,
  type TransitionResult,
} from '../../domain/request.ts';
import { effectId, type TokenUse, type UpdateResult } from '../../contracts/requests.ts';
import type { Keyspace } from './keys.ts';
import { WatchingStore } from './watching-store.ts';

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
 *   idx:open:<h>              live request ids by what they can be found by (indexEntries: name, acronym,
 *                             domain, reply address, signatory; sha256), changed in the same transaction
 *                             as the record; rebuilt from the records when `idx:built` is missing (reindex)
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

/** Its own connection, one transaction at a time (WatchingStore). */
export class RequestStore extends WatchingStore {
  constructor(
    redis: Redis,
    private readonly ks: Keyspace,
  ) {
    super(redis);
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

  /** Records by id, in batches of one MGET each; ids with no record are left out. */
  private async many(ids: readonly string[]): Promise<RequestRecord[]> {
    const out: RequestRecord[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      if (!batch.length) break;
      const raws = await this.redis.mget(...batch.map((id) => this.key(id.toUpperCase())));
      for (const raw of raws) if (raw !== null) out.push(RequestRecordSchema.parse(JSON.parse(raw)));
    }
    return out;
  }

  async list(o: { status?: RequestStatus } = {}): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(this.indexKey, '0', '-1');
    return (await this.many(ids)).filter(
      (r) => !o.status || r.status === o.status || (o.status === 'pending' && r.status === 'info_requested'),
    );
  }

  async open(): Promise<RequestRecord[]> {
    return this.many(await this.redis.smembers(this.openKey));
  }

  private entryKey(entry: string): string {
    return this.ks.op('idx', 'open', sha(entry));
  }
  private get indexBuiltKey(): string {
    return this.ks.op('idx', 'built');
  }

  /** The live requests kept under any of `entries` (see indexEntries): a few records, not every open one. */
  async openMatching(entries: readonly string[]): Promise<RequestRecord[]> {
    if (!entries.length) return [];
    const ids = await this.redis.sunion(...entries.map((e) => this.entryKey(e)));
    return (await this.many(ids.sort())).filter((r) => LIVE_STATUSES.includes(r.status));
  }

  /** Builds the index once (a store written before it existed, or whose operational keys were lost). */
  async ensureIndex(): Promise<number | null> {
    if ((await this.redis.exists(this.indexBuiltKey)) === 1) return null;
    return this.reindex();
  }

  /** Rebuilds the index from the records (after `coalition import`); returns the live requests indexed. */
  reindex(): Promise<number> {
    return this.serial(async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        await this.redis.watch(this.openKey);
        const live = (await this.many(await this.redis.smembers(this.openKey))).filter((r) => LIVE_STATUSES.includes(r.status));
        const old: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.ks.op('idx', 'open')}:*`, 'COUNT', 1000);
          old.push(...batch);
          cursor = next;
        } while (cursor !== '0');
        const tx = this.redis.multi();
        for (let i = 0; i < old.length; i += 500) tx.del(...old.slice(i, i + 500));
        for (const r of live) for (const e of indexEntries(r)) tx.sadd(this.entryKey(e), r.id);
        tx.set(this.indexBuiltKey, new Date().toISOString());
        if (await tx.exec()) return live.length;
      }
      throw new Error('could not rebuild the request index: too much contention');
    });
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
  async snapshot(entries?: readonly string[]): Promise<string> {
    if (entries === undefined) return this.snapshotOn(this.redis);
    return JSON.stringify({ entries, value: await this.snapshotOn(this.redis, entries) });
  }

  /**
   * Every open request, or (given index entries) only the requests kept under them: a check that read only
   * those requests is invalidated only by a change to them, so a backlog of unrelated requests does not
   * make every creation retry.
   */
  private async snapshotOn(redis: Redis, entries?: readonly string[]): Promise<string> {
    const [open, current] = await Promise.all([
      entries === undefined
        ? redis.smembers(this.openKey)
        : entries.length
          ? redis.sunion(...entries.map((e) => this.entryKey(e)))
          : Promise.resolve([]),
      redis.get(this.registryCurrentKey),
    ]);
    return `${current ?? '-'}|${open.sort().join(',')}`;
  }

  private guardOf(token: string | undefined): { keys: string[]; check: (redis: Redis) => Promise<boolean> } | null {
    if (token === undefined) return null;
    if (token.startsWith('{')) {
      const { entries, value } = JSON.parse(token) as { entries: string[]; value: string };
      return {
        keys: [...entries.map((e) => this.entryKey(e)), this.registryCurrentKey],
        check: async (redis) => (await this.snapshotOn(redis, entries)) === value,
      };
    }
    return {
      keys: [this.openKey, this.registryCurrentKey],
      check: async (redis) => (await this.snapshotOn(redis)) === token,
    };
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
    const guard = this.guardOf(o.unchangedSince);
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.redis.watch(byMsg, this.key(result.request.id), ...(guard?.keys ?? []));
      const existing = await this.redis.get(byMsg);
      if (existing !== null) {
        await this.redis.unwatch();
        return { created: false, id: existing };
      }
      if (guard && !(await guard.check(this.redis))) {
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
      if (LIVE_STATUSES.includes(r.status)) for (const e of indexEntries(r)) tx.sadd(this.entryKey(e), r.id);
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
      const live = LIVE_STATUSES.includes(res.request.status);
      if (live) tx.sadd(this.openKey, current.id);
      else tx.srem(this.openKey, current.id);
      // The index follows the record in the same transaction: a request that closed, or whose name changed.
      const before = LIVE_STATUSES.includes(current.status) ? indexEntries(current) : [];
      const after = new Set(live ? indexEntries(res.request) : []);
      for (const e of before) if (!after.has(e)) tx.srem(this.entryKey(e), current.id);
      for (const e of after) tx.sadd(this.entryKey(e), current.id);
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
