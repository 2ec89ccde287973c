/**
 * A watcher whose reading of a message marked `X-Test-Kill-Reader: yes` kills
 * the whole process (SIGKILL), as a reader that escaped every limit would: the
 * crash-loop test restarts it and checks the message is quarantined unread
 * after MAX_UNFINISHED_READINGS deaths. Other mail goes through the real triage.
 * `node --import tsx tests/integration/hostile/dying-reader-child.ts` with
 * DYING_READER_CHILD={"env":{...}}; prints one JSON line per event.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { createTriage } from '../../../workers/ports.ts';
import { startWatcher } from '../../../workers/watcher.ts';

const spec = JSON.parse(process.env.DYING_READER_CHILD ?? '{}') as { env: Record<string, string> };
const config = loadConfig(spec.env, '/nonexistent/.env');
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const out = (event: string, data: object = {}): void => void process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
const real = createTriage(config);

const running = await startWatcher({
  config,
  redis,
  logger: silentLogger,
  triage: async (raw) => {
    if (/^X-Test-Kill-Reader: yes/im.test(raw.toString('latin1', 0, 4096))) {
      out('dying');
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    }
    return real(raw);
  },
  tuning: { lockTtlMs: 1_500, lockRetryMs: 200, backoff: { baseMs: 100, maxMs: 1_000 } },
});
running.watcher.on('filed', (o) => out('filed', { uid: o.uid, key: o.key, result: o.result, disposition: o.disposition, reason: o.reason }));
out('started', { pid: process.pid });
process.once('SIGTERM', () => void running.close().then(() => redis.quit()).then(() => process.exit(0)));
