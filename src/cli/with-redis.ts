import type { Redis } from 'ioredis';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { createRedis } from '../adapters/redis/connection.ts';
import { readDeskSettings, withDeskFlow } from './desk-settings.ts';
import { CliError } from './io.ts';

/**
 * Runs a CLI command against the configured Redis. When Redis does not answer
 * within 5 s the command fails with one line instead of retrying for ever.
 * The flow settings (UNDO_WINDOW, APPROVALS_REQUIRED, …) are those of the desk
 * running on this Redis, when one is: a decision made here must act like one
 * made by mail (see desk-settings.ts); a line on stderr says when they differ.
 */
export async function withRedis<T>(fn: (redis: Redis, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = createRedis(config.REDIS_URL, 'coalition-cli');
  redis.on('error', () => undefined);
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new CliError(`Redis at ${new URL(config.REDIS_URL).host} is not answering`)), 5000).unref(),
      ),
    ]);
    const desk = withDeskFlow(config, await readDeskSettings(redis, config.REDIS_PREFIX).catch(() => null));
    if (desk.note) process.stderr.write(`coalition: ${desk.note}\n`);
    return await fn(redis, desk.config);
  } finally {
    redis.disconnect();
  }
}
