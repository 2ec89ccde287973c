import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keyspace } from './keys.ts';

/**
 * `coalition export` / `import`: every key under `<prefix>:data:` (the
 * registry, statement versions, request history, sent-mail records — whatever
 * any part of the service keeps there), generically by Redis type, so a new
 * kind of durable data is backed up without touching this file. Keys are
 * stored without the prefix, so a backup can be restored under another one.
 * With them go the requests' pending effects (`outbox:<id>`, `outboxes`: mails,
 * timers and registry changes stored with a transition and not yet performed),
 * so a restore can perform them. Other operational keys (queues, locks,
 * checkpoints, the spool) are not exported: after an import, `coalition import`
 * schedules every timer again from the requests (src/app/restore.ts) and
 * performs the pending effects. Stream consumer groups are not kept (entries are).
 */

export const BACKUP_FORMAT = 'coalition-desk-backup';
export const BACKUP_VERSION = 1;

const Str = z.object({ type: z.literal('string'), value: z.string(), base64: z.boolean().optional() });
const Hash = z.object({ type: z.literal('hash'), value: z.record(z.string(), z.string()) });
const List = z.object({ type: z.literal('list'), value: z.array(z.string()) });
const SetT = z.object({ type: z.literal('set'), value: z.array(z.string()) });
/** Scores as Redis prints them ("1.5", "inf"), so they round-trip exactly. */
const ZSet = z.object({ type: z.literal('zset'), value: z.array(z.tuple([z.string(), z.string()])) });
const Stream = z.object({ type: z.literal('stream'), value: z.array(z.tuple([z.string(), z.array(z.string())])) });
const Entry = z.intersection(
  z.object({ key: z.string().min(1), pttl: z.number().int().positive().optional() }),
  z.discriminatedUnion('type', [Str, Hash, List, SetT, ZSet, Stream]),
);
export type BackupEntry = z.infer<typeof Entry>;

export const BackupSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  exportedAt: z.string(),
  /** Prefix the data was exported from (informational; import uses its own). */
  prefix: z.string(),
  keys: z.array(Entry),
});
export type Backup = z.infer<typeof BackupSchema>;

export class BackupError extends Error {
  constructor(
    readonly code: 'BACKUP_INVALID' | 'DATA_EXISTS' | 'BACKUP_UNSUPPORTED_TYPE',
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

async function dataKeys(redis: Redis, ks: Keyspace): Promise<string[]> {
  const keys = new Set<string>();
  // The prefix is [A-Za-z0-9_-] only (config), so it holds no glob characters.
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${ks.data()}:*`, 'COUNT', 500);
    cursor = next;
    for (const k of batch) keys.add(k);
  } while (cursor !== '0');
  return [...keys].sort();
}

/** The requests' pending effects (see request-store.ts): operational, but lost work if left out of a backup. */
async function pendingEffectKeys(redis: Redis, ks: Keyspace): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${ks.op('outbox')}:*`, 'COUNT', 500);
    cursor = next;
    for (const k of batch) keys.add(k);
  } while (cursor !== '0');
  if ((await redis.exists(ks.op('outboxes'))) === 1) keys.add(ks.op('outboxes'));
  return [...keys].sort();
}

async function backedUpKeys(redis: Redis, ks: Keyspace): Promise<string[]> {
  return [...(await dataKeys(redis, ks)), ...(await pendingEffectKeys(redis, ks))].sort();
}

/** Relative key names a backup may hold: durable data, and the pending effects. */
function isBackupKey(rel: string): boolean {
  return rel.startsWith('data:') || rel === 'outboxes' || /^outbox:[^:]+$/.test(rel);
}

function utf8OrBase64(buf: Buffer): { value: string; base64?: boolean } {
  const s = buf.toString('utf8');
  return Buffer.from(s, 'utf8').equals(buf) ? { value: s } : { value: buf.toString('base64'), base64: true };
}

type RedisType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream' | 'none';
const TYPES = new Set<string>(['string', 'hash', 'list', 'set', 'zset', 'stream']);

/**
 * Reads every key in one MULTI, so the backup is one moment of the data: a
 * registry change that lands while the export runs (an approval writes
 * version:n, current and applied together) is in it entirely or not at all.
 * Null when a key changed type since `types` was read (the caller retries).
 */
