import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from '../../app/queues.ts';
import { OutgoingMailSchema, outboundJobId, type Outbox, type SendResult } from '../../app/outbox.ts';
import type { OutgoingMail } from '../../domain/outgoing.ts';
import type { Keyspace } from '../redis/keys.ts';

/** Name of the custom backoff the mailer's worker implements (capped exponential with jitter). */
export const SMTP_BACKOFF = 'smtp';

export interface BullOutboxOptions {
  redis: Redis;
  ks: Keyspace;
  /** Attempts before the mail is failed (SMTP_RETRY_ATTEMPTS). */
  attempts: number;
}

/** Outbox on the `outbound` BullMQ queue. */
export class BullOutbox implements Outbox {
  readonly queue: Queue;
  private readonly sentKey: string;

  constructor(private readonly o: BullOutboxOptions) {
    this.queue = new Queue(QUEUES.outbound, { connection: o.redis, prefix: o.ks.bull });
    this.sentKey = sentRecordsKey(o.ks);
  }

  async send(mail: OutgoingMail): Promise<SendResult> {
    const m = OutgoingMailSchema.parse(mail);
    const jobId = outboundJobId(m.id);
    // Completed jobs are removed after a while, and then no longer deduplicate: the sent record is the real guard.
    if (await this.o.redis.hexists(this.sentKey, m.id)) return { status: 'already-sent', jobId };
    if (await this.queue.getJob(jobId)) return { status: 'duplicate', jobId };
    await this.queue.add('send', m, {
      jobId,
      attempts: this.o.attempts,
      backoff: { type: SMTP_BACKOFF },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 90 * 24 * 3600 },
    });
    return { status: 'queued', jobId };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export function sentRecordsKey(ks: Keyspace): string {
  return ks.data('outbox', 'sent');
}
