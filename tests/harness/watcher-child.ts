/**
 * A watcher in its own process, for the crash tests: `node --import tsx
 * tests/harness/watcher-child.ts` with WATCHER_CHILD={"env":{...},"tuning":{...}}.
 * Prints one JSON line per watcher event on stdout; SIGTERM/SIGINT stop it
 * gracefully (exit 0), SIGKILL is the crash.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../config/load.ts';
import { silentLogger } from '../../src/adapters/log.ts';
import { startWatcher, type WatcherTuning } from '../../workers/watcher.ts';
import { testTriage } from './ingest.ts';

const spec = JSON.parse(process.env.WATCHER_CHILD ?? '{}') as { env: Record<string, string>; tuning?: WatcherTuning };
const config = loadConfig(spec.env, '/nonexistent/.env');
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const out = (event: string, data: object = {}): void => void process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

const running = await startWatcher({ config, redis, logger: silentLogger, triage: testTriage, tuning: spec.tuning });
running.watcher.on('lock-acquired', () => out('lock-acquired'));
running.watcher.on('connected', () => out('connected'));
running.watcher.on('filed', (o) => out('filed', { uid: o.uid, key: o.key, result: o.result }));
out('started', { pid: process.pid });

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void running
    .close()
    .then(() => redis.quit())
    .then(() => {
      out('stopped');
      process.exit(0);
    });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
