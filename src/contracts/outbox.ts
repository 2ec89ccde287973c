import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isValidMailId, type OutgoingMail } from '../domain/outgoing.ts';

/**
 * The port the use cases send mail through. An adapter queues the mail on the
 * `outbound` queue; the mailer worker sends it once. Sending the same `id`
 * twice is harmless: it is the idempotency key of the mail.
 */
export interface Outbox {
  send(mail: OutgoingMail): Promise<SendResult>;
}

export type SendResult =
  | { status: 'queued'; jobId: string }
  /** A job with this id is already waiting, running or kept after completion. */
  | { status: 'duplicate'; jobId: string }
  /** The durable sent record says it went out already. */
  | { status: 'already-sent'; jobId: string };

/** A mail over one of its caps: recorded, never sent. */
export type CappedResult = { status: 'capped'; jobId: string; bucket: string };

/** What the mailer keeps per mail id under `data:outbox:sent` once the SMTP server accepted it. */
export const SentRecordSchema = z.object({
  messageId: z.string(),
  at: z.string(),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  response: z.string(),
  /** Recipients the server refused for now (4xx) while accepting others: sent again by a follow-up mail. */
  retryRecipients: z.array(z.string()).optional(),
});
export type SentRecord = z.infer<typeof SentRecordSchema>;

const address = z.email();
const messageIdRef = z.string().regex(/^<[^<>\s]+>$/, 'a Message-ID in angle brackets');

/** The `outbound` job payload: an OutgoingMail, validated again by the worker. */
export const OutgoingMailSchema = z.object({
  id: z.string().refine(isValidMailId, 'letters, digits, . _ - only (max 200)'),
  to: z.array(address).min(1),
  cc: z.array(address).optional(),
  bcc: z.array(address).optional(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  inReplyTo: messageIdRef.optional(),
  references: z.array(messageIdRef).optional(),
  autoSubmitted: z.enum(['auto-replied', 'auto-generated']),
  attachments: z
    .array(
      z.object({
        filename: z.string().min(1),
        contentType: z.string().min(1),
        content: z.string(),
        encoding: z.enum(['utf8', 'base64']).optional(),
      }),
    )
    .optional(),
  messageIdLocal: z
    .string()
    .regex(/^[A-Za-z0-9._+=-]{1,200}$/, 'a dot-atom without @')
    .optional(),
});

/** BullMQ job ids cannot contain ':' and must not be integers; a hash of the mail id is neither. */
export function outboundJobId(mailId: string): string {
  return `m-${createHash('sha256').update(mailId).digest('hex').slice(0, 40)}`;
}
