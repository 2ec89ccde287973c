import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDigestStore } from '../../../src/adapters/redis/digest-store.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { deletePrefix, startRedis, type DevRedis } from '../../../src/devstack/redis.ts';
import { digestRoute } from '../../../src/domain/digest.ts';

const RATE = { mode: 'rate', limit: 3, windowMs: 3_600_000 } as const;
const HOUR = 3_600_000;

describe('the digest store (real Redis)', () => {
  let dev: DevRedis;
  let redis: Redis;
  let store: RedisDigestStore;
  let other: RedisDigestStore;
  const prefix = `t-digest-${randomBytes(4).toString('hex')}`;
  const route = (s: RedisDigestStore, id: string, now: number) => s.route(id, (o) => digestRoute(RATE, o), { now, windowMs: HOUR });
  const keepAll = async (ids: string[]) => ids.map((id) => ({ id, seq: 2 }));

  beforeAll(async () => {
    dev = await startRedis();
    redis = new Redis(dev.url, { maxRetriesPerRequest: null });
    store = new RedisDigestStore(redis, keyspace(prefix));
    other = new RedisDigestStore(redis, keyspace(prefix));
  });
  afterAll(async () => {
    await store?.close();
    await other?.close();
    await deletePrefix(redis, prefix);
    await redis?.quit();
    await dev?.stop();
  });

  it('sends single mails up to the rate, then digests; asked again, a request keeps its route', async () => {
    const t = 1_000_000_000_000;
    const routes = [];
    for (let i = 0; i < 5; i++) routes.push((await route(store, `REQ-R${i}AAA`, t + i)).route);
    expect(routes).toEqual(['single', 'single', 'single', 'digest', 'digest']);
    // The same effect performed again (a crash, the next coordinator's effect), from another process too.
    expect(await route(other, 'REQ-R0AAA', t + 10)).toMatchObject({ route: 'single', first: false });
    expect(await route(other, 'REQ-R3AAA', t + 10)).toMatchObject({ route: 'digest', first: false, oldest: t + 3 });
    // While a digest waits, even a quiet hour later goes on into it.
    expect((await route(store, 'REQ-R5AAA', t + 2 * HOUR)).route).toBe('digest');
  });

  it('cuts each waiting request into exactly one digest, leaves decided ones out, and keeps it unsent until sent', async () => {
    const t = 1_000_000_000_000;
    expect(await store.cut({ dueBy: t + 2, max: 500, now: new Date(), keep: keepAll })).toBeNull(); // not due yet
    const [d1, d2] = await Promise.all([
      store.cut({ dueBy: t + 2 * HOUR, max: 500, now: new Date(), keep: async (ids) => (await keepAll(ids)).filter((i) => i.id !== 'REQ-R4AAA') }),
      other.cut({ dueBy: t + 2 * HOUR, max: 500, now: new Date(), keep: keepAll }),
    ]);
    const cut = [d1, d2].filter((d) => d !== null);
    expect(cut).toHaveLength(1);
    const digest = cut[0]!;
    expect(digest.number).toBe(1);
    const listed = digest.items.map((i) => i.id).sort();
    // Nothing is left waiting, and nothing is in it twice.
    expect(await store.oldestWaiting()).toBeNull();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(expect.arrayContaining(['REQ-R3AAA', 'REQ-R5AAA']));
    expect(await store.get(1)).toEqual(digest);
    expect((await store.unsent()).map((d) => d.number)).toEqual([1]);
    await store.markSent(1);
    expect(await store.unsent()).toEqual([]);
    expect(await store.cut({ dueBy: t + 3 * HOUR, max: 500, now: new Date(), keep: keepAll })).toBeNull();
  });

  it('lists a digested request again when its reminder is due; a request of single mails is reminded by mail', async () => {
    const t = 1_000_000_000_000 + 10 * HOUR;
    expect(await store.requeue('REQ-R0AAA', t)).toBeNull();
    expect(await store.requeue('REQ-R3AAA', t)).toBe(t);
    expect(await other.requeue('REQ-R3AAA', t + 5)).toBe(t);
    const d = await store.cut({ dueBy: t, max: 500, now: new Date(), keep: keepAll });
    expect(d?.items.map((i) => i.id)).toEqual(['REQ-R3AAA']);
    expect(d?.number).toBe(2);
  });
});
