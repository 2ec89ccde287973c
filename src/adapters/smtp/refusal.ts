import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../../config/schema.ts';
import { QUEUES } from '../../contracts/queues.ts';
import { headerSafe } from '../../domain/outgoing.ts';
import { IngestLedger } from '../imap/ledger.ts';
import { messageKey } from '../imap/message-key.ts';
import { Spool } from '../imap/spool.ts';
import type { Logger } from '../log.ts';
import { keyspace } from '../redis/keys.ts';

/**
 * Our own SMTP server refusing a recipient for good (a 5xx at RCPT TO) is what
 * a DSN would have said a little later: the mailer turns it into one (RFC 3464,
 * as Postfix writes it, with our mail's headers returned, RFC 6522) and hands
 * it to the processor the way the watcher hands in received mail: spool, job
 * and seen record in one transaction, deduplicated by its Message-ID (derived
 * from the mail id), so a retried job reports once. The processor then reads
 * it like any DSN (src/app/processor.ts, deliveryReport): the request records
 * "contact address undeliverable" and the coordinators are told once.
 */

export interface Refusal {
  recipient: string;
  code: number;
  response: string;
}

interface SmtpErrorLike {
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpErrorLike[];
  command?: string;
}

/** The recipients a failed or partly failed send refused for good (5xx), with the server's answer. */
export function permanentRefusals(errOrInfo: unknown, recipients: readonly string[]): Refusal[] {
  const e = (errOrInfo ?? {}) as SmtpErrorLike;
  const listed = (e.rejectedErrors ?? []).filter((r) => typeof r.responseCode === 'number' && r.responseCode >= 500 && r.recipient);
  if (listed.length) return listed.map((r) => ({ recipient: String(r.recipient).toLowerCase(), code: r.responseCode as number, response: (r.response ?? '').trim() }));
  // One recipient refused at RCPT: nodemailer reports the reply itself, the recipient is the only one.
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && /RCPT/i.test(e.command ?? '') && recipients.length === 1) {
    return [{ recipient: (recipients[0] as string).toLowerCase(), code: e.responseCode, response: (e.response ?? '').trim() }];
  }
  return [];
}

function enhanced(r: Refusal): string {
  return /\b(5\.\d{1,3}\.\d{1,3})\b/.exec(r.response)?.[1] ?? '5.0.0';
}

/** The DSN for refused recipients of one of our mails. `headers` are the mail's own, returned as text/rfc822-headers. */
export function refusalDsn(o: {
  coalitionAddress: string;
  smtpHost: string;
  mailId: string;
  messageId: string;
  subject: string;
  refusals: Refusal[];
  at: Date;
}): { raw: Buffer; messageId: string } {
  const domain = o.coalitionAddress.slice(o.coalitionAddress.lastIndexOf('@') + 1).toLowerCase();
  const messageId = `<refused.${o.mailId}@${domain}>`;
  const boundary = `refused.${o.mailId}`;
  const date = o.at.toUTCString();
  const lines = [
    `From: Mail Delivery System <mailer-daemon@${domain}>`,
    `To: ${o.coalitionAddress}`,
    `Date: ${date}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${messageId}`,
    `In-Reply-To: ${o.messageId}`,
    `X-Original-Message-ID: ${o.messageId}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The SMTP server ${o.smtpHost} refused these recipients of ${o.messageId}; the mail was not delivered to them:`,
    '',
    ...o.refusals.map((r) => `<${r.recipient}>: ${headerSafe(r.response, 400)} (in reply to RCPT TO command)`),
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${o.smtpHost}`,
    `Arrival-Date: ${date}`,
    '',
    ...o.refusals.flatMap((r) => [
      `Final-Recipient: rfc822; ${r.recipient}`,
      `Original-Recipient: rfc822; ${r.recipient}`,
      'Action: failed',
      `Status: ${enhanced(r)}`,
      `Diagnostic-Code: smtp; ${headerSafe(r.response, 400)}`,
      '',
    ]),
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    `From: ${o.coalitionAddress}`,
    `Message-ID: ${o.messageId}`,
    `Subject: ${headerSafe(o.subject, 250)}`,
    '',
    `--${boundary}--`,
    '',
  ];
  return { raw: Buffer.from(lines.join('\r\n'), 'utf8'), messageId };
}

export interface RefusalReporter {
  report(mail: { id: string; subject: string }, messageId: string, refusals: Refusal[]): Promise<'queued' | 'duplicate' | 'none'>;
  close(): Promise<void>;
}

export function createRefusalReporter(o: { config: Config; redis: Redis; logger: Logger }): RefusalReporter {
  const ks = keyspace(o.config.REDIS_PREFIX);
  let parts: { conn: Redis; queue: Queue; ledger: IngestLedger } | null = null;
  const open = (): { conn: Redis; queue: Queue; ledger: IngestLedger } => {
    if (parts) return parts;
    // The ledger's WATCH/MULTI needs a connection of its own, shared with its queue only.
    const conn = o.redis.duplicate();
    conn.on('error', (err: unknown) => o.logger.warn({ err }, 'Redis connection error (refusal reports)'));
    const queue = new Queue(QUEUES.inbound, { connection: conn, prefix: ks.bull });
    queue.on('error', (err: unknown) => o.logger.warn({ err }, 'inbound queue error (refusal reports)'));
    const spool = new Spool(o.redis, ks, { maxMessageBytes: o.config.MAX_MESSAGE_BYTES, maxTotalBytes: o.config.SPOOL_MAX_BYTES });
    parts = { conn, queue, ledger: new IngestLedger(conn, queue, ks, spool, { quarantineMax: 1000 }) };
    return parts;
  };
  return {
    async report(mail, messageId, refusals) {
      if (!refusals.length) return 'none';
      const at = new Date();
      const dsn = refusalDsn({
        coalitionAddress: o.config.COALITION_ADDRESS,
        smtpHost: o.config.SMTP_HOST ?? 'smtp',
        mailId: mail.id,
        messageId,
        subject: mail.subject,
        refusals,
        at,
      });
      const key = messageKey(dsn.messageId, dsn.raw);
      const place = { mailbox: 'smtp', uidValidity: '0', uid: 0 };
      const result = await open().ledger.handOff(
        dsn.raw,
        { key, ...place, size: dsn.raw.length, receivedAt: at.toISOString(), folder: 'smtp' },
        { key, folder: 'ignored', queued: true, ...place, messageId: dsn.messageId, reason: 'our SMTP server refused a recipient', at: at.toISOString() },
      );
      o.logger.warn({ mailId: mail.id, recipients: refusals.map((r) => r.recipient), result }, 'recipients refused for good: handed to the processor as a delivery report');
      return result === 'duplicate' ? 'duplicate' : 'queued';
    },
    async close() {
      if (!parts) return;
      const p = parts;
      parts = null;
      await p.queue.close().catch(() => undefined);
      await p.conn.quit().catch(() => p.conn.disconnect());
    },
  };
}
