import { z } from 'zod';
import type { MailInput } from '../domain/mail.ts';
import { ReadingSchema, type Reading } from '../domain/understand/index.ts';

/**
 * The watcher reads every message to choose its folder; the processor needs the same reading. It is
 * handed over with the spooled message (the spool's `spool-reading:<key>`, written in the same
 * transaction and removed with it), so a message is parsed and understood once. The processor reads
 * the message itself when no reading came with it, or one it cannot use: one larger than
 * HANDED_READING_MAX_BYTES (a long mail's text, attachments' extracted text), one of another version
 * of the desk, or one that does not validate.
 */
export const HANDED_READING_VERSION = 1;
export const HANDED_READING_MAX_BYTES = 64 * 1024;

const Address = z.object({ name: z.string(), address: z.string() });
const MailInputSchema = z.object({
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  date: z.iso.datetime({ offset: true }).nullable(),
  subject: z.string(),
  from: z.array(Address),
  replyTo: z.array(Address),
  to: z.array(Address),
  cc: z.array(Address),
  headers: z.record(z.string(), z.array(z.string())),
  contentType: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  attachments: z.array(
    z.object({
      filename: z.string().nullable(),
      contentType: z.string(),
      size: z.number(),
      text: z.string().nullable(),
      isMessage: z.boolean(),
    }),
  ),
});
const Handed = z.object({ v: z.literal(HANDED_READING_VERSION), mail: MailInputSchema, reading: ReadingSchema });

export interface HandedReading {
  mail: MailInput;
  reading: Reading;
}

/** The reading as handed over, or null when it would be too large to be worth keeping. */
export function encodeReading(mail: MailInput, reading: Reading): string | null {
  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null;
  const json = JSON.stringify({ v: HANDED_READING_VERSION, mail: { ...mail, date }, reading });
  return Buffer.byteLength(json) <= HANDED_READING_MAX_BYTES ? json : null;
}

/** The handed reading, or null when there is none the processor can use (it then reads the message itself). */
export function decodeReading(json: string | null | undefined): HandedReading | null {
  if (!json) return null;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = Handed.safeParse(data);
  if (!parsed.success) return null;
  const m = parsed.data.mail;
  return { mail: { ...m, date: m.date ? new Date(m.date) : null }, reading: parsed.data.reading };
}
