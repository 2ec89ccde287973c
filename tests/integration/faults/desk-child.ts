/**
 * The whole desk (watcher, processor, mailer) in one process, as `coalition
 * start` runs it, for the fault run: `node --import tsx
 * tests/integration/faults/desk-child.ts` with FAULT_DESK={"env":{…}}. It prints
 * one JSON line when it runs; SIGKILL is the crash the run injects, SIGTERM a
 * clean stop. Short locks, so a killed desk's work is picked up again within
 * seconds of the restart.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import { createLogger } from '../../../src/adapters/log.ts';
import { createTriage } from '../../../workers/ports.ts';
import { startMailer } from '../../../workers/mailer.ts';
import { startProcessor } from '../../../workers/processor.ts';
import { startWatcher } from '../../../workers/watcher.ts';

const spec = JSON.parse(process.env.FAULT_DESK ?? '{}') as { env: Record<string, string> };
const config = loadConfig(spec.env, '/nonexistent/.env');
const logger = createLogger(config.LOG_LEVEL);
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
redis.on('error', () => undefined);

const mailer = startMailer({ config, redis, logger, worker: { lockDuration: 2000, stalledInterval: 1000 } });
const processor = await startProcessor({ config, redis, logger, tuning: { lockDuration: 2000, stalledInterval: 1000 } });
const watcher = await startWatcher({
  config,
  redis,
  logger,
  triage: createTriage(config),
  tuning: { lockTtlMs: 1500, lockRetryMs: 200, backoff: { baseMs: 200, maxMs: 2000 } },
});
process.stdout.write(`${JSON.stringify({ event: 'started', pid: process.pid })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await watcher.close();
    await processor.close();
    await mailer.close();
    await redis.quit().catch(() => undefined);
    process.exit(0);
  })();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
