/**
 * Runs the mailer in its own process for the crash test (not a test file).
 * MAILER_CHILD = {"env": {...}, "hangAfterSent": true}: prints one JSON line
 * per event; with hangAfterSent it stops right after a mail's sent record is
 * written and before its job completes, so the parent can SIGKILL it there.
 */
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { createRedis } from '../../../src/adapters/redis/connection.ts';
import { startMailer } from '../../../src/adapters/smtp/mailer.ts';
import { FAST_STALL } from './setup.ts';

const { env, hangAfterSent } = JSON.parse(process.env.MAILER_CHILD ?? '{}') as { env: Record<string, string>; hangAfterSent?: boolean };
const config = loadConfig(env, '/nonexistent/.env');
const redis = createRedis(config.REDIS_URL, 't5-child');
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const mailer = startMailer({
  config,
  redis,
  logger: silentLogger,
  worker: FAST_STALL,
  async onSent(mailId) {
    say({ event: 'sent', mailId });
    if (hangAfterSent) await new Promise(() => undefined);
  },
});
mailer.worker.on('completed', (job) => say({ event: 'completed', jobId: job.id }));
await mailer.worker.waitUntilReady();
say({ event: 'ready', pid: process.pid });
