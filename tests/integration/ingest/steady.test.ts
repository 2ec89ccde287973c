import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, INFO, type Stack } from '../../harness/stack.ts';
import { appendMessage, imapAs, listMessages } from '../../harness/mailbox.ts';
import { appendMany, configOf, countIn, FOLDERS, mail, memoryLogger, probeQueue, testTriage, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { IngestLedger } from '../../../src/adapters/imap/ledger.ts';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { QUEUES } from '../../../src/contracts/queues.ts';

describe('the watcher, running against a live mailbox', () => {
  let stack: Stack;
  let probe: QueueProbe;
  let w: RunningWatcher;
  const { logger, lines } = memoryLogger();

  beforeAll(async () => {
    stack = await startStack();
    probe = probeQueue(stack);
    // Small size limit so that the oversize case needs no 25 MB message.
    w = await startWatcher({ config: configOf(stack, { MAX_MESSAGE_BYTES: '100000' }), redis: stack.redis, logger, triage: testTriage });
    await new Promise<void>((r) => w.watcher.once('connected', r));
  });
  afterAll(async () => {
    await w?.close();
    await probe?.close();
    await stack?.stop();
  });

  it('notices a message APPENDed to INBOX within 2 s and logs it with its UID', async () => {
    const uid = await appendMessage(stack.dovecot, INFO, mail({ subject: 'First contact' }));
    await waitUntil(() => lines.some((l) => l.msg === 'noticed message' && l.uid === uid), 2_000, `log line for UID ${uid}`);
    await waitUntil(async () => (await probe.jobCount()) === 1, 5_000, 'its job');
    const [job] = await probe.jobs();
    expect(job?.data).toMatchObject({ uid, mailbox: 'INBOX', folder: FOLDERS.processed });
  });

  it('queues each of 200 messages APPENDed while it runs exactly once and moves them all out of INBOX', async () => {
    const before = (await probe.jobs()).length;
    const raws = Array.from({ length: 200 }, (_, i) => mail({ subject: `Bulk ${i}` }));
    await appendMany(stack, raws);
    await waitUntil(async () => (await probe.jobCount()) >= before + 200 && (await countIn(stack, 'INBOX')) === 0, 40_000, '200 jobs and an empty INBOX');
    await new Promise((r) => setTimeout(r, 500)); // a late duplicate would show up here
    const jobs = await probe.jobs();
    expect(jobs).toHaveLength(before + 200);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    expect(await probe.seenCount()).toBe(before + 200);
    const expected = new Set(raws.map((r) => messageKey(/Message-ID: (.+)/.exec(r)?.[1] ?? null, Buffer.from(r))));
    const missing = [...expected].filter((key) => !jobs.some((j) => j.id === key));
    expect(missing).toEqual([]);
    expect(await countIn(stack, 'INBOX')).toBe(0);
    expect(await countIn(stack, FOLDERS.processed)).toBe(before + 200);
    // Every queued message is in the spool for the processor.
    for (const key of [...expected].slice(0, 20)) expect(await w.parts.spool.get(key)).not.toBeNull();
  });

  it('quarantines an oversize message and one of random bytes with a reason, and still processes the mail after them', async () => {
    const before = (await probe.jobs()).length;
    const big = mail({ subject: 'Huge attachment', body: 'x'.repeat(150_000) });
    const noise = randomBytes(3000);
    const after = [mail({ subject: 'After the bad ones 1' }), mail({ subject: 'Automatic reply: away' })];
    await appendMany(stack, [big, noise, ...after]);
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 10_000, 'INBOX empty');

    const quarantined = await listMessages(stack.dovecot, INFO, FOLDERS.quarantine);
    expect(quarantined).toHaveLength(2);
    const records = await w.parts.ledger.quarantined();
    expect(records).toHaveLength(2);
    expect(records.find((r) => r.size > 100_000)?.reason).toMatch(/larger than MAX_MESSAGE_BYTES/);
    expect(records.find((r) => r.size < 100_000)?.reason).toMatch(/header/);
    expect(lines.filter((l) => l.msg === 'message quarantined' && typeof l.reason === 'string')).toHaveLength(2);

    const jobs = await probe.jobs();
    expect(jobs).toHaveLength(before + 2); // the two after them; quarantine is not queued
    expect(await countIn(stack, FOLDERS.ignored)).toBe(1);
    expect(jobs.find((j) => j.data.folder === FOLDERS.ignored)).toBeDefined();
  });

  it('leaves mail older than PROCESS_SINCE untouched in INBOX, and does not look at it again', async () => {
    const before = (await probe.jobs()).length;
    await appendMany(stack, [mail({ subject: 'From last century' })], 'INBOX', new Date('1999-06-01T10:00:00Z'));
    await appendMessage(stack.dovecot, INFO, mail({ subject: 'Fresh' }));
    await waitUntil(async () => (await probe.jobCount()) === before + 1, 5_000, 'the fresh message');
    const inbox = await listMessages(stack.dovecot, INFO, 'INBOX');
    expect(inbox.map((m) => m.subject)).toEqual(['From last century']);
    const noticedOld = lines.filter((l) => l.msg === 'noticed message' && l.uid === inbox[0]?.uid).length;
    // Another catch-up (a poll tick) does not fetch it again: SEARCH SINCE skips it server-side.
    await appendMessage(stack.dovecot, INFO, mail({ subject: 'Fresh 2' }));
    await waitUntil(async () => (await probe.jobCount()) === before + 2, 5_000, 'the second fresh message');
    expect(lines.filter((l) => l.msg === 'noticed message' && l.uid === inbox[0]?.uid).length).toBe(noticedOld);
    expect(await countIn(stack, 'INBOX')).toBe(1);
  });

  it('keeps the dedup record as the guard when the job is already gone from the queue', async () => {
    const raw = mail({ subject: 'Processed and removed' });
    await appendMessage(stack.dovecot, INFO, raw);
    const key = messageKey(/Message-ID: (.+)/.exec(raw)?.[1] ?? null, Buffer.from(raw));
    await waitUntil(async () => (await probe.queue.getJob(key)) !== undefined, 5_000, 'its job');
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 1, 5_000, 'it moved'); // the old one stays
    await (await probe.queue.getJob(key))?.remove();
    // The same message comes back (a coordinator drags it back into INBOX).
    const c = imapAs(stack.dovecot, INFO);
    await c.connect();
    await c.append('INBOX', raw);
    await c.logout();
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 1, 5_000, 'the copy filed');
    expect(await probe.queue.getJob(key)).toBeUndefined();
    expect(lines.some((l) => l.msg === 'message was handed off before; filed only' && l.key === key)).toBe(true);
  });

  it('hands a message off once when several ledgers race for it, each on its own connection', async () => {
    // Below the lock: the seen record (WATCH + MULTI) alone decides.
    const parts = w.parts;
    const extra = [0, 1, 2].map(() => {
      const conn = stack.redis.duplicate();
      const queue = new Queue(QUEUES.inbound, { connection: conn, prefix: parts.ks.bull });
      return { conn, queue, ledger: new IngestLedger(conn, queue, parts.ks, parts.spool, { quarantineMax: 10 }) };
    });
    try {
      for (let round = 0; round < 5; round++) {
        const raw = Buffer.from(mail({ subject: `Raced ${round}` }));
        const key = messageKey(/Message-ID: (.+)/.exec(raw.toString())?.[1] ?? null, raw);
        const job = { key, mailbox: 'INBOX', uidValidity: '1', uid: 90000 + round, size: raw.length, receivedAt: new Date().toISOString(), folder: FOLDERS.processed };
        const rec = { key, folder: 'processed' as const, queued: true, mailbox: 'INBOX', uidValidity: '1', uid: job.uid, messageId: null, reason: 'x', at: '' };
        const ledgers = [parts.ledger, parts.ledger, ...extra.map((e) => e.ledger)];
        const results = await Promise.all(ledgers.map((l) => l.handOff(raw, job, rec)));
        expect(results.filter((r) => r === 'queued')).toHaveLength(1);
        expect(results.filter((r) => r === 'duplicate')).toHaveLength(ledgers.length - 1);
        expect(await probe.queue.getJob(key)).toBeDefined();
      }
    } finally {
      for (const e of extra) {
        await e.queue.close();
        await e.conn.quit();
      }
    }
  });
});
