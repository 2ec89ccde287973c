import { Dovecot } from './dovecot.ts';
import { SmtpCapture } from './smtp-capture.ts';
import { deletePrefix, startRedis } from './redis.ts';
import { preferredPort } from './ports.ts';
import { Redis } from 'ioredis';

/**
 * The local sandbox that `npm start` runs when no mailbox is configured: a
 * Dovecot with the coalition's mailbox and the coordinators', an SMTP server
 * that delivers what the desk sends into those mailboxes (creating a mailbox
 * for any new recipient), and Redis. Everything stays on 127.0.0.1, and every
 * start begins clean.
 */

export const SANDBOX_PASSWORD = 'sandbox';
export const SANDBOX_PREFIX = 'sandbox';

export interface Sandbox {
  env: Record<string, string>;
  imapPort: number;
  smtpPort: number;
  users: string[];
  stop(): Promise<void>;
}

export async function startSandbox(base: Record<string, string | undefined>): Promise<Sandbox> {
  const info = base.COALITION_ADDRESS ?? 'info@example.org';
  const coordinators = (base.COORDINATORS ?? 'ana@example.org,besa@example.org').split(',').map((s) => s.trim());
  const list = (base.COALITION_LIST ?? 'members@example.org').split(',').map((s) => s.trim()).filter(Boolean);
  const users = [...new Set([info, ...coordinators, ...list].map((a) => a.toLowerCase()))];
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const redis = await startRedis(base.REDIS_URL);
    stops.push(() => redis.stop());
    const r = new Redis(redis.url, { maxRetriesPerRequest: null });
    await deletePrefix(r, SANDBOX_PREFIX);
    await r.quit();
    const dovecot = await Dovecot.start({
      users: Object.fromEntries(users.map((u) => [u, SANDBOX_PASSWORD])),
      imapPort: await preferredPort(3143),
    });
    stops.push(() => dovecot.stop());
    const smtp = await SmtpCapture.start({ dovecot, autoCreateUsers: true, port: await preferredPort(3025) });
    // New recipients get the same password, so a mail client can open their mailbox too.
    const addUser = dovecot.addUser.bind(dovecot);
    dovecot.addUser = (address: string) => addUser(address, SANDBOX_PASSWORD);
    stops.push(() => smtp.stop());
    const env: Record<string, string> = {
      COORDINATOR_AUTH: 'token',
      // A tester writing anything to info@ sees it reach the coordinators, instead of nothing happening.
      UNRELATED_MAIL: 'forward',
      UNDO_WINDOW: '1m',
      ...Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')),
      COALITION_ADDRESS: info,
      COORDINATORS: coordinators.join(','),
      COALITION_LIST: list.join(','),
      REDIS_URL: redis.url,
      REDIS_PREFIX: SANDBOX_PREFIX,
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dovecot.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: info,
      IMAP_PASSWORD: SANDBOX_PASSWORD,
      IMAP_POLL_INTERVAL: '10s',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      PROCESS_SINCE: new Date(0).toISOString(),
    };
    return {
      env,
      imapPort: dovecot.imapPort,
      smtpPort: smtp.port,
      users,
      async stop() {
        for (const s of stops.reverse()) await s().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}
