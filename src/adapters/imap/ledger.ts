import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { InboundJob } from '../../contracts/queues.ts';
import type { Keyspace } from '../redis/keys.ts';
import type { Disposition } from './folders.ts';
import type { Spool } from './spool.ts';

/**
 * The durable record that a message was handed off: `<prefix>:ingest:seen:<key>`.
 * It is written in the same MULTI as the spooled copy and the BullMQ job, so
 * the three exist together or not at all, and the WATCH on it makes a second
 * watcher (or this one after a crash) see it and queue nothing. BullMQ's jobId
 * dedup stops working once a job is removed; this record does not.
 */
export interface SeenRecord {
  key: string;
  /** Where it went; 'leave' when it was left in the watched mailbox (then `queued` is false). */
  folder: Disposition;
  queued: boolean;
  mailbox: string;
  uidValidity: string;
  uid: number;
  messageId: string | null;
  reason: string;
  at: string;
}

export interface QuarantineRecord {
  key: string;
  mailbox: string;
  uidValidity: string;
  uid: number;
  size: number;
  messageId: string | null;
  reason: string;
  at: string;
}

export type HandOffResult = 'queued' | 'recorded' | 'duplicate';

/** An unfinished reading is forgotten after this: a message moved away by hand leaves no record for ever. */
const READING_TTL_SECONDS = 7 * 24 * 3600;

/** The job name of every inbound job. */
export const INBOUND_JOB_NAME = 'message';

export const DEFAULT_INBOUND_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5_000 },
  // Completed jobs may go: the seen record keeps deduplicating after they are removed.
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: false,
};

interface TxLike {
  set(...args: (string | number)[]): unknown;
  lpush(key: string, ...values: string[]): unknown;
  ltrim(key: string, start: number, stop: number): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export class IngestLedger {
  /** WATCH state belongs to the connection: transactions on it run one at a time. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    /** The connection the queue uses: WATCH and MULTI must share it. */
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly ks: Keyspace,
    private readonly spool: Spool,
    private readonly o: { quarantineMax: number; jobOptions?: JobsOptions },
  ) {}

  seenKey(key: string): string {
    return this.ks.op('ingest', 'seen', key);
  }

  get quarantineKey(): string {
    return this.ks.op('quarantine');
  }

  async seen(key: string): Promise<SeenRecord | null> {
    const v = await this.redis.get(this.seenKey(key));
    return v ? (JSON.parse(v) as SeenRecord) : null;
  }

  /**
   * Spools the raw message, queues its job and writes the seen record, in one
   * transaction; 'duplicate' (and nothing written) when the key was seen before.
   */
  async handOff(raw: Buffer, job: InboundJob, record: SeenRecord, reading?: string | null): Promise<HandOffResult> {
    await this.spool.check(raw.length);
    return this.inTransaction(record.key, async (tx) => {
      this.spool.putIn(tx as unknown as Parameters<Spool['putIn']>[0], job.key, raw, reading);
      tx.set(this.seenKey(record.key), JSON.stringify(record));
      // The id is the constructor's 5th argument: opts.jobId is only read by Queue.add/Job.create.
      const j = new Job(this.queue, INBOUND_JOB_NAME, job, { ...DEFAULT_INBOUND_JOB_OPTIONS, ...this.o.jobOptions, jobId: job.key }, job.key);
      // Queues BullMQ's addJob script on the transaction (as FlowProducer does); it runs at EXEC.
      await j.addJob(tx as unknown as Parameters<Job['addJob']>[0]);
      return 'queued';
    });
  }

  /**
   * Records a message the desk leaves in the mailbox (not its business): the seen
   * record alone, no spool and no job, so a rescan or a backfill finds it handled.
   */
  async leave(record: SeenRecord): Promise<HandOffResult> {
    return this.inTransaction(record.key, async (tx) => {
      tx.set(this.seenKey(record.key), JSON.stringify(record));
      return 'recorded';
    });
  }

  /** Records a quarantined message (capped list, newest first) and its seen record. */
  async quarantine(q: QuarantineRecord, record: SeenRecord): Promise<HandOffResult> {
    return this.inTransaction(record.key, async (tx) => {
      tx.set(this.seenKey(record.key), JSON.stringify(record));
      tx.lpush(this.quarantineKey, JSON.stringify(q));
      tx.ltrim(this.quarantineKey, 0, this.o.quarantineMax - 1);
      return 'recorded';
    });
  }

  /** `<prefix>:ingest:reading:<key>`: readings of a message begun and not yet finished. */
  readingKey(key: string): string {
    return this.ks.op('ingest', 'reading', key);
  }

  /**
   * Records, before the reader starts, that it is about to read message `key`;
   * returns how many earlier readings of it began and never finished (the desk
   * died or hung in them). One command, not a MULTI: an EXEC here would drop
   * the WATCH of a hand-off in flight on this connection.
   */
  async readingStarted(key: string): Promise<number> {
    const n = await this.redis.eval(
      "local n = redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], ARGV[1]); return n",
      1,
      this.readingKey(key),
      READING_TTL_SECONDS,
    );
    return Number(n) - 1;
  }

  /** The reading of `key` came to an end (a verdict, a quarantine): it no longer counts against the message. */
  async readingFinished(key: string): Promise<void> {
    await this.redis.del(this.readingKey(key));
  }

  async quarantined(limit = 100): Promise<QuarantineRecord[]> {
    const rows = await this.redis.lrange(this.quarantineKey, 0, limit - 1);
    return rows.map((r) => JSON.parse(r) as QuarantineRecord);
  }

  private inTransaction(key: string, fill: (tx: TxLike) => Promise<HandOffResult>): Promise<HandOffResult> {
    const run = this.tail.then(() => this.transaction(key, fill));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async transaction(key: string, fill: (tx: TxLike) => Promise<HandOffResult>): Promise<HandOffResult> {
    const client = (await this.queue.getBackend().client) as unknown as { multi(): TxLike };
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.redis.watch(this.seenKey(key));
      if ((await this.redis.exists(this.seenKey(key))) === 1) {
        await this.redis.unwatch();
        return 'duplicate';
      }
      const tx = client.multi();
      let result: HandOffResult;
      try {
        result = await fill(tx);
      } catch (err) {
        // Nothing was sent yet (ioredis buffers a MULTI until exec()); only the WATCH is undone.
        await this.redis.unwatch();
        throw err;
      }
      const replies = await tx.exec();
      if (replies === null) continue; // someone wrote the record between WATCH and EXEC: look again
      const failed = replies.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      return result;
    }
    throw new Error(`hand-off of ${key} kept conflicting with another writer`);
  }
}
