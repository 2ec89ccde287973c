import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../src/adapters/log.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../src/adapters/imap/backoff.ts';
import { imapSettings } from '../src/adapters/imap/connect.ts';
import type { Triage } from '../src/adapters/imap/ingest.ts';
import { RedisLock } from '../src/adapters/imap/lock.ts';
import { MailboxWatcher } from '../src/adapters/imap/watcher.ts';
import { createIngestParts, ingestKeys, type IngestParts } from '../src/adapters/imap/wiring.ts';

/** Timings a test or an operator may tighten; the defaults suit production. */
export interface WatcherTuning {
  /** Lock TTL: how long a dead watcher blocks a standby (ms). Default 10 s. */
  lockTtlMs?: number;
  /** How often a standby tries to take over (ms). Default 1 s. */
  lockRetryMs?: number;
  /** NOOP/connect answer deadline (ms). Default 10 s. */
  healthTimeoutMs?: number;
  backoff?: BackoffOptions;
  batchSize?: number;
}

export interface RunningWatcher {
  watcher: MailboxWatcher;
  parts: IngestParts;
  /** The lock that lets one watcher at a time follow the mailbox (its token names this instance). */
  lock: RedisLock;
  /** Two-phase stop: no new mail, the hand-off in flight finishes, lock released, LOGOUT, queue closed. */
  close(): Promise<void>;
}

/**
 * The watcher worker: wiring and shutdown only (the engine is
 * src/adapters/imap). `redis` stays the caller's; what is opened here is
 * closed by close().
 */
export async function startWatcher(o: {
  config: Config;
  redis: Redis;
  logger: Logger;
  triage: Triage;
  tuning?: WatcherTuning;
}): Promise<RunningWatcher> {
  const { config, logger } = o;
  const t = o.tuning ?? {};
  const imap = imapSettings(config);
  const log = logger.child({ worker: 'watcher' });
  const parts = await createIngestParts({ config, redis: o.redis, logger: log, triage: o.triage });
  const lock = new RedisLock(o.redis, ingestKeys(parts.ks).lock(config.IMAP_MAILBOX), { ttlMs: t.lockTtlMs ?? 10_000 });
  const watcher = new MailboxWatcher(imap, lock, parts.checkpoints, parts.ingestor, log, {
    mailbox: config.IMAP_MAILBOX,
    folders: { processed: config.FOLDER_PROCESSED, ignored: config.FOLDER_IGNORED, quarantine: config.FOLDER_QUARANTINE },
    processSince: parts.processSince,
    pollIntervalMs: config.IMAP_POLL_INTERVAL,
    healthTimeoutMs: t.healthTimeoutMs ?? 10_000,
    lockRetryMs: t.lockRetryMs ?? 1_000,
    backoff: t.backoff ?? DEFAULT_BACKOFF,
    batchSize: t.batchSize ?? 100,
  });
  log.info({ mailbox: config.IMAP_MAILBOX, processSince: parts.processSince.toISOString() }, 'watcher starting');
  watcher.start();
  let closing: Promise<void> | null = null;
  return {
    watcher,
    parts,
    lock,
    close() {
      closing ??= (async () => {
        await watcher.close();
        await parts.close();
        log.info('watcher stopped');
      })();
      return closing;
    },
  };
}
