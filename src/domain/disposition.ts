import { domainOf, isMachineAddress, sameAddress, type MailInput } from './mail.ts';
import type { Kind } from './understand/index.ts';

/** A robot's report on other mail (an auto-reply, a delivery report): filed, never acted on as a person's mail. */
export function isRobot(reading: { kind: Kind }): boolean {
  return reading.kind === 'auto_reply' || reading.kind === 'bounce';
}

/**
 * May the desk write back to this mail's From at all (RFC 3834 §2)? Never to a robot's report, never to mail a
 * machine generated (Auto-Submitted, vendor auto-reply headers, list and bulk headers, a null return path:
 * understand/automatic.ts sets `automatic`), never to a From no person reads (isMachineAddress). The one rule
 * the watcher's triage and the processor share; whom else the desk may write to is the processor's
 * (its own address, the list, the coordinators).
 */
export function shouldAnswer(mail: MailInput, reading: { kind: Kind; automatic: boolean }): boolean {
  if (isRobot(reading) || reading.automatic) return false;
  const from = mail.from[0]?.address ?? '';
  return from !== '' && !isMachineAddress(from);
}

/**
 * What becomes of a message in the mailbox once the desk has looked at it: what a
 * coordinator browsing the mailbox should see at a glance, and what the institute's
 * staff, who read the same info@ INBOX, must still find there.
 *  - processed: the desk acts on it (requests, withdrawals, possible requests,
 *    coordinators' mail, replies to our mail; with UNRELATED_MAIL=forward all other
 *    human mail too);
 *  - ignored: automatic mail (auto-replies, bounces) answering our mail; with
 *    UNRELATED_MAIL=folder all other mail too;
 *  - leave: not the desk's business (with UNRELATED_MAIL=leave, the default): it stays
 *    in the watched folder as it arrived, and no job is queued;
 *  - quarantine: could not be read at all (decided before this, by the reader).
 */
export type Disposition = 'processed' | 'ignored' | 'quarantine' | 'leave';

/** UNRELATED_MAIL: what the desk does with mail that is not its business. */
export type UnrelatedMail = 'leave' | 'folder' | 'forward';

export interface DispositionContext {
  coalitionAddress: string;
  coordinators: string[];
  unrelatedMail: UnrelatedMail;
}

export const REFERENCE_RE = /\bREQ-[0-9A-Z]{5,}\b/;

/** True when `id` (`<local@domain>`) is one of ours: every Message-ID the desk sends ends in the coalition's domain. */
export function isOurMessageId(id: string, coalitionAddress: string): boolean {
  return id.trim().toLowerCase().endsWith(`@${domainOf(coalitionAddress)}>`);
}

/** True when the message answers one of ours (In-Reply-To / References) or names a request in its subject. */
export function answersUs(mail: MailInput, coalitionAddress: string): boolean {
  const ids = [mail.inReplyTo ?? '', ...mail.references];
  return ids.some((id) => isOurMessageId(id, coalitionAddress)) || REFERENCE_RE.test(mail.subject);
}

// A Message-ID header line (RFC 5322 §3.6.4), possibly folded; Original-Message-ID is the MDN's (RFC 8098 §3.2.5).
const MESSAGE_ID_LINE = /^(?:original-)?message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/gim;

/**
 * The Message-IDs named by header lines in `text`: in a DSN's returned message
 * (message/rfc822) or returned headers (text/rfc822-headers, RFC 6522), or in the
 * original an auto-reply quotes. Pass a message's body only, never its own header block.
 */
export function headerMessageIds(text: string): string[] {
  return [...text.matchAll(MESSAGE_ID_LINE)].map((m) => m[1] ?? '').filter(Boolean);
}

/**
 * True when automatic mail answers OUR mail, not someone else's: it threads to one of
 * our Message-IDs or names a request, or the message it returns or quotes (given as
 * `returnedIds`, or in a returned-headers part) carries one of our Message-IDs.
 */
export function answersOurMail(mail: MailInput, coalitionAddress: string, returnedIds: readonly string[] = []): boolean {
  if (answersUs(mail, coalitionAddress)) return true;
  const returned = [...returnedIds, ...mail.attachments.filter((a) => a.isMessage).flatMap((a) => headerMessageIds(a.text ?? ''))];
  return returned.some((id) => isOurMessageId(id, coalitionAddress));
}

/** The reader's verdict, as far as the folder depends on it. */
export interface ReadingForDisposition {
  kind: Kind;
  /** A possible request: coordinators are shown it, so it is the desk's business. */
  possible: boolean;
}

/**
 * Which folder a message goes to. Only the desk's own business is filed under
 * Coalition/…: requests, withdrawals and possible requests, coordinators' mail,
 * replies to the desk, and robots answering our mail. Everything else is unrelated
 * mail, handled as UNRELATED_MAIL says; `returnedIds` are the Message-IDs found in
 * the body of automatic mail (see headerMessageIds).
 */
export function decideDisposition(
  mail: MailInput,
  reading: ReadingForDisposition,
  ctx: DispositionContext,
  returnedIds: readonly string[] = [],
): { disposition: Disposition; reason: string } {
  const { kind } = reading;
  if (isRobot(reading)) {
    if (answersOurMail(mail, ctx.coalitionAddress, returnedIds)) return { disposition: 'ignored', reason: kind };
    // Someone else's out-of-office or bounce: never forwarded (RFC 3834), and left where the staff look for it.
    if (ctx.unrelatedMail === 'leave') return { disposition: 'leave', reason: `unrelated: ${kind} to someone else's mail` };
    return { disposition: 'ignored', reason: `${kind} to someone else's mail` };
  }
  if (kind === 'join_request' || kind === 'withdrawal') return { disposition: 'processed', reason: kind };
  if (reading.possible) return { disposition: 'processed', reason: 'possible request' };
  const from = mail.from[0]?.address ?? '';
  if (ctx.coordinators.some((c) => sameAddress(c, from))) return { disposition: 'processed', reason: 'from a coordinator' };
  if (answersUs(mail, ctx.coalitionAddress)) return { disposition: 'processed', reason: 'reply to the desk' };
  if (ctx.unrelatedMail === 'forward') return { disposition: 'processed', reason: 'other: forwarded to coordinators' };
  if (ctx.unrelatedMail === 'folder') return { disposition: 'ignored', reason: 'other' };
  return { disposition: 'leave', reason: 'unrelated' };
}
