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
