import { domainOf, sameAddress, type MailInput } from './mail.ts';

/**
 * Which folder a message is filed in once it is queued: what a coordinator
 * browsing the mailbox should see at a glance.
 *  - processed: the desk acts on it (requests, withdrawals, coordinators' and
 *    organisations' replies to our mail, other mail forwarded to coordinators);
 *  - ignored: automatic mail (auto-replies, bounces) and mail nobody asked the desk about;
 *  - quarantine: could not be read at all (decided before this, by the reader).
 */
export type Disposition = 'processed' | 'ignored' | 'quarantine';

export interface DispositionContext {
  coalitionAddress: string;
  coordinators: string[];
  otherMail: 'forward' | 'folder';
}

export const REFERENCE_RE = /\bREQ-[0-9A-Z]{5,}\b/;

/** True when the message answers one of ours (our Message-IDs end in the coalition's domain) or names a request. */
export function answersUs(mail: MailInput, coalitionAddress: string): boolean {
  const ours = `@${domainOf(coalitionAddress)}>`;
  const ids = [mail.inReplyTo ?? '', ...mail.references].map((s) => s.toLowerCase());
  return ids.some((id) => id.endsWith(ours)) || REFERENCE_RE.test(mail.subject);
}

export function decideDisposition(
  mail: MailInput,
  kind: 'join_request' | 'withdrawal' | 'auto_reply' | 'bounce' | 'other',
  ctx: DispositionContext,
): { disposition: Disposition; reason: string } {
  if (kind === 'auto_reply' || kind === 'bounce') return { disposition: 'ignored', reason: kind };
  if (kind === 'join_request' || kind === 'withdrawal') return { disposition: 'processed', reason: kind };
  const from = mail.from[0]?.address ?? '';
  if (ctx.coordinators.some((c) => sameAddress(c, from))) return { disposition: 'processed', reason: 'from a coordinator' };
  if (answersUs(mail, ctx.coalitionAddress)) return { disposition: 'processed', reason: 'reply to the desk' };
  if (ctx.otherMail === 'forward') return { disposition: 'processed', reason: 'other: forwarded to coordinators' };
  return { disposition: 'ignored', reason: 'other' };
}
