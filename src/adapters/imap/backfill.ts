import type { Config } from '../../../config/schema.ts';
import type { Logger } from '../log.ts';
import { createImapClient, imapSettings, MailboxError, withTimeout } from './connect.ts';
import { ensureFolders, namespaceOf, placeOf, serverPath, type Disposition, type FolderNames } from './folders.ts';
import { META_QUERY, toMeta, type Triage } from './ingest.ts';
import type { HandOffResult } from './ledger.ts';
import { isBefore } from './watcher.ts';
import { createIngestParts } from './wiring.ts';
import type { Redis } from 'ioredis';

export interface BackfillRow {
  uid: number;
  date: string;
  from: string;
  subject: string;
  disposition: Disposition;
  reason: string;
  /** What happened: 'would' in a dry run; 'already' when it was handed off (or left) before. */
  result: HandOffResult | 'would' | 'already';
  /** Where it is (or would be) filed; the watched mailbox itself for 'leave'. */
  folder: string;
}

/**
 * Processes, on purpose, mail the watcher leaves alone: INTERNALDATE from
 * `since` up to PROCESS_SINCE (or `until`, whichever is earlier), through the
 * same hand-off as the watcher (so it queues nothing twice, even while the
 * watcher runs). Mail that is not the desk's business is left where it is, with a
 * seen record, as the watcher does. A dry run only fetches (BODY.PEEK) and triages:
 * no job, no move, no folder.
 */
export async function runBackfill(o: {
  config: Config;
  redis: Redis;
  logger: Logger;
  triage: Triage;
  since: Date;
  until?: Date;
  dryRun: boolean;
  onRow?: (row: BackfillRow) => void;
  /** How many of the messages found (by day) have been looked at: for the CLI's progress line. */
  onProgress?: (done: number, total: number) => void;
}): Promise<{ rows: BackfillRow[]; processSince: Date; until: Date }> {
  const { config } = o;
  const parts = await createIngestParts({ config, redis: o.redis, logger: o.logger, triage: o.triage });
  const until = o.until && o.until < parts.processSince ? o.until : parts.processSince;
  const client = createImapClient(imapSettings(config), { socketTimeoutMs: 120_000, connectTimeoutMs: 15_000 });
  client.on('error', (err: unknown) => o.logger.warn({ err }, 'IMAP connection error (backfill)'));
  const rows: BackfillRow[] = [];
  try {
    try {
      await withTimeout(client.connect(), 30_000, 'IMAP connect');
    } catch (err) {
      throw new MailboxError('MAILBOX_UNAVAILABLE', `cannot log in to ${config.IMAP_HOST}:${config.IMAP_PORT}: ${(err as Error).message}`, { cause: err });
    }
    const names: FolderNames = { processed: config.FOLDER_PROCESSED, ignored: config.FOLDER_IGNORED, quarantine: config.FOLDER_QUARANTINE };
    const folders = o.dryRun ? mapNames(names, await namespaceOf(client)) : await ensureFolders(client, names);
    const lock = await client.getMailboxLock(config.IMAP_MAILBOX);
    try {
      const mb = client.mailbox;
      if (!mb) throw new MailboxError('MAILBOX_UNAVAILABLE', `${config.IMAP_MAILBOX} could not be opened`);
      const uidValidity = String(mb.uidValidity);
      const day = 24 * 3600 * 1000;
      // Day-granular SEARCH with a day's margin each side; exact bounds below.
      const found = await client.search({ since: new Date(o.since.getTime() - day), before: new Date(until.getTime() + 2 * day) }, { uid: true });
      const uids = [...(found || [])].sort((a, b) => a - b);
      let seen = 0;
      o.onProgress?.(0, uids.length);
      for (let i = 0; i < uids.length; i += 100) {
        const metas = (await client.fetchAll(uids.slice(i, i + 100).join(','), META_QUERY, { uid: true })).map(toMeta).sort((a, b) => a.uid - b.uid);
        for (const meta of metas) {
          // Those before this one are done; the last call, after the loop, counts every one found.
          o.onProgress?.(Math.min(seen, uids.length), uids.length);
          seen += 1;
          if (isBefore(meta.internalDate, o.since) || !isBefore(meta.internalDate, until)) continue;
          const base = { uid: meta.uid, date: meta.internalDate.toISOString(), from: meta.from, subject: meta.subject };
          let row: BackfillRow;
          if (o.dryRun) {
            const p = await parts.ingestor.preview(client, meta);
            const disposition = p.already?.folder ?? p.disposition;
            row = { ...base, disposition, reason: p.already ? p.already.reason : p.reason, result: p.already ? 'already' : 'would', folder: placeOf(disposition, folders, config.IMAP_MAILBOX) };
          } else {
            const out = await parts.ingestor.handle(client, meta, uidValidity, folders);
            if (!out) continue;
            row = { ...base, disposition: out.disposition, reason: out.reason, result: out.result, folder: out.folder };
          }
          rows.push(row);
          o.onRow?.(row);
        }
      }
      o.onProgress?.(uids.length, uids.length);
    } finally {
      lock.release();
    }
  } finally {
    if (client.usable) await withTimeout(client.logout(), 5_000, 'LOGOUT').catch(() => client.close());
    else client.close();
    await parts.close();
  }
  return { rows, processSince: parts.processSince, until };
}

function mapNames(n: FolderNames, ns: { delimiter: string; prefix: string }): FolderNames {
  return { processed: serverPath(n.processed, ns), ignored: serverPath(n.ignored, ns), quarantine: serverPath(n.quarantine, ns) };
}
