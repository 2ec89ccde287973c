import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../../config/schema.ts';
import { OutgoingMailSchema, type SentRecord } from '../../contracts/outbox.ts';
import { QUEUES } from '../../contracts/queues.ts';
import { headerSafe } from '../../domain/outgoing.ts';
import type { Logger } from '../log.ts';
import { keyspace } from '../redis/keys.ts';
import { BullOutbox, SMTP_BACKOFF, sentRecordsKey } from './outbox.ts';
import { createRefusalReporter, permanentRefusals } from './refusal.ts';
import { createSmtpTransport, type SmtpTransport } from './transport.ts';
import { z } from 'zod';

/**
 * The mailer worker: takes `outbound` jobs and sends each mail once.
 *
 * Once only: before sending it reads the durable sent record
 * (`data:outbox:sent`, keyed by the mail id); right after the SMTP server
 * accepts the message it writes that record, and only then lets BullMQ
 * complete the job. A mailer killed after the record but before completion
 * leaves a stalled job; BullMQ hands it out again, the record is found and
 * nothing is sent. (The one window left is between the server's 250 and the
 * HSET, a few milliseconds; the stable Message-ID lets a reader recognise a
 * copy should it ever happen.)
 *
 * Retries: connection errors, timeouts, 4xx replies and authentication
 * failures (an operator can fix a password) are retried with exponential
 * backoff (SMTP_RETRY_DELAY doubling up to SMTP_RETRY_MAX_DELAY, ±10 %
 * jitter) for SMTP_RETRY_ATTEMPTS; a 5xx reply fails the job at once with the
 * server's answer as the reason (UnrecoverableError).
 */

export type OutboundMessage = Parameters<SmtpTransport['sendMail']>[0];
type MailConfig = Pick<Config, 'COALITION_ADDRESS' | 'COALITION_NAME'>;

export function messageDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The nodemailer message for an OutgoingMail: our From, Reply-To, Message-ID and loop-prevention headers. */
export function buildMessage(raw: unknown, c: MailConfig): { message: OutboundMessage; messageId: string } {
  const mail = OutgoingMailSchema.parse(raw);
  const messageId = `<${mail.messageIdLocal ?? mail.id}@${messageDomain(c.COALITION_ADDRESS)}>`;
  const message: OutboundMessage = {
    from: { name: headerSafe(c.COALITION_NAME), address: c.COALITION_ADDRESS },
    // Replies (decisions, answers to acknowledgements) come back to the mailbox the desk reads.
    replyTo: c.COALITION_ADDRESS,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    // Sanitised again here (render() already did): a subject can never carry a header break.
    subject: headerSafe(mail.subject, 250),
    text: mail.text,
    html: mail.html,
    messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    headers: {
      // RFC 3834 §5: marks the mail as automatic so well-behaved responders never answer it.
      'Auto-Submitted': mail.autoSubmitted,
      // Exchange/Outlook ignore Auto-Submitted; this stops their out-of-office and delivery reports.
      'X-Auto-Response-Suppress': 'All',
      // No "Precedence: bulk/list": RFC 3834 §5 discourages it and some filters score it as bulk mail.
    },
    attachments: mail.attachments?.map((a) => ({
      filename: headerSafe(a.filename, 120),
      contentType: headerSafe(a.contentType, 100),
      content: a.content,
      encoding: a.encoding === 'base64' ? 'base64' : 'utf8',
    })),
    // Bounces return to the coalition mailbox, where the watcher files them as bounces (never answered).
    envelope: {
      from: c.COALITION_ADDRESS,
      to: [...mail.to, ...(mail.cc ?? []), ...(mail.bcc ?? [])],
    },
  };
  return { message, messageId };
}

interface SmtpLikeError {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpLikeError[];
  message?: string;
}

/** Recipients refused with a 4xx reply while the server accepted others: worth sending to again. */
export function temporarilyRefused(info: { rejectedErrors?: unknown[] }): string[] {
  return ((info.rejectedErrors ?? []) as SmtpLikeError[])
    .filter((e) => typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500 && e.recipient)
    .map((e) => String(e.recipient));
}

const FOLLOW_UP = '.again';
const MAX_FOLLOW_UPS = 5;

