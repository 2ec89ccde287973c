/**
 * The one error the MIME adapter throws. Callers quarantine the message on it
 * (move it aside, log the code) instead of retrying: the bytes will not change.
 *
 * MIME_UNPARSEABLE, what "unreadable" means (mailparser itself accepts almost anything):
 *  - the input is empty or only whitespace;
 *  - the input looks binary (NUL bytes or mostly control characters in its first 4 KiB);
 *  - no RFC 5322 header block: not one well-formed header field before the body,
 *    or none of the fields every message carries (From, To, Subject, Date,
 *    Message-ID, Received, Return-Path, MIME-Version, Content-Type...);
 *  - there is nothing to read: no From, no Subject, no body and no attachment;
 *  - mailparser itself rejects the input (too many parts, oversized header block...).
 * A message with headers but an empty body (an empty mail) IS readable.
 *
 * MIME_HOSTILE: the message is built to exhaust the reader (see budget.ts):
 * several decompression bombs, far more parts than any person sends, HTML
 * nested deeper than any mail client writes.
 *
 * MIME_READER_FAILED: the isolated reader (isolated.ts) ran out of memory, took
 * longer than its time limit or died while reading this message.
 */
export type MimeErrorCode = 'MIME_UNPARSEABLE' | 'MIME_HOSTILE' | 'MIME_READER_FAILED';

export class MimeError extends Error {
  readonly code: MimeErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: MimeErrorCode }) {
    super(message, options);
    this.name = 'MimeError';
    this.code = options?.code ?? 'MIME_UNPARSEABLE';
  }
}
