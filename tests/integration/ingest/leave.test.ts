import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { runBackfill } from '../../../src/adapters/imap/backfill.ts';
import { ensureFolders } from '../../../src/adapters/imap/folders.ts';
import { META_QUERY, toMeta } from '../../../src/adapters/imap/ingest.ts';
import type { SeenRecord } from '../../../src/adapters/imap/ledger.ts';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { createIngestParts, ingestKeys } from '../../../src/adapters/imap/wiring.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { createTriage } from '../../../workers/ports.ts';
import { FOLDERS, memoryLogger, probeQueue, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { deliver, flagsIn, recordingClient, type FlaggedMessage } from '../../harness/mailbox.ts';
import { CSO, INFO } from '../../harness/stack.ts';
import { compose, joinFrom, sendJoinRequest, startDesk, subjectHas, waitFor, type Desk } from '../flow/desk.ts';

/**
 * info@ is the institute's general address: its staff read the same INBOX. The
 * whole desk (watcher, processor, mailer, real triage, UNRELATED_MAIL unset, so
 * `leave`) runs against the real Dovecot; what is not its business must still be
 * in INBOX, unread, however often the desk starts, rescans or backfills.
 */

let n = 0;
const unrelatedMail = (): Promise<Buffer> => {
  n += 1;
  return compose({
    from: 'Drita Kola <drita@partner.example.net>',
    subject: `Room booking for the March workshop (${n})`,
    text: 'Dear colleagues,\n\nthe large room is booked for 12 March from 9:00 to 13:00, as you asked.\nThe invoice will follow next week.\n\nKind regards,\nDrita Kola',
    messageId: `<room.${n}.${Date.now()}@partner.example.net>`,
    inReplyTo: '<staff.41@mail.example.net>',
  });
};

const outOfOffice = (o: { from: string; inReplyTo: string; messageId: string; subject: string }): Promise<Buffer> =>
  compose({
    from: o.from,
    subject: o.subject,
    text: 'I am out of the office until Monday 7 December with limited access to e-mail.\nFor urgent matters please call the front desk.',
    messageId: o.messageId,
    inReplyTo: o.inReplyTo,
    references: [o.inReplyTo],
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
  });

const keyOf = (messageId: string): string => messageKey(messageId, Buffer.alloc(0));
const unseen = (m: FlaggedMessage): boolean => !m.flags.includes('\\Seen');
/** The flags a person would see: \Recent belongs to whichever session looked first. */
const personal = (m: FlaggedMessage): string[] => m.flags.filter((f) => f !== '\\Recent');

describe('a shared info@ mailbox: the desk leaves alone what is not its business', () => {
  let desk: Desk;
  let probe: QueueProbe;
  const { logger, lines } = memoryLogger('info');
  const HUMAN = `<room.first.${Date.now()}@partner.example.net>`;
  const OOO = `<ooo.first.${Date.now()}@ministry.example.net>`;
  let inboxBefore: FlaggedMessage[] = [];

  const logged = (msg: string, key: string): number => lines.filter((l) => l.msg === msg && l.key === key).length;
  const seenRecord = async (messageId: string): Promise<SeenRecord | null> => {
    const v = await desk.redis.get(keyspace(desk.stack.prefix).op('ingest', 'seen', keyOf(messageId)));
    return v ? (JSON.parse(v) as SeenRecord) : null;
  };
  const queuedKeys = async (): Promise<Set<string>> => new Set((await probe.jobs()).map((j) => j.id));

  beforeAll(async () => {
    desk = await startDesk({}, { logger });
    probe = probeQueue(desk.stack);
  });
  afterAll(async () => {
    await probe?.close();
    await desk?.close();
  });

  it('leaves an unrelated mail and an out-of-office to someone else in INBOX, unread, and files and answers a join request', async () => {
    const { stack } = desk;
    expect(desk.config.UNRELATED_MAIL).toBe('leave');
    await deliver(stack.dovecot, INFO, await compose({
      from: 'Drita Kola <drita@partner.example.net>',
      subject: 'Room booking for the March workshop',
      text: 'Dear colleagues,\n\nthe large room is booked for 12 March, as you asked.\n\nKind regards,\nDrita Kola',
      messageId: HUMAN,
      inReplyTo: '<staff.41@mail.example.net>',
    }));
    await deliver(stack.dovecot, INFO, await outOfOffice({
      from: 'Arben Dushku <arben@ministry.example.net>',
      subject: 'Automatic reply: Invitation to the budget hearing',
      messageId: OOO,
      inReplyTo: '<staff.42@mail.example.net>',
    }));
    const join = await sendJoinRequest(stack);

    // Evidence that the desk looked at both and chose to leave them: its log and its ledger.
    await waitUntil(() => logged('message left in the mailbox', keyOf(HUMAN)) === 1 && logged('message left in the mailbox', keyOf(OOO)) === 1, 20_000, 'both left');
    expect(await seenRecord(HUMAN)).toMatchObject({ folder: 'leave', queued: false, reason: 'unrelated', mailbox: 'INBOX' });
    expect(await seenRecord(OOO)).toMatchObject({ folder: 'leave', queued: false, reason: "unrelated: auto_reply to someone else's mail" });
    // The join request is handled: acknowledged, and filed.
    const [ack] = await waitFor(stack, CSO, subjectHas(/REQ-/));
    await waitUntil(async () => (await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).some((m) => m.messageId === join), 10_000, 'join request filed');

    inboxBefore = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inboxBefore.map((m) => m.messageId).sort()).toEqual([OOO, HUMAN].sort());
    for (const m of inboxBefore) expect(personal(m)).toEqual([]);
    const queued = await queuedKeys();
    expect(queued.has(keyOf(join))).toBe(true);
    expect(queued.has(keyOf(HUMAN)) || queued.has(keyOf(OOO))).toBe(false);

    // An out-of-office answering OUR mail is the desk's: filed in Ignored, not left.
    const oursOoo = `<ooo.cso.${Date.now()}@cso.example.net>`;
    await deliver(stack.dovecot, INFO, await outOfOffice({ from: CSO, subject: `Automatic reply: ${ack!.subject}`, messageId: oursOoo, inReplyTo: ack!.messageId }));
    await waitUntil(async () => (await flagsIn(stack.dovecot, INFO, FOLDERS.ignored)).some((m) => m.messageId === oursOoo), 10_000, 'our out-of-office filed');
    expect((await seenRecord(oursOoo))?.folder).toBe('ignored');
  });

  it('keeps them in INBOX, unread and untouched, across a restart and a UIDVALIDITY rescan', async () => {
    const { stack } = desk;
    const recordsBefore = [await seenRecord(HUMAN), await seenRecord(OOO)];

    await desk.stopWorkers();
    await desk.startWorkers();
    // Evidence that the restarted desk caught up past them: the next join request is filed.
    const next = await sendJoinRequest(stack, joinFrom({ name: 'Civic Lab Albania', acronym: 'CLA', city: 'Vlorë', person: 'Elira Doko', address: 'hello@cla.example.net' }));
    await waitUntil(async () => (await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).some((m) => m.messageId === next), 20_000, 'next join request filed');
    // The checkpoint is past them: they were not even looked at again.
    expect(logged('message left in the mailbox', keyOf(HUMAN)) + logged('message left in the mailbox', keyOf(OOO))).toBe(2);

    // A UIDVALIDITY change makes the watcher look at every message in INBOX again.
    await desk.stopWorkers();
    await desk.redis.hset(ingestKeys(keyspace(stack.prefix)).checkpoint('INBOX'), 'uidValidity', '1');
    await desk.startWorkers();
    await waitUntil(
      () => logged('message was left before; left alone', keyOf(HUMAN)) === 1 && logged('message was left before; left alone', keyOf(OOO)) === 1,
      20_000,
      'both looked at again after the rescan',
    );
    const after = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(after).toEqual(inboxBefore); // same UIDs, same flags: not moved, not re-appended, not marked read
    expect(after.every(unseen)).toBe(true);
    expect([await seenRecord(HUMAN), await seenRecord(OOO)]).toEqual(recordsBefore);
    expect(logged('message left in the mailbox', keyOf(HUMAN)) + logged('message left in the mailbox', keyOf(OOO))).toBe(2);
  });

  it('shows leave in a backfill dry run, and a backfill neither moves nor queues what it leaves', async () => {
    const { stack } = desk;
    await desk.stopWorkers();
    const raw = await unrelatedMail();
    const fresh = /Message-ID: (.+)/i.exec(raw.toString('latin1'))?.[1]?.trim() as string;
    await deliver(stack.dovecot, INFO, raw);
    // Backfill is for mail older than PROCESS_SINCE: move the boundary past everything in INBOX.
    const config = loadConfig({ ...stack.env, PROCESS_SINCE: new Date(Date.now() + 86_400_000).toISOString() }, '/nonexistent/.env');
    const backfill = (dryRun: boolean) =>
      runBackfill({ config, redis: desk.redis, logger: silentLogger, triage: createTriage(config), since: new Date(Date.now() - 86_400_000), dryRun });
    const row = (rows: { subject: string; disposition: string; result: string; folder: string }[]) =>
      rows.map((r) => [r.subject.replace(/\(\d+\)/, '(n)'), r.disposition, r.result, r.folder]);

    const dry = await backfill(true);
    expect(row(dry.rows)).toEqual([
      ['Room booking for the March workshop', 'leave', 'already', 'INBOX'],
      ['Automatic reply: Invitation to the budget hearing', 'leave', 'already', 'INBOX'],
      ['Room booking for the March workshop (n)', 'leave', 'would', 'INBOX'],
    ]);
    expect(await seenRecord(fresh)).toBeNull();

    const real = await backfill(false);
    expect(real.rows.map((r) => [r.disposition, r.result])).toEqual([
      ['leave', 'duplicate'],
      ['leave', 'duplicate'],
      ['leave', 'recorded'],
    ]);
    expect((await backfill(false)).rows.map((r) => r.result)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await seenRecord(fresh)).toMatchObject({ folder: 'leave', queued: false });
    expect((await queuedKeys()).has(keyOf(fresh))).toBe(false);
    const inbox = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inbox.map((m) => m.messageId)).toEqual([...inboxBefore.map((m) => m.messageId), fresh]);
    expect(inbox.every(unseen)).toBe(true);
  });

  it('downloads with BODY.PEEK[] and sends no STORE, MOVE, COPY or EXPUNGE for mail it leaves', async () => {
    const { stack } = desk;
    const raw = await unrelatedMail();
    const id = /Message-ID: (.+)/i.exec(raw.toString('latin1'))?.[1]?.trim() as string;
    await deliver(stack.dovecot, INFO, raw);
    const parts = await createIngestParts({ config: desk.config, redis: desk.redis, logger: silentLogger, triage: createTriage(desk.config) });
    const { client, commands } = recordingClient(stack.dovecot, INFO, stack.env.IMAP_PASSWORD as string);
    try {
      await client.connect();
      const folders = await ensureFolders(client, { processed: desk.config.FOLDER_PROCESSED, ignored: desk.config.FOLDER_IGNORED, quarantine: desk.config.FOLDER_QUARANTINE });
      const lock = await client.getMailboxLock('INBOX');
      try {
        const uidValidity = String(client.mailbox && client.mailbox.uidValidity);
        const meta = (await client.fetchAll('1:*', META_QUERY, { uid: true })).map(toMeta).find((m) => m.messageId === id.replace(/[<>]/g, ''));
        expect(meta).toBeDefined();
        commands.length = 0;
        const out = await parts.ingestor.handle(client, meta!, uidValidity, folders);
        expect(out).toMatchObject({ disposition: 'leave', result: 'recorded', folder: 'INBOX' });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
      await parts.close();
    }
    const fetches = commands.filter((c) => /\bFETCH\b/.test(c));
    expect(fetches.some((c) => c.includes('BODY.PEEK[]'))).toBe(true);
    expect(fetches.filter((c) => /\b(?:BODY|BINARY|RFC822)(?:\.TEXT)?\[/.test(c) || /\bRFC822\b(?!\.SIZE)/.test(c))).toEqual([]);
    expect(commands.filter((c) => /\b(?:STORE|MOVE|COPY|EXPUNGE)\b/.test(c))).toEqual([]);
    const left = (await flagsIn(stack.dovecot, INFO, 'INBOX')).find((m) => m.messageId === id);
    expect(left && personal(left)).toEqual([]);
  });
});
