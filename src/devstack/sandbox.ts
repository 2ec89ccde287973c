import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Dovecot } from './dovecot.ts';
import { SmtpCapture } from './smtp-capture.ts';
import { answers, deletePrefix, NoRedisServer, startOwnRedis } from './redis.ts';
import { preferredPort } from './ports.ts';

/**
 * The local sandbox that `npm start` runs when no mailbox is configured (and
 * `coalition sandbox` always): a Dovecot where every address logs in with the
 * sandbox password and gets its own mailbox on first login or delivery, an SMTP
 * server that delivers what it receives into those mailboxes, and a Redis of
 * its own. Everything stays on 127.0.0.1, every start begins clean, and stop()
 * leaves nothing behind.
 */

export const SANDBOX_PASSWORD = 'sandbox';
export const SANDBOX_PREFIX = 'sandbox';

/**
 * Settings the sandbox picks for a demonstration, unless the environment names
 * its own. Shown on the banner, because they differ from production's.
 */
export const SANDBOX_DEFAULTS: Readonly<Record<string, string>> = {
  // No DKIM in a local mail world: the token in the Message-ID alone is checked (development only).
  COORDINATOR_AUTH: 'token',
  // A tester writing anything to info@ sees it reach the coordinators, instead of nothing happening.
  UNRELATED_MAIL: 'forward',
  UNDO_WINDOW: '1m',
};

/** Settings the sandbox decides itself: it runs its own mail servers and Redis, whatever the environment says. */
const OWNED = /^(IMAP_(HOST|PORT|SECURE|USER|PASSWORD|MAILBOX|TLS_INSECURE)|SMTP_(HOST|PORT|SECURE|USER|PASSWORD|TLS_INSECURE)|REDIS_(URL|PREFIX)|DKIM_.*|AUTHSERV_ID|PROCESS_SINCE)$/;

export interface Sandbox {
  env: Record<string, string>;
  imapPort: number;
  smtpPort: number;
  /** The addresses the banner names (any other address works too). */
  users: string[];
  /** Where the Redis is, and whether it is the sandbox's own redis-server or a prefix in an external Redis. */
  redis: { url: string; own: boolean; pid: number | null };
  stop(): Promise<void>;
  /** Best effort when the process exits without stop() (a second Ctrl-C): kills the servers, removes their files. */
  stopNow(): void;
}

export async function startSandbox(base: Record<string, string | undefined>): Promise<Sandbox> {
  const info = base.COALITION_ADDRESS ?? 'info@example.org';
  const coordinators = (base.COORDINATORS ?? 'ana@example.org,besa@example.org').split(',').map((s) => s.trim());
  const list = (base.COALITION_LIST ?? 'members@example.org').split(',').map((s) => s.trim()).filter(Boolean);
  const users = [...new Set([info, ...coordinators, ...list].map((a) => a.toLowerCase()))];
  const stops: (() => Promise<unknown>)[] = [];
  const dirs: string[] = [];
  const pids: number[] = [];
  try {
    let redis: Sandbox['redis'];
    let prefix = SANDBOX_PREFIX;
    try {
      const own = await startOwnRedis({ detached: true });
      stops.push(() => own.stop());
      dirs.push(own.dir);
      pids.push(own.pid);
      redis = { url: own.url, own: true, pid: own.pid };
    } catch (err) {
      // No redis-server on this machine: a prefix of its own in the Redis that answers, deleted at stop.
      const external = base.REDIS_URL ?? 'redis://127.0.0.1:6379';
      if (!(err instanceof NoRedisServer) || !(await answers(external))) throw err;
      prefix = `${SANDBOX_PREFIX}-${randomBytes(4).toString('hex')}`;
      redis = { url: external, own: false, pid: null };
      stops.push(async () => {
        const r = new Redis(external, { maxRetriesPerRequest: 1 });
        r.on('error', () => undefined);
        try {
          await deletePrefix(r, prefix);
        } finally {
          r.disconnect();
        }
      });
    }
    const dovecot = await Dovecot.start({
      users: Object.fromEntries(users.map((u) => [u, SANDBOX_PASSWORD])),
      anyUserPassword: SANDBOX_PASSWORD,
      imapPort: await preferredPort(3143),
      detached: true,
    });
    stops.push(() => dovecot.stop());
    dirs.push(dovecot.runDir);
    if (dovecot.pid) pids.push(dovecot.pid);
    const smtp = await SmtpCapture.start({ dovecot, autoCreateUsers: true, port: await preferredPort(3025) });
    stops.push(() => smtp.stop());
    const chosen = Object.fromEntries(
      Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '' && !OWNED.test(e[0])),
    );
    const env: Record<string, string> = {
      ...SANDBOX_DEFAULTS,
      ...chosen,
      COALITION_ADDRESS: info,
      COORDINATORS: coordinators.join(','),
      COALITION_LIST: list.join(','),
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dovecot.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: info,
      IMAP_PASSWORD: SANDBOX_PASSWORD,
      IMAP_POLL_INTERVAL: chosen.IMAP_POLL_INTERVAL ?? '10s',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      PROCESS_SINCE: new Date(0).toISOString(),
      // The status page, health and metrics, on a port people can remember, guarded by a token of this run.
      HTTP_PORT: chosen.HTTP_PORT ?? String(await preferredPort(3080)),
      HTTP_TOKEN: chosen.HTTP_TOKEN ?? randomBytes(12).toString('hex'),
    };
    let stopped: Promise<void> | null = null;
    return {
      env,
      imapPort: dovecot.imapPort,
      smtpPort: smtp.port,
      users,
      redis,
      stop() {
        stopped ??= (async () => {
          for (const s of stops.reverse()) await s().catch(() => undefined);
        })();
        return stopped;
      },
      stopNow() {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}
