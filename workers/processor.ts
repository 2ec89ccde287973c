import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DNSResolver } from 'mailauth';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { Spool } from '../src/adapters/imap/spool.ts';
import type { Logger } from '../src/adapters/log.ts';
import { keyspace, type Keyspace } from '../src/adapters/redis/keys.ts';
import { RedisDigestStore } from '../src/adapters/redis/digest-store.ts';
import { RegistryStore } from '../src/adapters/redis/registry-store.ts';
import { RequestStore } from '../src/adapters/redis/request-store.ts';
import { BullOutbox } from '../src/adapters/smtp/outbox.ts';
import { HandlebarsTemplates } from '../src/adapters/templates/handlebars.ts';
import { loadStatementSource } from '../src/adapters/templates/statement-source.ts';
import { Flow, type FlowHook, type TimerScheduler } from '../src/app/flow.ts';
import { setMailTimeZone } from '../src/contracts/mail-catalog.ts';
import { InboundJob, QUEUES } from '../src/contracts/queues.ts';
import { ByteGate } from '../src/app/byte-gate.ts';
import { StatementService } from '../src/app/statement-service.ts';
import { Processor } from './ports.ts';

/** The name of the approval digest's tick on the timers queue (Flow.sendDigests); its data is empty. */
export const DIGEST_JOB = 'digest';

/** A timer job carries ids only; the handler re-reads the request. */
export const TimerJob = z.object({
  requestId: z.string(),
  timer: z.enum(['finalize', 'reminder', 'expiry']),
  seq: z.number().int(),
});

/** The HMAC secret of approval tokens: TOKEN_SECRET, or one generated once and kept in Redis. */
export async function tokenSecret(config: Config, redis: Redis, ks: Keyspace): Promise<string> {
  if (config.TOKEN_SECRET) return config.TOKEN_SECRET;
  const key = ks.op('secret', 'token');
  await redis.set(key, randomBytes(32).toString('hex'), 'NX');
  const secret = await redis.get(key);
  if (!secret) throw new Error('could not read the token secret from Redis');
  return secret;
}

/** Bytes of received mail the processor reads at once (a message larger than this is read alone). */
export const READ_BUDGET_BYTES = 32 * 1024 * 1024;

export interface ProcessorTuning {
  /** BullMQ lock of a running job; a killed worker's job is retried after it (ms). */
  lockDuration?: number;
  stalledInterval?: number;
}

export interface RunningProcessor {
  flow: Flow;
  store: RequestStore;
  close(): Promise<void>;
}

/**
 * The processor worker: consumes `inbound` (PROCESSOR_CONCURRENCY messages at a time)
 * and `timers` (undo windows, reminders, expiry). Wiring and shutdown only;
 * the logic is src/app/processor.ts and src/app/flow.ts.
 */
export interface FlowParts {
  flow: Flow;
  store: RequestStore;
  registry: RegistryStore;
  close(): Promise<void>;
}

