import type { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { createRedis } from '../../../src/adapters/redis/connection.ts';
import { keyspace, type Keyspace } from '../../../src/adapters/redis/keys.ts';
import { startMailer, type Mailer, type MailerOptions } from '../../../src/adapters/smtp/mailer.ts';
import { BullOutbox } from '../../../src/adapters/smtp/outbox.ts';
import { HandlebarsTemplates } from '../../../src/adapters/templates/handlebars.ts';
import type { Stack } from '../../harness/stack.ts';

/** Fast retries so an outage of a few seconds is enough to exercise the backoff. */
export const FAST = {
  SMTP_RETRY_DELAY: '250ms',
  SMTP_RETRY_MAX_DELAY: '1s',
  SMTP_RETRY_ATTEMPTS: '40',
  SMTP_RATE_PER_SECOND: '50',
};
/** A killed worker's job is handed out again after ~2 s instead of 30–60 s. */
export const FAST_STALL = { lockDuration: 2000, stalledInterval: 1000 };

export interface Outbound {
  config: Config;
  ks: Keyspace;
  redis: Redis;
  outbox: BullOutbox;
  templates: HandlebarsTemplates;
  startMailer(o?: Partial<MailerOptions>): Mailer;
  /** The environment the config was loaded from (for running the CLI against this stack). */
  config_env(): Record<string, string>;
  close(): Promise<void>;
}

export function outbound(stack: Stack, env: Record<string, string> = {}): Outbound {
  const fullEnv = { ...stack.env, ...FAST, ...env };
  const config = loadConfig(fullEnv, '/nonexistent/.env');
  const ks = keyspace(config.REDIS_PREFIX);
  const redis = createRedis(config.REDIS_URL, 't5');
  const outbox = new BullOutbox({ redis, ks, attempts: config.SMTP_RETRY_ATTEMPTS });
  const templates = HandlebarsTemplates.load({ coalitionName: config.COALITION_NAME, coalitionAddress: config.COALITION_ADDRESS });
  const mailers: Mailer[] = [];
  return {
    config,
    ks,
    redis,
    outbox,
    templates,
    config_env: () => fullEnv,
    startMailer(o = {}) {
      const m = startMailer({ config, redis, logger: silentLogger, worker: FAST_STALL, ...o });
      mailers.push(m);
      return m;
    },
    async close() {
      for (const m of mailers) await m.close().catch(() => undefined);
      await outbox.queue.obliterate({ force: true }).catch(() => undefined);
      await outbox.close();
      redis.disconnect();
    },
  };
}

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Unfolded header block of a raw message. */
export function headersOf(source: Buffer | string): string {
  const s = source.toString();
  return s.slice(0, s.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
}
