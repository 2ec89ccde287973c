import { createHash } from 'node:crypto';

/**
 * Dedup keys are hashes (house style §6): BullMQ job ids must not contain ":",
 * and Message-IDs can. The same Message-ID always gives the same key, whatever
 * copy of the message carries it (a re-delivery adds Received headers, a
 * re-APPEND after a UIDVALIDITY change gets a new UID).
 */

/** `<abc@example.org>` and ` abc@example.org ` are the same id; empty means none. */
export function normalizeMessageId(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let id = raw.trim();
  // RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">"; take the first when several are given.
  const m = /<([^<>]*)>/.exec(id);
  if (m) id = m[1] ?? '';
  id = id.replace(/[<>\s]/g, '');
  return id === '' ? null : id;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 hex of the Message-ID, or of the raw bytes when the message has none. */
export function messageKey(messageId: string | null | undefined, raw: Buffer): string {
  const id = normalizeMessageId(messageId);
  // Hash the canonical `<id>` form, the one mailparser reports, so anyone holding the
  // Message-ID can find the job: sha256('<abc@example.org>').
  return id ? sha256(`<${id}>`) : sha256(raw);
}

/**
 * Key of a message whose body was not downloaded (oversize): the Message-ID
 * when it has one, else its place in the mailbox (only ever used for a
 * quarantine record, never for a job).
 */
export function keyWithoutBody(messageId: string | null | undefined, place: { mailbox: string; uidValidity: string; uid: number }): string {
  const id = normalizeMessageId(messageId);
  return id ? sha256(`<${id}>`) : sha256(`place:${place.mailbox}:${place.uidValidity}:${place.uid}`);
}
