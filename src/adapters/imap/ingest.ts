import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { Logger } from '../log.ts';
import { InboundJob } from '../../contracts/queues.ts';
import { MailboxError } from './connect.ts';
import { placeOf, type Disposition, type FolderNames } from './folders.ts';
import type { HandOffResult, IngestLedger, SeenRecord } from './ledger.ts';
import { keyWithoutBody, messageKey, normalizeMessageId } from './message-key.ts';

/** What the lead's triage says about one raw message. */
export interface TriageVerdict {
  disposition: Disposition;
  reason: string;
  messageId: string | null;
  /** The reading, handed to the processor so it does not read the message again (opaque here). */
  reading?: string | null;
}
export type Triage = (raw: Buffer) => Promise<TriageVerdict>;

/** Readings of one message that may begin and never finish before it is quarantined unread (issue 12). */
export const MAX_UNFINISHED_READINGS = 2;
/** Keyword (RFC 3501 §2.3.2) the desk leaves on a message it filed by COPY and could not remove without EXPUNGE. */
export const FILED_KEYWORD = '$CoalitionFiled';

/** Metadata fetched for every candidate before any body is downloaded. */
export const META_QUERY = { uid: true, size: true, internalDate: true, envelope: true } as const;

export interface MessageMeta {
  uid: number;
  size: number;
  internalDate: Date;
  messageId: string | null;
  from: string;
  subject: string;
}

export function toMeta(m: FetchMessageObject): MessageMeta {
  const d = m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate ?? 0);
  const from = m.envelope?.from?.[0];
  return {
    uid: m.uid,
    size: m.size ?? 0,
    internalDate: d,
    messageId: normalizeMessageId(m.envelope?.messageId),
    from: from ? (from.address ?? from.name ?? '') : '',
    subject: m.envelope?.subject ?? '',
  };
}

export interface Outcome {
  uid: number;
  key: string;
  disposition: Disposition;
  result: HandOffResult;
  reason: string;
  /** Server path the message is in now: the folder it was moved to, or the watched mailbox when it was left. */
  folder: string;
}

export interface IngestorOptions {
  mailbox: string;
  maxMessageBytes: number;
}

/**
 * One message through the front door: size check → download (BODY.PEEK) → triage →
 * spool + job + seen record (one transaction) → MOVE to the folder of its
 * disposition; or, for mail that is not the desk's business, the seen record
 * alone and no MOVE. The caller advances the checkpoint only after this returns, so
 * a crash at any point leaves the message in the mailbox to be looked at again,
 * and the seen record keeps that second look from queueing it twice.
 */
/** IMAP4rev2 (RFC 9051) folds MOVE and UIDPLUS into the base protocol. */
function rev2(client: ImapFlow): boolean {
  return client.enabled.has('IMAP4REV2') || (client.capabilities.has('IMAP4rev2') && !client.capabilities.has('IMAP4rev1'));
}

/** What one FETCH of a catch-up may bring at most: bodies are held in memory until they are handed off. */
export const PREFETCH_MAX_BYTES = 8 * 1024 * 1024;
export const PREFETCH_MAX_MESSAGES = 50;

/**
 * The metas of a catch-up in groups fetched together: at most PREFETCH_MAX_MESSAGES, and bodies of at most
 * PREFETCH_MAX_BYTES in all (a message larger than that alone is a group of its own).
 */
