import { Redis } from 'ioredis';

/** An ioredis connection as BullMQ wants it (no per-command retry limit on blocking clients). */
export function createRedis(url: string, name = 'coalition'): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
}
