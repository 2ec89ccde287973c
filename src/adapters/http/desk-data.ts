import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from '../../contracts/queues.ts';
import { REQUEST_STATUSES, type RequestRecord } from '../../domain/request.ts';
import { foundingVersion, type StatementDocument, type StatementVersion } from '../../domain/statement.ts';
import { ingestKeys } from '../imap/wiring.ts';
import { keyspace, type Keyspace } from '../redis/keys.ts';
import { RegistryStore } from '../redis/registry-store.ts';
import { RequestStore } from '../redis/request-store.ts';
import { loadStatementSource } from '../templates/statement-source.ts';

/**
 * What the status page, the metrics and Bull Board read: requests, the
 * statement's versions, the queues and the watcher lock, straight from Redis,
 * so any process of the desk shows the same (they share one Redis). Reading
 * never seeds or changes anything.
 */

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

export interface QueueDepth {
  queue: string;
  state: string;
  count: number;
}

export class DeskData {
  readonly ks: Keyspace;
  readonly store: RequestStore;
  readonly registry: RegistryStore;
  readonly document: StatementDocument;
  readonly queues: Queue[];
  readonly lockKey: string;
  private readonly founding;
  private readonly conn: Redis;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    mailbox: string,
  ) {
    this.ks = keyspace(prefix);
    this.store = new RequestStore(redis, this.ks);
    const source = loadStatementSource();
    this.document = source.document;
    this.founding = source.founding;
    this.registry = new RegistryStore(redis, this.ks, source.founding);
    this.conn = redis.duplicate();
    this.conn.on('error', () => undefined);
    this.queues = Object.values(QUEUES).map((name) => {
      const q = new Queue(name, { connection: this.conn, prefix: this.ks.bull });
      q.on('error', () => undefined);
      return q;
    });
    this.lockKey = ingestKeys(this.ks).lock(mailbox);
  }

  requests(): Promise<RequestRecord[]> {
    return this.store.list();
  }

  async requestsByStatus(): Promise<Record<string, number>> {
    const counts: Record<string, number> = Object.fromEntries(REQUEST_STATUSES.map((s) => [s, 0]));
    for (const r of await this.requests()) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  }

  async queueDepths(): Promise<QueueDepth[]> {
    const out: QueueDepth[] = [];
    for (const q of this.queues) {
      const counts = await q.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) out.push({ queue: q.name, state, count: counts[state] ?? 0 });
    }
    return out;
  }

  /** Every statement version, oldest first; the founding one (not yet stored) when the registry is empty. */
  async versions(): Promise<StatementVersion[]> {
    const stored = await this.registry.versions();
    return stored.length ? stored : [foundingVersion(this.founding, new Date())];
  }

  async current(): Promise<StatementVersion> {
    return (await this.registry.current()) ?? foundingVersion(this.founding, new Date());
  }

  /** The watcher lock: whether someone holds it and for how much longer. */
  async lock(): Promise<{ held: boolean; token: string | null; ttlMs: number | null }> {
    const [token, ttl] = await Promise.all([this.redis.get(this.lockKey), this.redis.pttl(this.lockKey)]);
    return { held: token !== null, token, ttlMs: ttl >= 0 ? ttl : null };
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close().catch(() => undefined)));
    await this.store.close();
    await this.conn.quit().catch(() => undefined);
  }
}