export function prefetchGroups(metas: readonly MessageMeta[], maxBytes = PREFETCH_MAX_BYTES, maxCount = PREFETCH_MAX_MESSAGES): MessageMeta[][] {
  const groups: MessageMeta[][] = [];
  let group: MessageMeta[] = [];
  let bytes = 0;
  for (const m of metas) {
    if (group.length && (group.length >= maxCount || bytes + m.size > maxBytes)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(m);
    bytes += m.size;
  }
  if (group.length) groups.push(group);
  return groups;
}

export class Ingestor {
  private warnedNoExpunge = false;
  /** Moves waiting for flushMoves(), by folder, in UID order. */
  private pendingMoves: Map<string, number[]> | null = null;

  /** From now until flushMoves(), MOVEs are gathered and made per folder in one command. */
  beginBatch(): void {
    this.pendingMoves ??= new Map();
  }

  /** Makes the gathered MOVEs: one UID MOVE (or COPY + UID EXPUNGE) per folder. */
  async flushMoves(client: ImapFlow): Promise<void> {
    const moves = this.pendingMoves;
    this.pendingMoves = null;
    if (!moves) return;
    for (const [folder, uids] of moves) if (uids.length) await this.moveNow(client, uids, folder);
  }

  /**
   * Downloads the bodies of a group in one FETCH (BODY.PEEK[], as download()). Messages over the size
   * limit are not fetched (they are quarantined from their size alone); a message missing from the
   * answer is fetched alone later, or found vanished.
   */
  async prefetch(client: ImapFlow, metas: readonly MessageMeta[]): Promise<Map<number, Buffer>> {
    const out = new Map<number, Buffer>();
    const wanted = metas.filter((m) => m.size <= this.o.maxMessageBytes).map((m) => m.uid);
    if (wanted.length < 2) return out; // one message: handle() downloads it, nothing to gain
    // Collected before anything else is asked of the connection: imapflow runs one command at a time.
    for await (const m of client.fetch(wanted.join(','), { uid: true, source: true }, { uid: true })) {
      if (m.source) out.set(m.uid, m.source);
    }
    return out;
  }

  constructor(
    private readonly ledger: IngestLedger,
    private readonly triage: Triage,
    private readonly logger: Logger,
    private readonly o: IngestorOptions,
  ) {}

  /** The verdict for one message without touching anything (for `backfill --dry-run`). */
  async preview(client: ImapFlow, meta: MessageMeta): Promise<{ disposition: Disposition; reason: string; already: SeenRecord | null }> {
    if (meta.size > this.o.maxMessageBytes) return { disposition: 'quarantine', reason: this.oversizeReason(meta.size), already: null };
    const raw = await this.download(client, meta.uid);
    if (!raw) return { disposition: 'quarantine', reason: 'message vanished', already: null };
    const verdict = await this.safeTriage(raw);
    const already = await this.ledger.seen(messageKey(meta.messageId ?? verdict.messageId, raw));
    return { ...verdict, already };
  }

  /**
   * `raw`: the message as fetched with others in one FETCH (catch-up); downloaded here when not given.
   * Inside beginBatch()/flushMoves(), the MOVE is made with the batch's others: until then the message is
   * still in the mailbox, and a crash leaves it there to be filed again (its seen record says where).
   */
  async handle(client: ImapFlow, meta: MessageMeta, uidValidity: string, folders: FolderNames, prefetched?: Buffer | null): Promise<Outcome | null> {
    const { uid, size } = meta;
    const place = { mailbox: this.o.mailbox, uidValidity, uid };
    const now = (): string => new Date().toISOString();

    // Oversize: decided from RFC822.SIZE, the body is never downloaded.
    if (size > this.o.maxMessageBytes) {
      const key = keyWithoutBody(meta.messageId, place);
      const reason = this.oversizeReason(size);
      return this.quarantine(client, meta, uidValidity, folders, key, reason);
    }

    // A message whose Message-ID was handed off before (a rescan after a crash or a
    // UIDVALIDITY change, a re-delivery) is only filed again: no download, no job.
    if (meta.messageId) {
      const key = messageKey(meta.messageId, Buffer.alloc(0));
      const seen = await this.ledger.seen(key);
      if (seen) return this.fileDuplicate(client, meta, folders, seen);
    }

    const raw = prefetched ?? (await this.download(client, uid));
    if (!raw) {
      this.logger.warn({ uid }, 'message vanished before it could be fetched');
      return null;
    }
    // Recorded before reading, so a message that kills or hangs the desk while it is read
    // is quarantined unread after MAX_UNFINISHED_READINGS, not read again at every restart.
    const readingKey = messageKey(meta.messageId, raw);
    const unfinished = await this.ledger.readingStarted(readingKey);
    if (unfinished >= MAX_UNFINISHED_READINGS) {
      const reason = `not read again: ${unfinished} earlier readings of it never finished (the desk died or hung while reading it)`;
      const outcome = await this.quarantine(client, meta, uidValidity, folders, readingKey, reason);
      await this.ledger.readingFinished(readingKey);
      return outcome;
    }
    const verdict = await this.safeTriage(raw);
    await this.ledger.readingFinished(readingKey);
    const key = messageKey(meta.messageId ?? verdict.messageId, raw);
    if (verdict.disposition === 'quarantine') {
      return this.quarantine(client, meta, uidValidity, folders, key, verdict.reason, verdict.messageId);
    }
    if (verdict.disposition === 'leave') return this.leave(client, meta, uidValidity, folders, key, verdict);
    const folder = folders[verdict.disposition];
    const record: SeenRecord = {
      key,
      folder: verdict.disposition,
      queued: true,
      mailbox: this.o.mailbox,
      uidValidity,
      uid,
      messageId: meta.messageId ?? normalizeMessageId(verdict.messageId),
      reason: verdict.reason,
      at: now(),
    };
    const job = InboundJob.parse({
      key,
      mailbox: this.o.mailbox,
      uidValidity,
      uid,
      size: raw.length,
      receivedAt: meta.internalDate.toISOString(),
      folder,
    });
    const result = await this.ledger.handOff(raw, job, record, verdict.reading ?? null);
    if (result === 'duplicate') {
      const seen = await this.ledger.seen(key);
      if (seen) return this.fileDuplicate(client, meta, folders, seen);
    }
    await this.move(client, uid, folder);
    this.logger.info({ uid, key, disposition: verdict.disposition, folder, reason: verdict.reason }, 'message queued and filed');
    return { uid, key, disposition: verdict.disposition, result, reason: verdict.reason, folder };
  }

  private oversizeReason(size: number): string {
    return `message of ${size} bytes is larger than MAX_MESSAGE_BYTES (${this.o.maxMessageBytes})`;
  }

  private async safeTriage(raw: Buffer): Promise<TriageVerdict> {
    try {
      return await this.triage(raw);
    } catch (err) {
      // Unreadable input never stops the watcher: it is quarantined with the reason.
      const why = err instanceof Error ? err.message : String(err);
      return { disposition: 'quarantine', reason: `could not be read: ${why}`, messageId: null };
    }
  }

  private async download(client: ImapFlow, uid: number): Promise<Buffer | null> {
    // imapflow asks for `source` as BODY.PEEK[] (never BODY[], which sets \Seen, RFC 3501 §6.4.5):
    // the staff reading the same mailbox still see the mail the desk leaves there as unread.
    // tests/integration/ingest/leave.test.ts reads the FETCH off the wire and the flags off the server.
    const m = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    return m && m.source ? m.source : null;
  }

  private async quarantine(
    client: ImapFlow,
    meta: MessageMeta,
    uidValidity: string,
    folders: FolderNames,
    key: string,
    reason: string,
    triageMessageId: string | null = null,
  ): Promise<Outcome> {
    const messageId = meta.messageId ?? normalizeMessageId(triageMessageId);
    const at = new Date().toISOString();
    const result = await this.ledger.quarantine(
      { key, mailbox: this.o.mailbox, uidValidity, uid: meta.uid, size: meta.size, messageId, reason, at },
      { key, folder: 'quarantine', queued: false, mailbox: this.o.mailbox, uidValidity, uid: meta.uid, messageId, reason, at },
    );
    await this.move(client, meta.uid, folders.quarantine);
    this.logger.warn({ uid: meta.uid, key, reason, folder: folders.quarantine, result }, 'message quarantined');
    return { uid: meta.uid, key, disposition: 'quarantine', result, reason, folder: folders.quarantine };
  }

  /**
   * Not the desk's business: only a seen record (no spool, no job), and no MOVE or
   * STORE, so the message stays in the mailbox as it arrived, \Seen untouched (the
   * download was a BODY.PEEK). The caller advances the checkpoint past it.
   */
  private async leave(
    client: ImapFlow,
    meta: MessageMeta,
    uidValidity: string,
    folders: FolderNames,
    key: string,
    verdict: TriageVerdict,
  ): Promise<Outcome> {
    const messageId = meta.messageId ?? normalizeMessageId(verdict.messageId);
    const at = new Date().toISOString();
    const result = await this.ledger.leave({
      key,
      folder: 'leave',
      queued: false,
      mailbox: this.o.mailbox,
      uidValidity,
      uid: meta.uid,
      messageId,
      reason: verdict.reason,
      at,
    });
    if (result === 'duplicate') {
      // A copy of a message dealt with before (same Message-ID, or same bytes) goes where the first went.
      const seen = await this.ledger.seen(key);
      if (seen) return this.fileDuplicate(client, meta, folders, seen);
    }
    this.logger.info({ uid: meta.uid, key, disposition: 'leave', folder: this.o.mailbox, reason: verdict.reason, result }, 'message left in the mailbox');
    return { uid: meta.uid, key, disposition: 'leave', result, reason: verdict.reason, folder: this.o.mailbox };
  }

  private async fileDuplicate(client: ImapFlow, meta: MessageMeta, folders: FolderNames, seen: SeenRecord): Promise<Outcome> {
    const folder = placeOf(seen.folder, folders, this.o.mailbox);
    // Left before: it stays where it is, untouched (a rescan after a UIDVALIDITY change, a backfill).
    if (seen.folder !== 'leave') await this.move(client, meta.uid, folder);
    this.logger.info(
      { uid: meta.uid, key: seen.key, folder, disposition: seen.folder, firstUid: seen.uid },
      seen.folder === 'leave' ? 'message was left before; left alone' : 'message was handed off before; filed only',
    );
    return { uid: meta.uid, key: seen.key, disposition: seen.folder, result: 'duplicate', reason: seen.reason, folder };
  }

  /**
   * Files one message, and never EXPUNGEs what the desk did not flag: info@ is shared, and a person's
   * message flagged \Deleted but not yet expunged must survive.
   *  - MOVE (RFC 6851): UID MOVE.
   *  - no MOVE, UIDPLUS (RFC 4315): UID COPY, \Deleted on this UID, UID EXPUNGE of this UID alone.
   *  - neither: UID COPY, and the original stays where it is with FILED_KEYWORD. A plain EXPUNGE would
   *    remove every \Deleted message of the mailbox (imapflow's own fallback does exactly that, so it is
   *    not used). The keyword keeps a rescan from copying it again.
   */
  private async move(client: ImapFlow, uid: number, folder: string): Promise<void> {
    if (this.pendingMoves) {
      const list = this.pendingMoves.get(folder) ?? [];
      list.push(uid);
      this.pendingMoves.set(folder, list);
      return;
    }
    await this.moveNow(client, [uid], folder);
  }

  private async moveNow(client: ImapFlow, uids: readonly number[], folder: string): Promise<void> {
    const range = uids.join(',');
    const can = (cap: string): boolean => client.capabilities.has(cap) || rev2(client);
    if (!can('MOVE') && !can('UIDPLUS') && uids.length > 1) {
      // Copy and keyword, each after its own look at the keyword (a rescan must not copy one again).
      for (const one of uids) await this.moveNow(client, [one], folder);
      return;
    }
    if (can('MOVE')) {
      const res = await client.messageMove(range, folder, { uid: true });
      if (!res) throw new MailboxError('MAILBOX_MOVE_FAILED', `could not move UID ${range} to ${folder}`);
      return;
    }
    const uidplus = can('UIDPLUS');
    if (!uidplus) {
      const m = await client.fetchOne(range, { uid: true, flags: true }, { uid: true });
      if (m && m.flags?.has(FILED_KEYWORD)) return; // copied before; the original stays
    }
    const copied = await client.messageCopy(range, folder, { uid: true });
    if (!copied) throw new MailboxError('MAILBOX_MOVE_FAILED', `could not copy UID ${range} to ${folder}`);
    if (uidplus) {
      // messageDelete with uid: STORE +FLAGS (\Deleted) then UID EXPUNGE <uid>, since UIDPLUS is there.
      if (!(await client.messageDelete(range, { uid: true }))) {
        throw new MailboxError('MAILBOX_MOVE_FAILED', `copied UID ${range} to ${folder} but could not remove it (UID EXPUNGE)`);
      }
      return;
    }
    if (!this.warnedNoExpunge) {
      this.warnedNoExpunge = true;
      this.logger.warn(
        { mailbox: this.o.mailbox, keyword: FILED_KEYWORD },
        'the server offers neither MOVE nor UIDPLUS: filed mail is copied, and the original stays in the mailbox with a keyword (a plain EXPUNGE would remove messages other people flagged \\Deleted)',
      );
    }
    const flagged = await client.messageFlagsAdd(range, [FILED_KEYWORD], { uid: true });
    if (!flagged || (client.mailbox && client.mailbox.permanentFlags && !client.mailbox.permanentFlags.has('\\*') && !client.mailbox.permanentFlags.has(FILED_KEYWORD))) {
      this.logger.warn({ uid: range, keyword: FILED_KEYWORD }, 'the server keeps no keyword on this message: a rescan may file it again');
    }
  }
}
