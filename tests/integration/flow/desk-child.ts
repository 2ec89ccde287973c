/**
 * The desk's watcher and processor in their own process, for the crash test:
 * `node --import tsx tests/integration/flow/desk-child.ts` with
 * DESK_CHILD={"env":{…},"pub":"<DKIM key>","crashAt":["created", …]}.
 * At the first flow point whose "<point>:<detail>" contains a crashAt entry
 * not yet used (a Redis SET NX remembers it across restarts), the process
 * SIGKILLs itself: the crash happens exactly there, once.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { createTriage } from '../../../workers/ports.ts';
import { startProcessor } from '../../../workers/processor.ts';
import { startWatcher } from '../../../workers/watcher.ts';
import { resolverFor } from './desk.ts';

const spec = JSON.parse(process.env.DESK_CHILD ?? '{}') as {
  env: Record<string, string>;
  pub: string;
  crashAt: string[];
};
const config = loadConfig(spec.env, '/nonexistent/.env');
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const ks = keyspace(config.REDIS_PREFIX);
const out = (event: string, data: object = {}): void =>
  void process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

const hook = async (point: string, detail: string): Promise<void> => {
  const here = `${point}:${detail}`;
  for (const at of spec.crashAt) {
    if (!here.includes(at)) continue;
    const first = await redis.set(ks.op('test-crash', at), here, 'NX');
    if (first === 'OK') {
      out('crash', { at, here });
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    }
  }
};

await startProcessor({
  config,
  redis,
  logger: silentLogger,
  resolver: resolverFor(spec.pub),
  tuning: { lockDuration: 2000, stalledInterval: 1000 },
  hook,
});
await startWatcher({
  config,
  redis,
  logger: silentLogger,
  triage: createTriage(config),
  tuning: { lockTtlMs: 1500, lockRetryMs: 200 },
});
out('started', { pid: process.pid });