/**
 * The same mail for only the recipients the server refused for now. It keeps
 * the Message-ID (a recipient sees one message), and its own id makes it an
 * idempotent job of its own, with its own retries and backoff.
 */
export function followUpMail(mail: OutgoingMailData, recipients: string[]): OutgoingMailData | null {
  if (mail.id.split(FOLLOW_UP).length > MAX_FOLLOW_UPS) return null;
  const keep = (list?: string[]) => list?.filter((a) => recipients.includes(a.toLowerCase()) || recipients.includes(a));
  const to = keep(mail.to) ?? [];
  const cc = keep(mail.cc);
  const bcc = keep(mail.bcc);
  if (to.length + (cc?.length ?? 0) + (bcc?.length ?? 0) === 0) return null;
  return {
    ...mail,
    id: `${mail.id}${FOLLOW_UP}`,
    messageIdLocal: mail.messageIdLocal ?? mail.id,
    // nodemailer needs a To; a follow-up for Cc/Bcc recipients only addresses them directly.
    to: to.length ? to : [...(cc ?? []), ...(bcc ?? [])],
    cc: to.length ? cc : undefined,
    bcc: to.length ? bcc : undefined,
  };
}

type OutgoingMailData = z.infer<typeof OutgoingMailSchema>;

/** True for failures worth retrying: no answer, a 4xx answer, or a login the operator may fix. */
export function isTemporary(err: unknown): boolean {
  const e = (err ?? {}) as SmtpLikeError;
  const codes = [e.responseCode, ...(e.rejectedErrors ?? []).map((r) => r.responseCode)].filter((c): c is number => typeof c === 'number');
  if (e.code === 'EAUTH') return true;
  if (codes.some((c) => c >= 400 && c < 500)) return true;
  if (codes.some((c) => c >= 500)) return false;
  // No SMTP reply at all (refused, reset, timeout, DNS, TLS): the server may come back.
  return true;
}

/**
 * The reason a failed send is logged and kept with: the server's reply as it gave it, on one line.
 * nodemailer's `response` is the whole reply, code included ("550 5.1.1 …"): the code is only put
 * in front when the text does not start with it, so it is never written twice.
 */
export function failureReason(err: unknown): string {
  const e = (err ?? {}) as SmtpLikeError;
  const text = (e.response ?? e.message ?? String(err)).replace(/\s*\r?\n\s*/g, ' ').trim();
  const code = String(e.responseCode ?? e.code ?? 'error');
  return text.startsWith(code) && !/^\w/.test(text.slice(code.length)) ? text : `${code} ${text}`;
}

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(attemptsMade: number, s: BackoffSettings, random = Math.random): number {
  const exp = Math.min(s.maxMs, s.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp * (0.9 + 0.2 * random()));
}

export interface MailerOptions {
  config: Config;
  redis: Redis;
  logger: Logger;
  /** Defaults to the pooled SMTP transport from the config. */
  transport?: SmtpTransport;
  /** Tuning (tests shorten the stalled-job check; defaults suit production). */
  worker?: { concurrency?: number; lockDuration?: number; stalledInterval?: number };
  /**
   * Called after a mail's sent record is written and before its job completes
   * (metrics; crash tests stop the process here).
   */
  onSent?: (mailId: string, record: SentRecord) => void | Promise<void>;
}

export interface Mailer {
  worker: Worker;
  close(): Promise<void>;
}

const rate = (perSecond: number) =>
  perSecond >= 1 ? { max: Math.round(perSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / perSecond) };

