/**
 * Every Redis key the service writes starts with its prefix (REDIS_PREFIX), so
 * several desks or test runs share one Redis. Durable domain data (registry,
 * statement versions, requests, audit) lives under `<prefix>:data:` and is what
 * `coalition export` saves; everything else (queues, spool, checkpoints, locks)
 * is operational and can be rebuilt.
 */
export function keyspace(prefix: string) {
  return {
    prefix,
    data: (...parts: string[]) => [prefix, 'data', ...parts].join(':'),
    op: (...parts: string[]) => [prefix, ...parts].join(':'),
    /** BullMQ's own prefix for our queues. */
    bull: `${prefix}:bull`,
  };
}

export type Keyspace = ReturnType<typeof keyspace>;
