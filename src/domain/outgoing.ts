/**
 * A mail the service sends, fully rendered. It is the payload of an `outbound`
 * job; the mailer sends it once. `id` is the idempotency key and the left part
 * of its Message-ID, so a retried or duplicated job can never send it twice.
 */
export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  /** UTF-8 text, or base64 when encoding is 'base64'. */
  content: string;
  encoding?: 'utf8' | 'base64';
}

export interface OutgoingMail {
  /** Stable idempotency key, e.g. `ack.REQ-7F3K2` or `approval.REQ-7F3K2.<coordinator-hash>`. Letters, digits, . _ - only. */
  id: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text: string;
  html: string;
  /** Message-ID of the mail this one answers (RFC 5322 In-Reply-To / References threading). */
  inReplyTo?: string;
  references?: string[];
  /** RFC 3834: `auto-replied` for answers to a person's mail, `auto-generated` for notifications. */
  autoSubmitted: 'auto-replied' | 'auto-generated';
  attachments?: OutgoingAttachment[];
  /** Overrides the Message-ID's left part (tokens travel here for approval requests). */
  messageIdLocal?: string;
}

const ID_RE = /^[A-Za-z0-9._-]{1,200}$/;

export function isValidMailId(id: string): boolean {
  return ID_RE.test(id);
}

/**
 * Header values built from user input are cleaned where they are made:
 * CR, LF and other control characters can never reach a header, so no input
 * (an organisation called "Acme\r\nBcc: x@example.org") can add a header.
 */
export function headerSafe(value: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