async function readSnapshot(redis: Redis, keys: string[], types: RedisType[], strip: string): Promise<BackupEntry[] | null> {
  const m = redis.multi();
  keys.forEach((key, i) => {
    m.type(key);
    m.pttl(key);
    switch (types[i]) {
      case 'string':
        m.getBuffer(key);
        break;
      case 'hash':
        m.hgetall(key);
        break;
      case 'list':
        m.lrange(key, 0, -1);
        break;
      case 'set':
        m.smembers(key);
        break;
      case 'zset':
        m.zrange(key, '0', '-1', 'WITHSCORES');
        break;
      case 'stream':
        m.xrange(key, '-', '+');
        break;
      default:
        m.exists(key); // gone before its type was read: a placeholder keeps three replies per key
    }
  });
  const res = await m.exec();
  if (!res) return null;
  const out: BackupEntry[] = [];
  for (let i = 0; i < keys.length; i++) {
    const [[e1, type], [e2, pttlRaw], [e3, value]] = res.slice(i * 3, i * 3 + 3) as [[Error | null, unknown], [Error | null, unknown], [Error | null, unknown]];
    if (type === 'none') continue; // deleted since the scan; the caller's second scan notices
    if (type !== types[i]) return null;
    const err = e1 ?? e2 ?? e3;
    if (err) throw err;
    const key = keys[i] as string;
    const rel = key.slice(strip.length);
    const pttl = Number(pttlRaw);
    const ttl = pttl > 0 ? { pttl } : {};
    switch (type) {
      case 'string':
        out.push({ key: rel, type, ...utf8OrBase64(value as Buffer), ...ttl });
        break;
      case 'hash':
        out.push({ key: rel, type, value: value as Record<string, string>, ...ttl });
        break;
      case 'list':
        out.push({ key: rel, type, value: value as string[], ...ttl });
        break;
      case 'set':
        out.push({ key: rel, type, value: (value as string[]).sort(), ...ttl });
        break;
      case 'zset': {
        const flat = value as string[];
        const pairs: [string, string][] = [];
        for (let j = 0; j < flat.length; j += 2) pairs.push([flat[j] as string, flat[j + 1] as string]);
        out.push({ key: rel, type, value: pairs, ...ttl });
        break;
      }
      case 'stream':
        out.push({ key: rel, type, value: value as [string, string[]][], ...ttl });
        break;
    }
  }
  return out;
}

const sameKeys = (a: string[], b: string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

/**
 * A consistent backup of every data key, safe to take while the service runs:
 * scan, read all keys in one MULTI, scan again. When the second scan finds
 * other keys (a version written in between, whose `current` pointer the MULTI
 * may already have seen), it starts over, so a backup never holds a `current`
 * without its version.
 */
export async function exportData(redis: Redis, ks: Keyspace, now = new Date()): Promise<Backup> {
  const strip = `${ks.prefix}:`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const keys = await backedUpKeys(redis, ks);
    const types: RedisType[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type !== 'none' && !TYPES.has(type)) {
        throw new BackupError('BACKUP_UNSUPPORTED_TYPE', `${key} has type ${type}, which export does not support`);
      }
      types.push(type as RedisType);
    }
    const out = await readSnapshot(redis, keys, types, strip);
    if (out && sameKeys(keys, await backedUpKeys(redis, ks))) {
      return { format: BACKUP_FORMAT, version: BACKUP_VERSION, exportedAt: now.toISOString(), prefix: ks.prefix, keys: out };
    }
  }
  throw new Error('export could not take a consistent snapshot: the data kept changing');
}

export function parseBackup(json: string): Backup {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new BackupError('BACKUP_INVALID', `not JSON: ${(err as Error).message}`);
  }
  const r = BackupSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BackupError('BACKUP_INVALID', `not a coalition backup (${i?.path.join('.') || 'root'}: ${i?.message ?? 'invalid'})`);
  }
  for (const e of r.data.keys) {
    if (!isBackupKey(e.key)) throw new BackupError('BACKUP_INVALID', `key ${e.key} is not under data: (nor a pending effect)`);
  }
  return r.data;
}

/**
 * Restores a backup under this prefix in one MULTI. Refuses when any data key
 * exists, unless `force`, which first deletes every existing data key so the
 * result is exactly the backup. The caller then rebuilds what is not in it
 * (timers) and performs the pending effects: see rebuildAfterRestore.
 */
export async function importData(redis: Redis, ks: Keyspace, backup: Backup, o: { force?: boolean } = {}): Promise<{ keys: number; replaced: number }> {
  const existing = await dataKeys(redis, ks);
  if (existing.length && !o.force) {
    throw new BackupError('DATA_EXISTS', `${existing.length} data key(s) already exist under ${ks.data()}; use --force to replace them`);
  }
  // Pending effects left under this prefix belong to the data being replaced (or to none): they go too.
  const stale = await pendingEffectKeys(redis, ks);
  const m = redis.multi();
  for (const k of [...existing, ...stale]) m.del(k);
  for (const e of backup.keys) {
    const key = `${ks.prefix}:${e.key}`;
    m.del(key);
    switch (e.type) {
      case 'string':
        m.set(key, e.base64 ? Buffer.from(e.value, 'base64') : e.value);
        break;
      case 'hash':
        if (Object.keys(e.value).length) m.hset(key, e.value);
        break;
      case 'list':
        if (e.value.length) m.rpush(key, ...e.value);
        break;
      case 'set':
        if (e.value.length) m.sadd(key, ...e.value);
        break;
      case 'zset':
        for (const [member, score] of e.value) m.zadd(key, score, member);
        break;
      case 'stream':
        for (const [id, fields] of e.value) m.xadd(key, id, ...fields);
        break;
    }
    if (e.pttl) m.pexpire(key, e.pttl);
  }
  const res = await m.exec();
  const failed = res?.find(([err]) => err);
  if (!res || failed) throw new Error(`import failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  return { keys: backup.keys.length, replaced: existing.length };
}
