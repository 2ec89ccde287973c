import type { Redis } from 'ioredis';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { createRedis } from '../adapters/redis/connection.ts';
import { CliError } from './io.ts';

/**
 * Runs a CLI command against the configured Redis. When Redis does not answer
 * within 5 s the command fails with one line instead of retrying for ever.
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
    return await fn(redis, config);
  } finally {
    redis.disconnect();
  }
}
