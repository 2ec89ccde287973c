import type { Config } from '../../config/schema.ts';
import { decideDisposition, headerMessageIds, isRobot, type Disposition } from '../domain/disposition.ts';
import { understand } from '../domain/understand/index.ts';
import { encodeReading } from './handed-reading.ts';
import type { MailReader } from './ports.ts';

export interface TriageResult {
  disposition: Disposition;
  reason: string;
  messageId: string | null;
  /** The reading, for the processor (handed-reading.ts); null when not worth keeping. */
  reading?: string | null;
}

export type Triage = (raw: Buffer) => Promise<TriageResult>;

/**
 * The watcher's quick reading of a message, to file it in the folder that
 * says what became of it, or leave it where it is when it is not the desk's
 * business. The reading goes along to the processor with the message (handed-reading.ts), so a
 * message is read once. Never throws: unreadable mail is quarantined.
 */
export function createTriage(
  config: Pick<Config, 'COALITION_ADDRESS' | 'COORDINATORS' | 'UNRELATED_MAIL'>,
  reader: Pick<MailReader, 'read'>,
): Triage {
  const ctx = { coalitionAddress: config.COALITION_ADDRESS, coordinators: config.COORDINATORS, unrelatedMail: config.UNRELATED_MAIL };
  return async (raw) => {
    let mail;
    try {
      const read = await reader.read(raw);
      if (!read.ok) return { disposition: 'quarantine', reason: `unreadable: ${read.reason}`, messageId: null };
      mail = read.mail;
    } catch (err) {
      return { disposition: 'quarantine', reason: `unreadable: ${(err as Error).message}`, messageId: null };
    }
    try {
      const reading = understand(mail, { coalitionAddress: config.COALITION_ADDRESS, knownCoordinators: config.COORDINATORS });
      const robot = isRobot(reading);
      // The reader shows a returned message/rfc822 without its Message-ID; the raw body still has it
      // (RFC 2046 §5.2.1: such a part is 7bit, 8bit or binary, never encoded). Only robots need it.
      const returned = robot ? headerMessageIds(bodyOf(raw)) : [];
      const verdict = decideDisposition(mail, reading, ctx, returned);
      // Only a message queued for the processor needs its reading (one left in the mailbox is not queued).
      const handed = verdict.disposition === 'processed' || verdict.disposition === 'ignored' ? encodeReading(mail, reading) : null;
      return { ...verdict, messageId: mail.messageId, reading: handed };
    } catch (err) {
      return { disposition: 'quarantine', reason: `could not be understood: ${(err as Error).message}`, messageId: mail.messageId };
    }
  };
}

/** Everything after the message's own header block (its own Message-ID is not a returned one). */
function bodyOf(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  return end ? text.slice(end.index + end[0].length) : '';
}
