import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Digest, DigestItem } from '../../domain/digest.ts';
import type { Keyspace } from './keys.ts';
import { WatchingStore } from './watching-store.ts';

/**
 * The approval digest in Redis (durable, under `<prefix>:data:`, saved by `coalition export`):
 *   digest:route:<request id>   'single' | 'digest': where its approval request went (decided once)
 *   digest:recent               sorted set request id → time routed (the rate of APPROVAL_DIGEST)
 *   digest:waiting              sorted set request id → time added: the next digest's requests (a request
 *                               whose reminder is due comes back into it)
 *   digest:seq                  the last digest's number
 *   digest:n:<n>                a digest: its number, time and requests (what a reply to it may decide)
 *   digest:unsent               numbers of digests cut whose mails are not all queued yet
 *
 * Routing sets the route and adds to `waiting` in one MULTI; cutting moves requests from `waiting` into a digest
 * and marks it unsent in one MULTI (WATCH on `waiting` and `seq`, so two processes never cut the same requests).
 * A crash after the cut leaves the digest unsent: the next tick queues its mails again under the same ids.
 */

const DigestSchema = z.object({
  number: z.number().int().min(1),
  at: z.string(),
  items: z.array(z.object({ id: z.string(), seq: z.number().int() })),
});

/** Its own connection, one transaction at a time (WatchingStore). */
export class RedisDigestStore extends WatchingStore {
  constructor(
    redis: Redis,
    private readonly ks: Keyspace,
  ) {
    super(redis);
  }

  private k(...parts: string[]): string {
    return this.ks.data('digest', ...parts);
  }

  private async oldestOn(): Promise<number | null> {
    const first = await this.redis.zrange(this.k('waiting'), '0', '0', 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : null;
  }

  route(
    requestId: string,
    rule: (o: { recent: number; waiting: number }) => 'single' | 'digest',
    o: { now: number; windowMs: number },
  ): Promise<{ route: 'single' | 'digest'; first: boolean; oldest: number | null }> {
    return this.serial(async () => {
      const routeKey = this.k('route', requestId);
      for (let attempt = 0; attempt < 50; attempt++) {
        await this.redis.watch(routeKey, this.k('waiting'));
        const existing = await this.redis.get(routeKey);
        if (existing === 'single' || existing === 'digest') {
          await this.redis.unwatch();
          return { route: existing, first: false, oldest: existing === 'digest' ? await this.oldestOn() : null };
        }
        const since = o.now - o.windowMs;
        const recent = await this.redis.zcount(this.k('recent'), since, '+inf');
        const waiting = await this.redis.zcard(this.k('waiting'));
        const route = rule({ recent: recent + 1, waiting });
        const tx = this.redis
          .multi()
          .set(routeKey, route)
          .zadd(this.k('recent'), o.now, requestId)
          .zremrangebyscore(this.k('recent'), '-inf', `(${since}`);
        if (route === 'digest') tx.zadd(this.k('waiting'), 'NX', o.now, requestId);
        if (await tx.exec()) return { route, first: true, oldest: route === 'digest' ? await this.oldestOn() : null };
      }
      throw new Error(`could not route the approval request of ${requestId}: too much contention`);
    });
  }

  requeue(requestId: string, now: number): Promise<number | null> {
    return this.serial(async () => {
      if ((await this.redis.get(this.k('route', requestId))) !== 'digest') return null;
      await this.redis.zadd(this.k('waiting'), 'NX', now, requestId);
      return this.oldestOn();
    });
  }

  oldestWaiting(): Promise<number | null> {
    return this.serial(() => this.oldestOn());
  }

  cut(o: { dueBy: number; max: number; now: Date; keep: (ids: string[]) => Promise<DigestItem[]> }): Promise<Digest | null> {
    return this.serial(async () => {
      const waitingKey = this.k('waiting');
      for (let attempt = 0; attempt < 50; attempt++) {
        await this.redis.watch(waitingKey, this.k('seq'));
        const oldest = await this.oldestOn();
        if (oldest === null || oldest > o.dueBy) {
          await this.redis.unwatch();
          return null;
        }
        const ids = await this.redis.zrange(waitingKey, '0', String(Math.max(1, o.max) - 1));
        let items: DigestItem[];
        try {
          items = await o.keep(ids);
        } catch (err) {
          await this.redis.unwatch();
          throw err;
        }
        const n = Number((await this.redis.get(this.k('seq'))) ?? '0') + 1;
        const tx = this.redis.multi().zrem(waitingKey, ...ids);
        const digest: Digest = { number: n, at: o.now.toISOString(), items };
        if (items.length) {
          tx.set(this.k('n', String(n)), JSON.stringify(digest)).sadd(this.k('unsent'), String(n)).set(this.k('seq'), String(n));
        }
        if (await tx.exec()) {
          if (items.length) return digest;
          // Every one of them was decided meanwhile: nothing to send; look again (more may be due).
          continue;
        }
      }
      throw new Error('could not cut a digest: too much contention');
    });
  }

  unsent(): Promise<Digest[]> {
    return this.serial(async () => {
      const ns = (await this.redis.smembers(this.k('unsent'))).map(Number).sort((a, b) => a - b);
      const out: Digest[] = [];
      for (const n of ns) {
        const raw = await this.redis.get(this.k('n', String(n)));
        if (raw) out.push(DigestSchema.parse(JSON.parse(raw)));
      }
      return out;
    });
  }

  markSent(n: number): Promise<void> {
    return this.serial(async () => {
      await this.redis.srem(this.k('unsent'), String(n));
    });
  }

  get(n: number): Promise<Digest | null> {
    return this.serial(async () => {
      const raw = await this.redis.get(this.k('n', String(n)));
      return raw ? DigestSchema.parse(JSON.parse(raw)) : null;
    });
  }
}
