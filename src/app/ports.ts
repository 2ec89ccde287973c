import type { TokenUse, UpdateResult } from '../contracts/requests.ts';
import type { DkimEvidence } from '../domain/coordinator-auth.ts';
import type { Digest, DigestItem } from '../domain/digest.ts';
import type { MailInput } from '../domain/mail.ts';
import type { Effect, RequestRecord, RequestStatus, TransitionResult } from '../domain/request.ts';

/**
 * The ports of the use cases: what src/app needs from the world, in its own
 * words. The composition root (src/cli/service.ts, workers/*) hands it the
 * adapters that fit them (workers/ports.ts); src/app never imports an adapter.
 */

/** Structured logs (pino fits it): an object of fields, then a message. */
export interface Logger {
  debug(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** What a reader makes of a received message's bytes: the mail, or why it cannot be read. */
export type MailReading = { ok: true; mail: MailInput } | { ok: false; reason: string };

/** Reading received mail (MIME, charsets, HTML, attachments): the only door to the parser. */
export interface MailReader {
  /** The raw message as a MailInput; unreadable mail is a result, any other failure throws (the job is retried). */
  read(raw: Buffer): Promise<MailReading>;
  /** The text an HTML body shows a reader (for the reply-command reader on HTML-only mail); hostile HTML throws UnreadableMail. */
  htmlText(html: string): string;
}

/** Thrown by a MailReader's htmlText when the HTML is not fit to read: the message is then left alone, as unreadable. */
export class UnreadableMail extends Error {
  override readonly name = 'UnreadableMail';
}

/** What the raw message proves about who sent it. */
export interface SenderAuthenticity {
  /** Every DKIM signature of the raw message, verified (DNS, or the keys the resolver serves). */
  verifyDkim(raw: Buffer): Promise<DkimEvidence[]>;
  /** The Authentication-Results header values as received (encoded words not decoded). */
  authenticationResults(raw: Buffer): string[];
}

/** The request store: records changed only through atomic transitions (src/adapters/redis/request-store.ts). */
export interface RequestStore {
  get(id: string): Promise<RequestRecord | null>;
  list(o?: { status?: RequestStatus }): Promise<RequestRecord[]>;
  open(): Promise<RequestRecord[]>;
  /** The live requests kept under any of these index entries (src/domain/request/duplicates.ts, indexEntries). */
  openMatching(entries: readonly string[]): Promise<RequestRecord[]>;
  /** Rebuilds that index from the records (after a restore); returns the live requests indexed. */
  reindex(): Promise<number>;
  idForMessage(messageId: string): Promise<string | null>;
  /**
   * An opaque value that changes whenever an open request does, or (given index entries) one kept under
   * them, or the registry: duplicate detection re-checks against it when it creates.
   */
  snapshot(entries?: readonly string[]): Promise<string>;
  create(result: TransitionResult, messageKey: string, o?: { unchangedSince?: string }): Promise<{ created: boolean; id: string; stale?: true }>;
  update(id: string, step: (r: RequestRecord) => TransitionResult | null, o?: { tokenUse?: TokenUse }): Promise<UpdateResult>;
  pendingEffects(id: string): Promise<Effect[]>;
  requestsWithEffects(): Promise<string[]>;
  completeEffects(id: string, done: readonly Effect[]): Promise<void>;
  audit(id: string, entry: { event: string; by?: string | null; via?: string | null; detail?: string | null }, now?: Date): Promise<void>;
}

/**
 * The approval digest's store (src/adapters/redis/digest-store.ts): which requests wait for the next digest, and
 * the digests cut from them. Each change is atomic; a request is in the waiting list or in a digest, never lost
 * between the two, and never in two digests.
 */
export interface DigestStore {
  /**
   * Where this request's approval request goes: decided once (`rule` sees how many approval requests were routed
   * within `windowMs`, this one counted, and how many wait), then the same answer every time it is asked again.
   * 'digest' adds it to the waiting list in the same transaction. `oldest` (for 'digest'): the time (ms) the
   * oldest waiting request was added.
   */
  route(
    requestId: string,
    rule: (o: { recent: number; waiting: number }) => 'single' | 'digest',
    o: { now: number; windowMs: number },
  ): Promise<{ route: 'single' | 'digest'; first: boolean; oldest: number | null }>;
  /**
   * A request whose approval request went into a digest, and whose reminder is due: back into the waiting list
   * (idempotent), so the next digest lists it again. Returns the oldest waiting time, or null when the request's
   * approval request was a mail of its own (its reminder is one too).
   */
  requeue(requestId: string, now: number): Promise<number | null>;
  /** When the oldest waiting request was added (ms), or null when none waits. */
  oldestWaiting(): Promise<number | null>;
  /**
   * Cuts the next digest when the oldest waiting request was added at or before `dueBy`: up to `max` of the oldest
   * waiting requests leave the list, and those `keep` returns (still undecided) make digest n+1, stored as unsent.
   * Null when nothing is due (or nothing was kept).
   */
  cut(o: { dueBy: number; max: number; now: Date; keep: (ids: string[]) => Promise<DigestItem[]> }): Promise<Digest | null>;
  /** Digests cut whose mails are not all queued yet (a crash between the two). */
  unsent(): Promise<Digest[]>;
  markSent(n: number): Promise<void>;
  get(n: number): Promise<Digest | null>;
}
