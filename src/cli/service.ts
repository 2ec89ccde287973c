import type { Config } from '../../config/schema.ts';
import { createRedis } from '../adapters/redis/connection.ts';
import type { Logger } from '../adapters/log.ts';
import { createTriage } from '../app/triage.ts';
import { startMailer } from '../../workers/mailer.ts';
import { startProcessor } from '../../workers/processor.ts';
import { startWatcher } from '../../workers/watcher.ts';
import { publishDeskSettings } from './desk-settings.ts';

export const WORKERS = ['watcher', 'processor', 'mailer'] as const;
export type WorkerName = (typeof WORKERS)[number];

export interface RunningService {
  workers: WorkerName[];
  /** The status page, health and metrics, when HTTP_PORT is set. */
  http: { url: string } | null;
  /** Two-phase shutdown of every worker (each stops taking work, then finishes), then Redis. */
  close(): Promise<void>;
}

/**
 * The one place that wires adapters to workers. The same code runs all workers
 * in one process or a subset per process (`--only`), several processes and
 * machines sharing one Redis.
 */
export async function startService(config: Config, logger: Logger, only: readonly WorkerName[] = WORKERS): Promise<RunningService> {
  const redis = createRedis(config.REDIS_URL, 'coalition-desk');
  redis.on('error', (err: unknown) => logger.warn({ err: (err as Error).message }, 'Redis connection error'));
  const closers: { name: WorkerName; close(): Promise<void> }[] = [];
  try {
    // The mailer first: whatever the processor queues can leave at once.
    if (only.includes('mailer')) closers.push({ name: 'mailer', ...bindClose(startMailer({ config, redis, logger })) });
    if (only.includes('processor')) closers.push({ name: 'processor', ...bindClose(await startProcessor({ config, redis, logger })) });
    if (only.includes('watcher')) {
      const watcher = await startWatcher({ config, redis, logger, triage: createTriage(config) });
      closers.push({ name: 'watcher', ...bindClose(watcher) });
    }
  } catch (err) {
    await closeAll(closers, logger);
    await redis.quit().catch(() => undefined);
    throw err;
  }
  // The CLI decides with the running processor's UNDO_WINDOW and the like.
  const settings = only.includes('processor') ? publishDeskSettings(redis, config, [...only]) : null;
  logger.info({ workers: only }, 'coalition desk running');
  let closing: Promise<void> | null = null;
  return {
    workers: [...only],
    http: null,
    close() {
      closing ??= (async () => {
        await settings?.stop();
        await closeAll(closers, logger);
        await redis.quit().catch(() => undefined);
        logger.info('coalition desk stopped');
      })();
      return closing;
    },
  };
}

function bindClose(x: { close(): Promise<void> }): { close(): Promise<void> } {
  return { close: () => x.close() };
}

async function closeAll(closers: { name: WorkerName; close(): Promise<void> }[], logger: Logger): Promise<void> {
  // The front door closes first (watcher), the mailer last, so in-flight work drains outwards.
  for (const c of [...closers].reverse()) {
    try {
      await c.close();
    } catch (err) {
      logger.error({ err, worker: c.name }, 'worker did not close cleanly');
    }
  }
}
