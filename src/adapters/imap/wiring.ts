import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../../config/schema.ts';
import { QUEUES } from '../../contracts/queues.ts';
import type { Logger } from '../log.ts';
import { keyspace, type Keyspace } from '../redis/keys.ts';
import { CheckpointStore, resolveProcessSince } from './checkpoint.ts';
import { Ingestor, type Triage } from './ingest.ts';
import { IngestLedger } from './ledger.ts';
import { Spool } from './spool.ts';

/** Most recent quarantine records kept in `<prefix>:quarantine`. */
export const QUARANTINE_MAX = 1000;

/** Redis keys of the ingestion, all operational (rebuildable), under the desk's prefix. */
export function ingestKeys(ks: Keyspace) {
  return {
    checkpoint: (mailbox: string) => ks.op('imap', 'checkpoint', mailbox),
    processSince: ks.op('imap', 'process-since'),
    lock: (mailbox: string) => ks.op('imap', 'lock', mailbox),
  };
}

export interface IngestParts {
  ks: Keyspace;
  queue: Queue;
  spool: Spool;
  ledger: IngestLedger;
  checkpoints: CheckpointStore;
  ingestor: Ingestor;
  processSince: Date;
  /** Closes the queue and the connection created here (not the caller's `redis`). */
  close(): Promise<void>;
}

/**
 * The Redis side of ingestion, shared by the watcher and `coalition backfill`.
 * The queue gets a connection of its own, because the ledger's WATCH/MULTI
 * must run on the connection that queues the job and nothing else may use it.
 */
export async function createIngestParts(o: {
  config: Config;
  redis: Redis;
  logger: Logger;
  triage: Triage;
  jobOptions?: JobsOptions;
}): Promise<IngestParts> {
  const { config, redis } = o;
  const ks = keyspace(config.REDIS_PREFIX);
  const keys = ingestKeys(ks);
  const conn = redis.duplicate({ connectionName: 'coalition-watcher' });
  conn.on('error', (err: unknown) => o.logger.warn({ err }, 'Redis connection error (watcher)'));
  const queue = new Queue(QUEUES.inbound, { connection: conn, prefix: ks.bull });
  queue.on('error', (err: unknown) => o.logger.warn({ err }, 'inbound queue error'));
  await queue.waitUntilReady();
  const spool = new Spool(redis, ks, { maxMessageBytes: config.MAX_MESSAGE_BYTES, maxTotalBytes: config.SPOOL_MAX_BYTES });
  const ledger = new IngestLedger(conn, queue, ks, spool, { quarantineMax: QUARANTINE_MAX, jobOptions: o.jobOptions });
  const checkpoints = new CheckpointStore(redis, keys.checkpoint);
  const processSince = await resolveProcessSince(redis, keys.processSince, config.PROCESS_SINCE);
  const ingestor = new Ingestor(ledger, o.triage, o.logger, { mailbox: config.IMAP_MAILBOX, maxMessageBytes: config.MAX_MESSAGE_BYTES });
  return {
    ks,
    queue,
    spool,
    ledger,
    checkpoints,
    ingestor,
    processSince,
    async close() {
      await queue.close().catch(() => undefined);
      await conn.quit().catch(() => conn.disconnect());
    },
  };
}