/** Everything a request transition needs (also used by `coalition approve|reject`). */
export async function buildFlow(o: {
  config: Config;
  redis: Redis;
  logger: Logger;
  clock?: () => Date;
  hook?: FlowHook;
}): Promise<FlowParts> {
  const { config, redis } = o;
  const log = o.logger;
  const ks = keyspace(config.REDIS_PREFIX);
  const clock = o.clock ?? (() => new Date());
  const secret = await tokenSecret(config, redis, ks);
  setMailTimeZone(config.TIME_ZONE);
  const templates = HandlebarsTemplates.load({
    coalitionName: config.COALITION_NAME,
    coalitionAddress: config.COALITION_ADDRESS,
  });
  const source = loadStatementSource();
  const registry = new RegistryStore(redis, ks, source.founding, clock);
  await registry.seed();
  const outbox = new BullOutbox({ redis, ks, attempts: config.SMTP_RETRY_ATTEMPTS });
  const statements = new StatementService({ registry, outbox, templates, document: source.document, config });
  const store = new RequestStore(redis, ks);
  const timerConn = redis.duplicate();
  timerConn.on('error', (err: unknown) => log.warn({ err }, 'Redis error (timers queue)'));
  const timerQueue = new Queue(QUEUES.timers, { connection: timerConn, prefix: ks.bull });
  timerQueue.on('error', (err: unknown) => log.warn({ err }, 'timers queue error'));
  const timers: TimerScheduler = {
    async schedule(t) {
      await timerQueue.add(t.timer, TimerJob.parse({ requestId: t.requestId, timer: t.timer, seq: t.seq }), {
        jobId: t.jobId,
        delay: Math.max(0, new Date(t.at).getTime() - Date.now()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 5_000 },
        removeOnComplete: { age: 60 * 24 * 3600 },
        removeOnFail: false,
      });
    },
  };
  const spool = new Spool(redis, ks, {
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    maxTotalBytes: config.SPOOL_MAX_BYTES,
  });
  const digests = new RedisDigestStore(redis, ks);
  const digest = {
    store: digests,
    /** A tick of the approval digest: a `digest` job on the timers queue, its id fixed by the caller. */
    async schedule(jobId: string, at: Date) {
      await timerQueue.add(DIGEST_JOB, {}, {
        jobId,
        delay: Math.max(0, at.getTime() - Date.now()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 5_000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: false,
      });
    },
  };
  const flow = new Flow({
    config,
    store,
    outbox,
    templates,
    timers,
    statements,
    secret,
    logger: log,
    clock,
    hook: o.hook,
    original: (key) => spool.get(key),
    digest,
  });
  return {
    flow,
    store,
    registry,
    async close() {
      await Promise.all([timerQueue.close(), outbox.close(), store.close(), digests.close()]);
      await timerConn.quit().catch(() => undefined);
    },
  };
}

export async function startProcessor(o: {
  config: Config;
  redis: Redis;
  logger: Logger;
  resolver?: DNSResolver;
  clock?: () => Date;
  tuning?: ProcessorTuning;
  /** Called at named points of the flow (metrics; crash tests stop the process there). */
  hook?: FlowHook;
  /** Called with the outcome of every received message handled (metrics). */
  onProcessed?: (outcome: string) => void;
}): Promise<RunningProcessor> {
  const { config, redis } = o;
  const log = o.logger.child({ worker: 'processor' });
  const ks = keyspace(config.REDIS_PREFIX);
  const parts = await buildFlow({
    config,
    redis,
    logger: log,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.hook ? { hook: o.hook } : {}),
  });
  const { flow, store, registry } = parts;
  const spool = new Spool(redis, ks, {
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    maxTotalBytes: config.SPOOL_MAX_BYTES,
  });
  const processor = new Processor({ flow, spool, registry, resolver: o.resolver });

  // A store written before the open-request index existed, or whose operational keys were lost.
  const indexed = await store.ensureIndex();
  if (indexed !== null) log.info({ requests: indexed }, 'built the index of open requests');
  // Effects stored by a transition whose process died before performing them.
  const recovered = await flow.recover();
  if (recovered) log.info({ requests: recovered }, 'performed pending effects left by a previous run');

  const workerOpts = {
    prefix: ks.bull,
    // Messages are independent: creation is atomic with its duplicate check, every step idempotent by its id.
    concurrency: config.PROCESSOR_CONCURRENCY,
    lockDuration: o.tuning?.lockDuration ?? 30_000,
    stalledInterval: o.tuning?.stalledInterval ?? 30_000,
    // A job whose worker died is handed out again; handling is idempotent, so a few crashes in a row must not fail it.
    maxStalledCount: 20,
  };
  const inConn = redis.duplicate();
  inConn.on('error', (err: unknown) => log.warn({ err }, 'Redis error (inbound worker)'));
  // A backlog of large messages is read a few at a time, whatever the concurrency (memory stays flat).
  const gate = new ByteGate(READ_BUDGET_BYTES);
  const inbound = new Worker(
    QUEUES.inbound,
    async (job: Job) => {
      const data = InboundJob.parse(job.data);
      return gate.run(data.size, () => processor.handle(data));
    },
    {
      ...workerOpts,
      connection: inConn,
    },
  );
  const tConn = redis.duplicate();
  tConn.on('error', (err: unknown) => log.warn({ err }, 'Redis error (timers worker)'));
  const timerWorker = new Worker(
    QUEUES.timers,
    async (job: Job) => {
      if (job.name === DIGEST_JOB) return `digests sent: ${await flow.sendDigests()}`;
      const t = TimerJob.parse(job.data);
      const res = await flow.apply(t.requestId, { type: 'timer', timer: t.timer, seq: t.seq });
      return res.found && 'changed' in res ? (res.changed ? 'applied' : 'nothing to do') : 'unknown request';
    },
    { ...workerOpts, connection: tConn },
  );
  if (o.onProcessed) {
    const onProcessed = o.onProcessed;
    inbound.on('completed', (_job, result) => onProcessed(String(result)));
  }
  for (const w of [inbound, timerWorker]) {
    w.on('failed', (job, err) => log.error({ err, jobId: job?.id, queue: w.name }, 'job failed'));
    w.on('error', (err) => log.warn({ err, queue: w.name }, 'worker error'));
  }
  log.info('processor started');

  let closing: Promise<void> | null = null;
  return {
    flow,
    store,
    close() {
      closing ??= (async () => {
        // Phase 1: take no new jobs; phase 2: let the running one finish, then close connections.
        await Promise.all([inbound.close(), timerWorker.close()]);
        await parts.close();
        for (const c of [inConn, tConn]) await c.quit().catch(() => undefined);
        log.info('processor stopped');
      })();
      return closing;
    },
  };
}
