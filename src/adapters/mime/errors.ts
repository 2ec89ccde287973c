/**
 * The one error the MIME adapter throws. Callers quarantine the message on it
 * (move it aside, log the code) instead of retrying: the bytes will not change.
 *
 * What "unreadable" means (mailparser itself accepts almost anything):
 *  - the input is empty or only whitespace;
 *  - the input looks binary (NUL bytes or mostly control characters in its first 4 KiB);
 *  - no RFC 5322 header block: not one well-formed header field before the body,
 *    or none of the fields every message carries (From, To, Subject, Date,
 *    Message-ID, Received, Return-Path, MIME-Version, Content-Type...);
 *  - there is nothing to read: no From, no Subject, no body and no attachment;
 *  - mailparser itself rejects the input (too many parts, oversized header block...).
 * A message with headers but an empty body (an empty mail) IS readable.
 */
export type MimeErrorCode = 'MIME_UNPARSEABLE';

export class MimeError extends Error {
  readonly code: MimeErrorCode = 'MIME_UNPARSEABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MimeError';
  }
}
