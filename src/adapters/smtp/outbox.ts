import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from '../../contracts/queues.ts';
import { OutgoingMailSchema, outboundJobId, type CappedResult, type Outbox, type SendResult } from '../../contracts/outbox.ts';
import type { MailCap } from '../../domain/mail-caps.ts';
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

/**
 * Sliding-window caps, checked and counted in one step (several desks may share a Redis). KEYS[1] is the hash
 * of capped mails, KEYS[2..] one sorted set per cap (member: mail id, score: time). A mail recorded as capped
 * stays capped; a mail already counted (a retry after a crash) passes without counting again.
 * ARGV: now, mail id, note (JSON), then limit and window per cap. Returns 0 (passes) or the full cap's index.
 */
const CAP_SCRIPT = `
local now = tonumber(ARGV[1])
local id = ARGV[2]
if redis.call('HEXISTS', KEYS[1], id) == 1 then return -1 end
if #KEYS >= 2 and redis.call('ZSCORE', KEYS[2], id) then return 0 end
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 + (i - 1) * 2])
  local window = tonumber(ARGV[3 + (i - 1) * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local note = cjson.decode(ARGV[3])
    note['cap'] = i - 1
    note['at'] = now
    redis.call('HSET', KEYS[1], id, cjson.encode(note))
    return i - 1
  end
end
for i = 2, #KEYS do
  local window = tonumber(ARGV[3 + (i - 1) * 2])
  redis.call('ZADD', KEYS[i], now, id)
  redis.call('PEXPIRE', KEYS[i], window)
end
return 0
`;

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

  /**
   * Queues the mail unless one of its caps (src/domain/mail-caps.ts) is full; then it is recorded under
   * `data:outbox:capped` with `note` and the cap, and never sent, also when asked again.
   */
  async sendCapped(
    mail: OutgoingMail,
    caps: readonly MailCap[],
    note: Record<string, string> = {},
  ): Promise<SendResult | CappedResult> {
    const m = OutgoingMailSchema.parse(mail);
    const jobId = outboundJobId(m.id);
    if (await this.o.redis.hexists(this.sentKey, m.id)) return { status: 'already-sent', jobId };
    if (await this.queue.getJob(jobId)) return { status: 'duplicate', jobId };
    if (caps.length) {
      const keys = [cappedRecordsKey(this.o.ks), ...caps.map((c) => capKey(this.o.ks, c.bucket))];
      const args = [String(Date.now()), m.id, JSON.stringify({ ...note, caps: caps.map((c) => c.bucket).join(' ') })];
      for (const c of caps) args.push(String(c.limit), String(c.windowMs));
      const full = Number(await this.o.redis.eval(CAP_SCRIPT, keys.length, ...keys, ...args));
      if (full !== 0) {
        const bucket = full > 0 ? (caps[full - 1]?.bucket ?? '?') : 'recorded before';
        return { status: 'capped', jobId, bucket };
      }
    }
    return this.send(m);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Mails over a cap, by mail id: durable, so `coalition export` keeps the record of what was never sent. */
export function cappedRecordsKey(ks: Keyspace): string {
  return ks.data('outbox', 'capped');
}

/** One sliding window; the bucket is hashed (it holds addresses). Operational: a restore starts them empty. */
function capKey(ks: Keyspace, bucket: string): string {
  return ks.op('cap', createHash('sha256').update(bucket).digest('hex').slice(0, 32));
}

export function sentRecordsKey(ks: Keyspace): string {
  return ks.data('outbox', 'sent');
}
