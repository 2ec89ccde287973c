import { z } from 'zod';
import { TrustedHtml } from '../domain/trusted-html.ts';

/**
 * Every mail the service can send, with the variables its templates may use.
 * The template adapter checks at boot that each template in templates/sq and
 * templates/en references only these variables (plus GLOBALS), and render()
 * validates what the caller passes, so a typo is a start-up error, never a
 * blank in a sent mail.
 */

export const LANGS = ['sq', 'en'] as const;
export type Lang = (typeof LANGS)[number];
/** 'both': Albanian first, then English, in one mail (BILINGUAL=true). */
export type MailLang = Lang | 'both';

function clockIn(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
}

let clock = clockIn('Europe/Tirane');
let offsetOf = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Tirane', timeZoneName: 'shortOffset' });

/** The time zone of every time a mail shows (TIME_ZONE, Europe/Tirane by default); the composition root sets it once. */
export function setMailTimeZone(timeZone: string): void {
  clock = clockIn(timeZone);
  offsetOf = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' });
}

/** "2025-03-12 14:05 (UTC+1)": the local time of TIME_ZONE with its offset, unambiguous in both languages. */
export function formatWhen(v: Date | string): string {
  const d = v instanceof Date ? v : /^\d{4}-\d{2}-\d{2}T/.test(v) ? new Date(v) : null;
  if (d === null || Number.isNaN(d.getTime())) return String(v);
  const offset = offsetOf.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  return `${clock.format(d)} (${offset.replace(/^GMT/, 'UTC').replace(/^UTC[+-]0$/, 'UTC')})`;
}

const when = z.union([z.date(), z.string()]).transform(formatWhen);
const text = z.string();
const optText = z.string().nullable().default(null);
const reference = z.string().min(1);
const lines = z.array(z.string()).default([]);
const contact = z.object({ name: optText, email: optText, phone: optText });
const organization = z.object({ name: optText, acronym: optText, city: optText, website: optText });
const count = z.number().int().min(0);
/**
 * Set when the original message is not attached (larger than ATTACH_ORIGINAL_MAX_BYTES, or no longer in the
 * spool): where a coordinator finds it instead.
 */
const originalOmitted = z
  .object({ size: optText, folder: text, command: text })
  .nullable()
  .default(null);
/** What a coordinator is shown of a request to decide: in its approval request, and as one item of a digest. */
const requestFacts = {
  reference,
  organization,
  contact,
  language: text,
  receivedAt: when,
  originalSubject: text,
  excerpt: text,
  missing: lines,
  /** The From address of the mail, and whether our server (or our DKIM check) proved it. */
  from: text.default(''),
  fromVerified: z.boolean().default(false),
  /** Where the desk writes to the organisation (the From, or an address a coordinator confirmed); null: nobody. */
  answersTo: optText,
  /** Another address the mail named (Reply-To, the body, a forward): not written to unless a coordinator confirms it. */
  proposedContact: optText,
  /** What it looks like: "same mail domain as REQ-… (name)", "signatory 4 (name)". A hint, never a merge. */
  resembles: optText,
};
const pastTense: Record<string, string> = { approved: 'approve', rejected: 'reject', expired: 'expire', withdrawn: 'withdraw' };
const finalDecision = z.preprocess(
  (v) => (typeof v === 'string' ? (pastTense[v] ?? v) : v),
  /** open / close: a possible request a coordinator already opened as a join request, or closed as none. */
  z.enum(['approve', 'reject', 'expire', 'withdraw', 'open', 'close']),
);

/** Variables every template may use; the adapter fills them from the config. */
export const GLOBALS = z.object({
  coalitionName: text,
  coalitionAddress: text,
  /** Language of the part being rendered. */
  lang: z.enum(LANGS),
});
export type Globals = z.output<typeof GLOBALS>;

