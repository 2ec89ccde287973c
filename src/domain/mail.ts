/**
 * The one shape of a received message that the domain reads. The MIME adapter
 * (src/adapters/mime) turns raw RFC 5322 bytes into this; nothing in the domain
 * sees mailparser's own types, so the rules are tested on plain objects.
 */
export interface MailAddress {
  /** Display name as decoded (RFC 2047), '' when absent. */
  name: string;
  /** Address as written; compare with sameAddress(). */
  address: string;
}

export interface MailAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** Text extracted from the attachment (text parts, message/rfc822 bodies, PDF/DOCX when possible). */
  text: string | null;
  /** True for message/rfc822 and text/rfc822-headers parts (a returned or forwarded message). */
  isMessage: boolean;
}

export interface MailInput {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  date: Date | null;
  subject: string;
  from: MailAddress[];
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Header name (lower case) -> every value, top first, decoded to text. */
  headers: Record<string, string[]>;
  /** Top-level Content-Type with parameters, lower case, e.g. 'multipart/report; report-type=delivery-status'. */
  contentType: string;
  /** Plain text body ('' when the message has none). */
  text: string;
  /** HTML body, or null. */
  html: string | null;
  attachments: MailAttachment[];
}

export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function sameAddress(a: string, b: string): boolean {
  return normaliseAddress(a) === normaliseAddress(b);
}

export function header(mail: MailInput, name: string): string | null {
  return mail.headers[name.toLowerCase()]?.[0] ?? null;
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : normaliseAddress(address.slice(at + 1));
}

/** A mail system's own mailbox (MAILER-DAEMON, postmaster, bounces): it only ever reports on other mail. */
const MAIL_SYSTEM_LOCAL = /^(?:mailer-?daemon|postmaster|mail-?daemon|mdaemon|bounces?|double-bounce|no-?reply-?bounce)/i;
/** A sender of notices that reads no answer (no-reply@, notifications@). */
const NOTICE_LOCAL = /^(?:no-?reply|do-?not-?reply|notifications?|notify|alerts?|automailer|auto-?mail)\b/i;

/** Local part with "_", "." and "+" read as "-", as people spell "no_reply" and "no.reply". */
function localOf(addressOrLocal: string): string {
  return (addressOrLocal.split('@')[0] ?? '').replace(/[_.+]/g, '-');
}

export function isMailSystem(addressOrLocal: string): boolean {
  return MAIL_SYSTEM_LOCAL.test(localOf(addressOrLocal));
}

/** An address no person reads: a mail system's, or a notice sender's. Never where an answer goes. */
export function isMachineAddress(addressOrLocal: string): boolean {
  const local = localOf(addressOrLocal);
  return MAIL_SYSTEM_LOCAL.test(local) || NOTICE_LOCAL.test(local);
}
