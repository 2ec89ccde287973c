/**
 * APPEND → job-queued latency of the watcher (IDLE path), against the harness
 * stack (real Dovecot + Redis). Not a test: `npx tsx bench/ingest-latency.ts [N]`.
 * Each message is APPENDed only after the previous one was queued, so every
 * figure is one message's trip: APPEND sent → IDLE EXISTS → catch-up → FETCH →
 * triage → MULTI(spool, seen, job). The "queued" moment is BullMQ's own
 * `added` event (QueueEvents), observed from outside the watcher.
 */
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startStack, INFO } from '../tests/harness/stack.ts';
import { imapAs } from '../tests/harness/mailbox.ts';
import { configOf, mail, testTriage } from '../tests/harness/ingest.ts';
import { startWatcher } from '../workers/watcher.ts';
import { silentLogger } from '../src/adapters/log.ts';
import { messageKey } from '../src/adapters/imap/message-key.ts';
import { keyspace } from '../src/adapters/redis/keys.ts';
import { QUEUES } from '../src/contracts/queues.ts';

const N = Number(process.argv[2] ?? 50);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const stack = await startStack();
const conn = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
const events = new QueueEvents(QUEUES.inbound, { connection: conn, prefix: keyspace(stack.prefix).bull });
await events.waitUntilReady();
const w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage });
await new Promise<void>((r) => w.watcher.once('connected', r));
const noticedAt = new Map<number, number>();
w.watcher.on('noticed', (e) => noticedAt.set(e.uid, e.at));

const client = imapAs(stack.dovecot, INFO);
await client.connect();
const queued: number[] = [];
const noticed: number[] = [];
try {
  for (let i = 0; i < N; i++) {
    const raw = mail({ subject: `Latency ${i}` });
    const key = messageKey(/Message-ID: (.+)/.exec(raw)?.[1] ?? null, Buffer.from(raw));
    const added = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message ${i} not queued within 10 s`)), 10_000);
      const on = ({ jobId }: { jobId: string }): void => {
        if (jobId !== key) return;
        clearTimeout(timer);
        events.off('added', on);
        resolve(performance.now());
      };
      events.on('added', on);
    });
    const t0 = performance.now();
    const wall0 = Date.now();
    const res = await client.append('INBOX', raw);
    const t1 = await added;
    queued.push(t1 - t0);
    const n = res && res.uid ? noticedAt.get(res.uid) : undefined;
    if (n) noticed.push(n - wall0);
  }
} finally {
  await client.logout().catch(() => undefined);
  await w.close();
  await events.close();
  await conn.quit();
  await stack.stop();
}

const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(0)} ms  p95 ${pct(s, 95).toFixed(0)} ms  max ${s[s.length - 1]?.toFixed(0)} ms  (n=${s.length})`;
};
console.log(`APPEND → noticed (watcher log): ${fmt(noticed)}`);
console.log(`APPEND → job queued (BullMQ 'added'): ${fmt(queued)}`);