export const MAIL_CATALOG = {
  /** To the organisation: "we received your request" (RFC 3834 auto-replied). */
  acknowledgement: z.object({ reference, organizationName: optText, contactName: optText, missing: lines }),
  /**
   * To each coordinator: a mail that may be a join request (kërkesë e mundshme), what was read in it, and
   * how to open (PO/JOIN) or close (JO/NO) it. Nothing has been sent to its sender.
   */
  possible_request: z.object({
    reference,
    coordinatorAddress: text,
    reason: z.enum(['weak_wording', 'no_organisation', 'sent_by_machine']),
    /** Sent by a machine (Auto-Submitted, a CRM): its From is never answered. */
    automatic: z.boolean().default(false),
    organization,
    contact,
    /** Where the acknowledgement goes once opened; null: nobody (no address a person reads). */
    acknowledgeTo: optText,
    language: text,
    receivedAt: when,
    /** The From address of the mail. */
    from: text,
    originalSubject: text,
    excerpt: text,
    /** A signatory or pending request it looks like, if any. */
    resembles: optText,
    /** A reminder: the same mail again, after `waitingDays` without an answer. */
    reminder: z.boolean().default(false),
    waitingDays: count.default(0),
    originalOmitted,
  }),
  /** To each coordinator: a new request to decide, and how to answer. */
  approval_request: z.object({
    ...requestFacts,
    coordinatorAddress: text,
    approvalsRequired: z.number().int().min(1).default(1),
    /** e.g. "15 min"; empty when decisions act at once. */
    undoWindow: z.string().default(''),
    /** The coordinator who opened it, when it began as a possible request. */
    openedBy: optText,
    originalOmitted,
  }),
  /**
   * To one coordinator, during a flood (APPROVAL_DIGEST): every request waiting for a decision in one mail,
   * decided by one reply with a line per request ("REQ-7F3K2 PO"). Its Message-ID carries the digest's token.
   */
  approval_digest: z.object({
    number: z.number().int().min(1),
    coordinatorAddress: text,
    /** Each request as an approval request shows it. */
    items: z.array(z.object(requestFacts)),
    /** How many requests it lists, and the first one's reference (for the example reply lines). */
    count,
    example: text,
    approvalsRequired: z.number().int().min(1).default(1),
    undoWindow: z.string().default(''),
  }),
  /** To coordinators: what one reply to a digest did, line by line (instead of one decision echo per line). */
  digest_echo: z.object({
    number: z.number().int().min(1),
    by: text,
    applied: z.array(
      z.object({
        reference,
        organizationName: text,
        decision: z.enum(['approve', 'reject', 'undo']),
        /** approval: counted, more are needed; decided: takes effect at undoDeadline; approved / rejected: done. */
        state: z.enum(['approval', 'decided', 'approved', 'rejected', 'undone']),
        reason: optText,
        reasonShared: z.boolean().default(false),
        approvalsSoFar: count.default(0),
        undoDeadline: when.nullable().default(null),
      }),
    ),
    refused: z.array(z.object({ reference: optText, line: text, reason: z.object({ sq: text, en: text }) })),
    appliedCount: count,
    refusedCount: count,
    approvalsRequired: z.number().int().min(1).default(1),
  }),
  /** To each coordinator: a signatory asks to be removed. */
  withdrawal_approval_request: z.object({
    reference,
    organizationName: text,
    contact,
    excerpt: text,
    undoWindow: z.string().default(''),
    /** Who sent the withdrawal (always the registered contact's address), and whether our server proved it. */
    from: text.default(''),
    fromVerified: z.boolean().default(false),
    /** The registered contact who confirmed it, and when. */
    confirmedBy: optText,
    confirmedAt: when.nullable().default(null),
    originalOmitted,
  }),
  /** To a signatory's registered contact: someone asked to withdraw it; only its answer puts it to the coordinators. */
  withdrawal_confirmation: z.object({ reference, organizationName: text, from: text, receivedAt: when }),
  /** To coordinators: the registered contact said it did not ask to withdraw. */
  withdrawal_denied: z.object({ reference, organizationName: text, from: text, contact: text }),
  approved: z.object({ reference, organizationName: text, position: z.number().int().min(1), version: z.number().int().min(1) }),
  rejected: z.object({ reference, organizationName: text, reason: optText }),
  already_signatory: z.object({ organizationName: text, position: z.number().int().min(1) }),
  /**
   * A second request for an organisation already pending. Reference and name are given only to that request's
   * own contact: anyone else learns nothing of another request.
   */
  already_pending: z.object({ reference: optText, organizationName: optText }),
  withdrawal_received: z.object({ reference, organizationName: text }),
  withdrawal_confirmed: z.object({ organizationName: text, version: z.number().int().min(1) }),
  reminder: z.object({ reference, organizationName: text, pendingSince: when, pendingDays: count }),
  /** To COALITION_LIST (and, optionally, each signatory): the new version of the joint statement. */
  statement_update: z.object({
    version: z.number().int().min(1),
    date: when,
    change: z.object({
      type: z.enum(['founded', 'joined', 'left']),
      organizationName: optText,
      approvedBy: lines,
    }),
    signatoryCount: count,
    statementText: text,
    /** Built by the domain with every value escaped; the only HTML a template may insert unescaped. */
    statementHtml: z.custom<TrustedHtml>((v) => v instanceof TrustedHtml, { message: "must be TrustedHtml (built by renderStatementHtml)" }),
  }),
  /** To all coordinators: a decision was taken (and can be undone until undoDeadline). */
  decision_echo: z.object({
    reference,
    organizationName: text,
    /** close: a possible request was closed as not a request. */
    decision: z.enum(['approve', 'reject', 'info', 'undo', 'close']),
    by: text,
    reason: optText,
    /** A rejection's reason goes to the organisation too (JO: …), or stays among coordinators. */
    reasonShared: z.boolean().default(false),
    undoDeadline: when.nullable().default(null),
    approvalsSoFar: count.default(0),
    approvalsRequired: z.number().int().min(1).default(1),
  }),
  /** To a coordinator whose reply could not be read. */
  reply_help: z.object({ reference: optText, problem: z.object({ sq: text, en: text }) }),
  /** To a coordinator who decided on a request that was already decided. */
  already_decided: z.object({ reference, organizationName: text, decision: finalDecision, by: text, at: when }),
  /** To the organisation: a coordinator's question. */
  info_request: z.object({ reference, organizationName: text, question: text }),
  /** To coordinators: the organisation (or a coordinator) changed fields: each shown as changed from … to …. */
  request_updated: z.object({
    reference,
    organizationName: text,
    changes: z.array(z.object({ field: text, from: optText, value: text })),
    /** What the organisation sent that the registry would refuse: the field and why, never the value. */
    refused: z.array(z.object({ field: text, reason: z.object({ sq: text, en: text }) })).default([]),
    byOrganisation: z.boolean().default(true),
  }),
  /** To coordinators: a decision that failed authentication was ignored. */
  unauthenticated_attempt: z.object({ reference: optText, from: text, reason: z.object({ sq: text, en: text }) }),
  expired: z.object({ reference, organizationName: text }),
  undone: z.object({ reference, organizationName: text, by: text }),
  /**
   * To coordinators, once per request: a mail to the organisation's contact address came back undeliverable
   * (a DSN, or our SMTP server refused the recipient). `mail` is which of ours it was.
   */
  contact_undeliverable: z.object({
    reference,
    organizationName: text,
    address: text,
    reason: text,
    mail: z.enum(['acknowledgement', 'other']).default('other'),
  }),
  /** To coordinators: a message that is neither a request nor automatic (UNRELATED_MAIL=forward). */
  other_forward: z.object({ from: text, subject: text, excerpt: text }),
} as const;

export type TemplateName = keyof typeof MAIL_CATALOG;
export const TEMPLATE_NAMES = Object.keys(MAIL_CATALOG) as TemplateName[];
export type TemplateVars<N extends TemplateName> = z.input<(typeof MAIL_CATALOG)[N]>;

export interface RenderedMail {
  /** Already header-safe (no CR/LF). */
  subject: string;
  text: string;
  html: string;
}

/** The port the use cases render mail through. */
export interface Templates {
  render<N extends TemplateName>(name: N, lang: MailLang, vars: TemplateVars<N>): RenderedMail;
}

/** The language to write in: both when BILINGUAL is set, else the correspondent's (or the default). */
export function mailLanguage(config: { BILINGUAL: boolean; DEFAULT_LANGUAGE: Lang }, preferred?: string | null): MailLang {
  if (config.BILINGUAL) return 'both';
  return preferred === 'sq' || preferred === 'en' ? preferred : config.DEFAULT_LANGUAGE;
}
