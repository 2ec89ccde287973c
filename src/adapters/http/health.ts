import net from 'node:net';
import tls from 'node:tls';
import type { Redis } from 'ioredis';

/**
 * Readiness: can this process do its work right now? Redis answers; the
 * mailbox is reachable (the watcher of this process holds the lock and is
 * connected, or it stands by while another watcher holds it); the SMTP server
 * greets. Each probe has a short deadline, so /readyz answers within seconds
 * even when a server hangs.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface WatcherView {
  lockHeld: boolean;
  imapConnected: boolean;
}

export interface ReadinessDeps {
  /** A connection with no offline queue: a command fails at once while Redis is away instead of waiting for it. */
  probe: Redis;
  imap: { host: string; port: number; secure: boolean } | null;
  smtp: { host: string; port: number; secure: boolean } | null;
  /** The watcher of this process, when it runs one. */
  watcher: (() => WatcherView) | null;
  /** The Redis key of the watcher lock. */
  lockKey: string;
  timeoutMs?: number;
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Resolves with the server's first line (an IMAP `* OK`, an SMTP `220`), over TLS when `secure`. */
export function greeting(host: string, port: number, secure: boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = secure ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    const done = (err: Error | null, line?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('data', (b: Buffer) => done(null, b.toString('utf8').split('\r\n')[0]));
    socket.once('error', (err) => done(err));
  });
}

async function redisCheck(d: ReadinessDeps, ms: number): Promise<Check> {
  try {
    const pong = await deadline(d.probe.ping(), ms, 'PING');
    return { name: 'redis', ok: pong === 'PONG', detail: pong === 'PONG' ? 'answers PING' : `answered ${pong}` };
  } catch (err) {
    return { name: 'redis', ok: false, detail: `not reachable: ${(err as Error).message}` };
  }
}

async function greets(name: string, target: ReadinessDeps['imap'], expect: RegExp, ms: number): Promise<Check> {
  if (!target) return { name, ok: false, detail: 'no server configured' };
  try {
    const line = await greeting(target.host, target.port, target.secure, ms);
    return expect.test(line)
      ? { name, ok: true, detail: `${target.host}:${target.port} greets` }
      : { name, ok: false, detail: `${target.host}:${target.port} answered something else than a greeting` };
  } catch (err) {
    return { name, ok: false, detail: `${target.host}:${target.port} not reachable: ${(err as Error).message}` };
  }
}

async function watcherCheck(d: ReadinessDeps, view: WatcherView, ms: number): Promise<Check> {
  if (view.lockHeld) {
    return view.imapConnected
      ? { name: 'watcher', ok: true, detail: 'holds the lock and is connected to the mailbox' }
      : { name: 'watcher', ok: false, detail: 'holds the lock but is not connected to the mailbox' };
  }
  try {
    const holder = await deadline(d.probe.exists(d.lockKey), ms, 'EXISTS');
    return holder
      ? { name: 'watcher', ok: true, detail: 'standby: another watcher holds the lock' }
      : { name: 'watcher', ok: false, detail: 'no watcher holds the lock yet' };
  } catch (err) {
    return { name: 'watcher', ok: false, detail: `cannot read the lock: ${(err as Error).message}` };
  }
}

export async function readiness(d: ReadinessDeps): Promise<{ ready: boolean; checks: Check[] }> {
  const ms = d.timeoutMs ?? 2_000;
  const view = d.watcher?.() ?? null;
  const checks = await Promise.all([
    redisCheck(d, ms),
    // A connected watcher proves the mailbox reachable better than a greeting would.
    view?.imapConnected ? Promise.resolve({ name: 'imap', ok: true, detail: 'the watcher is connected' }) : greets('imap', d.imap, /^\* (OK|PREAUTH)/i, ms),
    greets('smtp', d.smtp, /^220[ -]/, ms),
    ...(view ? [watcherCheck(d, view, ms)] : []),
  ]);
  return { ready: checks.every((c) => c.ok), checks };
}