export function startMailer(o: MailerOptions): Mailer {
  const { config, redis, logger } = o;
  const ks = keyspace(config.REDIS_PREFIX);
  const sentKey = sentRecordsKey(ks);
  const transport = o.transport ?? createSmtpTransport(config);
  const log = logger.child({ worker: 'mailer' });
  const backoff = { baseMs: config.SMTP_RETRY_DELAY, maxMs: Math.max(config.SMTP_RETRY_DELAY, config.SMTP_RETRY_MAX_DELAY) };
  const followUps = new BullOutbox({ redis, ks, attempts: config.SMTP_RETRY_ATTEMPTS });
  // A recipient refused for good becomes a delivery report for the processor (see refusal.ts).
  const refusals = createRefusalReporter({ config, redis, logger: log });

  /** Queues the follow-up for refused recipients; idempotent, so it is also called when a job is re-run. */
  const ensureFollowUp = async (mail: OutgoingMailData, record: SentRecord): Promise<void> => {
    if (!record.retryRecipients?.length) return;
    const next = followUpMail(mail, record.retryRecipients);
    if (!next) {
      log.error({ mailId: mail.id, recipients: record.retryRecipients }, 'recipients kept refusing the mail; giving up on them');
      return;
    }
    const res = await followUps.send(next);
    if (res.status === 'queued') log.warn({ mailId: mail.id, recipients: record.retryRecipients }, 'recipients refused for now; queued again for them');
  };

  const processor = async (job: Job): Promise<SentRecord & { skipped?: true }> => {
    const parsed = OutgoingMailSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid outbound job: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
    const mail = parsed.data;
    const prior = await redis.hget(sentKey, mail.id);
    if (prior !== null) {
      log.info({ mailId: mail.id, jobId: job.id }, 'already sent; not sending again');
      const record = JSON.parse(prior) as SentRecord;
      // A crash between the record and the follow-up must not lose the refused recipients.
      await ensureFollowUp(mail, record);
      return { ...record, skipped: true };
    }
    const { message, messageId } = buildMessage(mail, config);
    let info;
    try {
      info = await transport.sendMail(message);
    } catch (err) {
      const reason = failureReason(err);
      if (!isTemporary(err)) {
        log.error({ mailId: mail.id, reason }, 'mail refused permanently');
        // Reported before the job fails for good; if the report cannot be written, the job is retried instead.
        await refusals.report(mail, messageId, permanentRefusals(err, mail.to));
        throw new UnrecoverableError(reason);
      }
      log.warn({ mailId: mail.id, reason, attempt: job.attemptsMade + 1 }, 'temporary SMTP failure; will retry');
      throw new Error(reason, { cause: err });
    }
    const record: SentRecord = {
      messageId,
      at: new Date().toISOString(),
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
      response: String(info.response ?? ''),
    };
    const retry = temporarilyRefused(info as { rejectedErrors?: unknown[] });
    if (retry.length) record.retryRecipients = retry;
    // Recorded before the job completes: a crash from here on can never send it again.
    await redis.hset(sentKey, mail.id, JSON.stringify(record));
    if (record.rejected.length) {
      log.warn({ mailId: mail.id, rejected: record.rejected }, 'some recipients were refused');
      await refusals.report(mail, messageId, permanentRefusals(info, mail.to));
    }
    await ensureFollowUp(mail, record);
    // The Message-ID of a mail to a coordinator carries its approval token: never at info level.
    log.info({ mailId: mail.id }, 'mail sent');
    log.debug({ mailId: mail.id, messageId }, 'mail sent with its Message-ID');
    await o.onSent?.(mail.id, record);
    return record;
  };

  const worker = new Worker(QUEUES.outbound, processor, {
    connection: redis,
    prefix: ks.bull,
    // Twice the pool: a job waits on Redis (the sent record) as well as on its SMTP connection.
    concurrency: o.worker?.concurrency ?? 2 * config.SMTP_MAX_CONNECTIONS,
    limiter: rate(config.SMTP_RATE_PER_SECOND),
    lockDuration: o.worker?.lockDuration ?? 60_000,
    stalledInterval: o.worker?.stalledInterval ?? 30_000,
    // A stalled job is safe to hand out again (the sent record guards it), so allow a few.
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === SMTP_BACKOFF ? backoffDelay(attemptsMade, backoff) : 0),
    },
  });
  worker.on('failed', (job, err) => {
    if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError)) {
      log.error({ jobId: job.id, mailId: (job.data as { id?: string }).id, reason: err.message }, 'mail failed for good');
    }
  });
  worker.on('error', (err) => log.error({ err }, 'mailer worker error'));

  return {
    worker,
    // Two phases: stop taking jobs and let running sends finish, then close the SMTP pool.
    async close() {
      await worker.close();
      await followUps.close();
      await refusals.close();
      transport.close();
    },
  };
}
