import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { keyspace } from '../adapters/redis/keys.ts';
import { formatDuration } from '../domain/duration.ts';

/**
 * The settings of the running desk that a decision depends on, published in
 * Redis by every process that runs the processor (renewed while it runs, gone
 * a minute after it stops). `coalition approve|reject|open|close` decide with
 * them, so a decision from the command line waits the same UNDO_WINDOW as one
 * by mail, even when the shell running the command has other settings.
 */

export const DeskSettingsSchema = z.object({
  UNDO_WINDOW: z.number().int().nonnegative(),
  APPROVALS_REQUIRED: z.number().int().positive(),
  REMINDER_AFTER: z.number().int().positive(),
  REQUEST_TTL: z.number().int().positive(),
  COORDINATOR_AUTH: z.enum(['dkim', 'token']),
  host: z.string(),
  pid: z.number().int(),
  since: z.string(),
  workers: z.array(z.string()),
});
export type DeskSettings = z.infer<typeof DeskSettingsSchema>;

export const FLOW_KEYS = ['UNDO_WINDOW', 'APPROVALS_REQUIRED', 'REMINDER_AFTER', 'REQUEST_TTL'] as const;

const TTL_MS = 60_000;

export function deskSettingsKey(prefix: string): string {
  return keyspace(prefix).op('desk', 'settings');
}

/** Publishes this desk's settings now and every 20 s; stop() removes them. */
export function publishDeskSettings(redis: Redis, config: Config, workers: string[]): { stop(): Promise<void> } {
  const key = deskSettingsKey(config.REDIS_PREFIX);
  const value = JSON.stringify({
    UNDO_WINDOW: config.UNDO_WINDOW,
    APPROVALS_REQUIRED: config.APPROVALS_REQUIRED,
    REMINDER_AFTER: config.REMINDER_AFTER,
    REQUEST_TTL: config.REQUEST_TTL,
    COORDINATOR_AUTH: config.COORDINATOR_AUTH,
    host: hostname(),
    pid: process.pid,
    since: new Date().toISOString(),
    workers,
  } satisfies DeskSettings);
  const write = (): Promise<unknown> => redis.set(key, value, 'PX', TTL_MS).catch(() => undefined);
  void write();
  const timer = setInterval(() => void write(), TTL_MS / 3);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // Only our own record: another desk may have written its own since.
      if ((await redis.get(key).catch(() => null)) === value) await redis.del(key).catch(() => undefined);
    },
  };
}

export async function readDeskSettings(redis: Redis, prefix: string): Promise<DeskSettings | null> {
  const raw = await redis.get(deskSettingsKey(prefix));
  if (raw === null) return null;
  const parsed = DeskSettingsSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

/**
 * `config` with the running desk's flow settings, and the one line that says
 * which of them differ from this shell's (null when none does).
 */
export function withDeskFlow(config: Config, desk: DeskSettings | null): { config: Config; note: string | null } {
  if (!desk) return { config, note: null };
  const differ = FLOW_KEYS.filter((k) => desk[k] !== config[k]);
  if (!differ.length) return { config, note: null };
  const show = (k: (typeof FLOW_KEYS)[number], v: number) => (k === 'APPROVALS_REQUIRED' ? String(v) : formatDuration(v));
  return {
    config: { ...config, ...Object.fromEntries(FLOW_KEYS.map((k) => [k, desk[k]])) },
    note: `using the running desk's ${differ.map((k) => `${k}=${show(k, desk[k])}`).join(', ')} (pid ${desk.pid} on ${desk.host}; this shell says ${differ.map((k) => `${k}=${show(k, config[k])}`).join(', ')})`,
  };
}

export const ProcessSchema = z.object({
  host: z.string(),
  pid: z.number().int(),
  since: z.string(),
  workers: z.array(z.string()),
  /** The watcher lock token of this process (matches the lock's value while it watches). */
  lockToken: z.string().nullable(),
  http: z.string().nullable(),
  /** This process's IMAP session: connected, disconnected, standby (another watcher holds the lock); null without a watcher. */
  imap: z.string().nullable().default(null),
});
export type DeskProcess = z.infer<typeof ProcessSchema>;

export function processKey(prefix: string, host: string, pid: number): string {
  return keyspace(prefix).op('desk', 'process', `${host}.${pid}`);
}

/** Every process of a desk says it runs, and what, for the status page (gone a minute after it stops). */
export function publishProcess(
  redis: Redis,
  prefix: string,
  o: { workers: string[]; lockToken: string | null; http: string | null; imap: string | null },
): { update(imap: string): void; stop(): Promise<void> } {
  const key = processKey(prefix, hostname(), process.pid);
  const record: DeskProcess = { host: hostname(), pid: process.pid, since: new Date().toISOString(), ...o };
  const write = (): Promise<unknown> => redis.set(key, JSON.stringify(record), 'PX', TTL_MS).catch(() => undefined);
  void write();
  const timer = setInterval(() => void write(), TTL_MS / 3);
  timer.unref();
  return {
    update(imap) {
      record.imap = imap;
      void write();
    },
    async stop() {
      clearInterval(timer);
      await redis.del(key).catch(() => undefined);
    },
  };
}

/** The processes of the desk on this Redis. */
export async function readProcesses(redis: Redis, prefix: string): Promise<DeskProcess[]> {
  const out: DeskProcess[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', keyspace(prefix).op('desk', 'process', '*'), 'COUNT', 100);
    cursor = next;
    for (const k of keys) {
      const raw = await redis.get(k);
      const parsed = raw ? ProcessSchema.safeParse(JSON.parse(raw)) : null;
      if (parsed?.success) out.push(parsed.data);
    }
  } while (cursor !== '0');
  return out.sort((a, b) => a.since.localeCompare(b.since));
}
