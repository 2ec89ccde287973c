import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Dovecot, type DovecotOptions } from '../../src/devstack/dovecot.ts';
import { SmtpCapture, type SmtpCaptureOptions } from '../../src/devstack/smtp-capture.ts';
import { deletePrefix, startRedis, type DevRedis } from '../../src/devstack/redis.ts';

/**
 * One throw-away mail world for an integration test file: Dovecot (IMAP+LMTP)
 * with mailboxes for the coalition, two coordinators, CSOs and the coalition
 * list; an SMTP capture that delivers into them; and an isolated Redis key
 * prefix (flushed only for its own keys). stop() ends all of it, even after a
 * failed test.
 */

export const INFO = 'info@example.org';
export const COORDINATOR_A = 'ana@coord.example.org';
export const COORDINATOR_B = 'besa@coord.example.org';
export const LIST = 'members@lists.example.org';
export const CSO = 'contact@cso.example.net';

export interface Stack {
  dovecot: Dovecot;
  smtp: SmtpCapture;
  redisUrl: string;
  prefix: string;
  redis: Redis;
  /** Environment for loadConfig() that points the service at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStack(
  o: {
    users?: Record<string, string>;
    env?: Record<string, string>;
    /** Further Dovecot options (OAuth, capabilities, separator, mail log). */
    dovecot?: Omit<DovecotOptions, 'users'>;
    /** Further SMTP capture options (OAuth). */
    smtp?: Omit<SmtpCaptureOptions, 'dovecot'>;
  } = {},
): Promise<Stack> {
  const users = {
    [INFO]: 'info-secret',
    [COORDINATOR_A]: 'ana-secret',
    [COORDINATOR_B]: 'besa-secret',
    [LIST]: 'list-secret',
    [CSO]: 'cso-secret',
    ...o.users,
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const devRedis: DevRedis = await startRedis();
    cleanups.push(() => devRedis.stop());
    const prefix = `t-${process.pid}-${randomBytes(4).toString('hex')}`;
    const redis = new Redis(devRedis.url, { maxRetriesPerRequest: null });
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      await redis.quit();
    });
    const dovecot = await Dovecot.start({ ...o.dovecot, users });
    cleanups.push(() => dovecot.stop());
    const smtp = await SmtpCapture.start({ autoCreateUsers: true, ...o.smtp, dovecot });
    cleanups.push(() => smtp.stop());
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      REDIS_URL: devRedis.url,
      REDIS_PREFIX: prefix,
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dovecot.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: INFO,
      IMAP_PASSWORD: users[INFO] as string,
      IMAP_POLL_INTERVAL: '2s',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      COALITION_ADDRESS: INFO,
      COORDINATORS: `${COORDINATOR_A},${COORDINATOR_B}`,
      COALITION_LIST: LIST,
      COORDINATOR_AUTH: 'token',
      TOKEN_SECRET: randomBytes(32).toString('hex'),
      PROCESS_SINCE: '2000-01-01',
      ...o.env,
    };
    return {
      dovecot,
      smtp,
      redisUrl: devRedis.url,
      prefix,
      redis,
      env,
      async stop() {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
