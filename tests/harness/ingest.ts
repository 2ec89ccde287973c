import { execFileSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import type { Triage } from '../../src/adapters/imap/ingest.ts';
import type { Logger } from '../../src/adapters/log.ts';
import { QUEUES } from '../../src/contracts/queues.ts';
import { keyspace } from '../../src/adapters/redis/keys.ts';
import { imapAs } from './mailbox.ts';
import { INFO, type Stack } from './stack.ts';

/**
 * Helpers for the ingestion tests: message builders, a stand-in triage, and
 * counters that read what really landed in Redis (jobs, dedup records).
 */

let seq = 0;
/** A small RFC 5322 message with a unique Message-ID unless one is given. */
export function mail(o: { id?: string | null; subject?: string; from?: string; body?: string; date?: Date } = {}): string {
  seq += 1;
  const id = o.id === undefined ? `<m${Date.now()}.${seq}.${Math.random().toString(36).slice(2)}@cso.example.net>` : o.id;
  const lines = [
    `From: ${o.from ?? 'Contact <contact@cso.example.net>'}`,
    'To: info@example.org',
    `Subject: ${o.subject ?? `Request to join ${seq}`}`,
    `Date: ${(o.date ?? new Date()).toUTCString()}`,
    ...(id ? [`Message-ID: ${id}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'We would like to join the coalition.',
    '',
  ];
  return lines.join('\r\n');
}

/**
 * The tests' own triage (the lead's real one lives in src/app/triage.ts):
 * quarantine without a header block or without From/Message-ID-looking
 * headers, "ignored" for auto-replies, otherwise processed.
 */
export const testTriage: Triage = async (raw) => {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end <= 0) return { disposition: 'quarantine', reason: 'no header block', messageId: null };
  const header = text.slice(0, end);
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(header)) return { disposition: 'quarantine', reason: 'not a header block', messageId: null };
  const from = /^from:\s*(.+)$/im.exec(header);
  const mid = /^message-id:\s*(.+)$/im.exec(header);
  if (!from && !mid) return { disposition: 'quarantine', reason: 'no From or Message-ID header', messageId: null };
  const messageId = mid?.[1]?.trim() ?? null;
  const subject = /^subject:\s*(.*)$/im.exec(header)?.[1] ?? '';
  if (/^automatic reply/i.test(subject)) return { disposition: 'ignored', reason: 'auto-reply', messageId };
  return { disposition: 'processed', reason: 'looks like mail', messageId };
};

export function configOf(stack: Stack, env: Record<string, string> = {}): Config {
  return loadConfig({ ...stack.env, ...env }, '/nonexistent/.env');
}

/** Dovecot's Maildir uses "." between folder levels. */
export const FOLDERS = { processed: 'Coalition.Processed', ignored: 'Coalition.Ignored', quarantine: 'Coalition.Quarantine' };

export interface QueueProbe {
  queue: Queue;
  /** Every job in the inbound queue, whatever its state. */
  jobs(): Promise<{ id: string; data: Record<string, unknown> }[]>;
  /** Number of jobs in the inbound queue (cheap: counts only). */
  jobCount(): Promise<number>;
  /** Number of dedup records under the prefix. */
  seenCount(): Promise<number>;
  close(): Promise<void>;
}

export function probeQueue(stack: Stack): QueueProbe {
  const ks = keyspace(stack.prefix);
  const conn = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.inbound, { connection: conn, prefix: ks.bull });
  return {
    queue,
    async jobs() {
      const jobs = await queue.getJobs(['wait', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children'], 0, -1, true);
      return jobs.map((j) => ({ id: String(j.id), data: j.data as Record<string, unknown> }));
    },
    async jobCount() {
      const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async seenCount() {
      let cursor = '0';
      let n = 0;
      do {
        const [next, keys] = await stack.redis.scan(cursor, 'MATCH', `${ks.op('ingest', 'seen')}:*`, 'COUNT', 1000);
        cursor = next;
        n += keys.length;
      } while (cursor !== '0');
      return n;
    },
    async close() {
      await queue.close();
      await conn.quit();
    },
  };
}

export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A logger that keeps its JSON lines in memory, for tests that read the logs. */
export function memoryLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = {
    write(s: string) {
      for (const l of s.split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
  return { logger: pino({ level }, stream), lines };
}

/** Appends many messages over one IMAP connection (a new login per message is slow). */
export async function appendMany(stack: Stack, raws: (string | Buffer)[], folder = 'INBOX', idate?: Date): Promise<void> {
  const c = imapAs(stack.dovecot, INFO);
  await c.connect();
  try {
    for (const raw of raws) {
      const res = await c.append(folder, raw, [], idate);
      if (!res) throw new Error(`APPEND to ${folder} failed`);
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** Number of messages in a folder of the coalition mailbox (0 when it does not exist). */
export async function countIn(stack: Stack, folder: string): Promise<number> {
  const c = imapAs(stack.dovecot, INFO);
  await c.connect();
  try {
    const st = await c.status(folder, { messages: true }).catch(() => false as const);
    return st ? (st.messages ?? 0) : 0;
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/**
 * Ends the server side of every open IMAP session of this Dovecot (the imap
 * processes it forked for the watcher), as a restart with shutdown_clients
 * does. halt() alone stops the master but lets running sessions live on.
 */
export function killImapSessions(stack: Stack, signal: NodeJS.Signals = 'SIGKILL'): number[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${stack.dovecot.imapPort} )`]).toString();
  const pids = [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  return pids;
}
