import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, INFO, type Stack } from '../../harness/stack.ts';
import { imapAs } from '../../harness/mailbox.ts';
import { appendMany, configOf, countIn, FOLDERS, killImapSessions, mail, memoryLogger, probeQueue, testTriage, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { startWatcher, type RunningWatcher, type WatcherTuning } from '../../../workers/watcher.ts';
import { CheckpointStore } from '../../../src/adapters/imap/checkpoint.ts';
import { imapSettings } from '../../../src/adapters/imap/connect.ts';
import { RedisLock } from '../../../src/adapters/imap/lock.ts';
import { MailboxWatcher } from '../../../src/adapters/imap/watcher.ts';
import { createIngestParts, ingestKeys } from '../../../src/adapters/imap/wiring.ts';

const FAST: WatcherTuning = { lockTtlMs: 2_000, lockRetryMs: 200, healthTimeoutMs: 2_000, backoff: { baseMs: 200, maxMs: 1_500 } };

/** Delivers as an MTA does while the IMAP server is down: a file in Maildir/new (uid 8 = mail). */
function dropIntoMaildir(stack: Stack, raw: string, n: number): void {
  const path = join(stack.dovecot.mailDir, 'example.org', 'info', 'Maildir', 'new', `${Date.now()}.M${n}P${process.pid}.test`);
  writeFileSync(path, raw.replace(/\r\n/g, '\n'));
  chownSync(path, 8, 8);
}

describe('the watcher when the mail server goes away or the mailbox is recreated', () => {
  let stack: Stack;
  let probe: QueueProbe;
  let w: RunningWatcher | undefined;

  beforeAll(async () => {
    stack = await startStack();
    probe = probeQueue(stack);
  });
  afterAll(async () => {
    await w?.close();
    await probe?.close();
    await stack?.stop();
  });

  it('reconnects after Dovecot restarts and picks up the mail that arrived during the outage', async () => {
    const { logger, lines } = memoryLogger();
    w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger, triage: testTriage, tuning: FAST });
    await new Promise<void>((r) => w!.watcher.once('connected', r));
    await appendMany(stack, [mail({ subject: 'Before the outage' })]);
    await waitUntil(async () => (await probe.jobCount()) === 1, 5_000, 'first job');

    await stack.dovecot.halt();
    expect(killImapSessions(stack).length).toBeGreaterThan(0); // the watcher's session dies with the server
    const during = [mail({ subject: 'During the outage 1' }), mail({ subject: 'During the outage 2' })];
    during.forEach((raw, i) => dropIntoMaildir(stack, raw, i));
    await new Promise((r) => setTimeout(r, 1_000)); // a few failed reconnects
    await stack.dovecot.resume();
    await appendMany(stack, [mail({ subject: 'Right after the outage' })]);

    await waitUntil(async () => (await probe.jobCount()) === 4 && (await countIn(stack, 'INBOX')) === 0, 15_000, 'all four queued');
    expect(lines.filter((l) => l.msg === 'connected to the mailbox').length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.msg === 'reconnecting to the mailbox')).toBe(true);
    expect(await probe.seenCount()).toBe(4);
    await w.close();
    w = undefined;
  });

  it('notices a connection that went silent (no answer to NOOP) and reconnects', async () => {
    const { logger, lines } = memoryLogger();
    w = await startWatcher({ config: configOf(stack, { IMAP_POLL_INTERVAL: '1s' }), redis: stack.redis, logger, triage: testTriage, tuning: { ...FAST, healthTimeoutMs: 1_000 } });
    await new Promise<void>((r) => w!.watcher.once('connected', r));
    const before = (await probe.jobs()).length;
    // SIGSTOP: the TCP connection stays open but nothing answers, like a dead NAT entry.
    const frozen = killImapSessions(stack, 'SIGSTOP');
    expect(frozen.length).toBeGreaterThan(0);
    try {
      await new Promise<void>((r) => w!.watcher.once('connected', r));
      await appendMany(stack, [mail({ subject: 'After the silent death' })]);
      await waitUntil(async () => (await probe.jobCount()) === before + 1, 10_000, 'queued over the new connection');
      expect(lines.some((l) => JSON.stringify(l.err ?? '').includes('NOOP health check'))).toBe(true);
    } finally {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await w.close();
    w = undefined;
  });

  it('queues nothing twice when UIDVALIDITY changes (mailbox deleted, recreated and refilled)', async () => {
    const { logger, lines } = memoryLogger();
    const c = imapAs(stack.dovecot, INFO);
    await c.connect();
    await c.mailboxCreate('Intake');
    const config = configOf(stack, { IMAP_MAILBOX: 'Intake' });
    w = await startWatcher({ config, redis: stack.redis, logger, triage: testTriage, tuning: FAST });
    const before = (await probe.jobs()).length;
    const raws = Array.from({ length: 6 }, (_, i) => mail({ subject: `Intake ${i}` }));
    await appendMany(stack, raws, 'Intake');
    await waitUntil(async () => (await probe.jobCount()) === before + 6 && (await countIn(stack, 'Intake')) === 0, 10_000, 'six jobs');
    const v1 = ((await c.status('Intake', { uidValidity: true })) || undefined)?.uidValidity;

    await c.mailboxDelete('Intake');
    await new Promise((r) => setTimeout(r, 1_100)); // Dovecot derives UIDVALIDITY from the clock
    await c.mailboxCreate('Intake');
    const v2 = ((await c.status('Intake', { uidValidity: true })) || undefined)?.uidValidity;
    expect(v2).not.toBe(v1);
    const fresh = mail({ subject: 'New after the recreate' });
    await appendMany(stack, [...raws, fresh], 'Intake');
    await c.logout();

    await waitUntil(async () => (await countIn(stack, 'Intake')) === 0, 15_000, 'Intake empty again');
    const jobs = await probe.jobs();
    expect(jobs).toHaveLength(before + 7);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(before + 7);
    expect(await probe.seenCount()).toBe(before + 7);
    expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('UIDVALIDITY changed'))).toBe(true);
    expect(lines.filter((l) => l.msg === 'message was handed off before; filed only')).toHaveLength(6);
  });

  it('backs off further after each session that fails right after logging in, instead of logging in again every few hundred ms', async () => {
    const { logger, lines } = memoryLogger();
    const config = configOf(stack);
    const parts = await createIngestParts({ config, redis: stack.redis, logger, triage: testTriage });
    // LOGIN and SELECT succeed; the catch-up then fails every time (as when Redis refuses the checkpoint read).
    class FailingCheckpoints extends CheckpointStore {
      override get(): Promise<never> {
        return Promise.reject(new Error('READONLY You can\'t write against a read only replica.'));
      }
    }
    const lock = new RedisLock(stack.redis, ingestKeys(parts.ks).lock('backoff-test'), { ttlMs: 2_000 });
    const watcher = new MailboxWatcher(imapSettings(config), lock, new FailingCheckpoints(stack.redis, () => 'unused'), parts.ingestor, logger, {
      mailbox: 'INBOX',
      folders: FOLDERS,
      processSince: parts.processSince,
      pollIntervalMs: 2_000,
      healthTimeoutMs: 2_000,
      lockRetryMs: 200,
      backoff: { baseMs: 100, maxMs: 10_000, jitter: 0 },
      batchSize: 10,
    });
    watcher.start();
    try {
      const delays = () => lines.filter((l) => l.msg === 'reconnecting to the mailbox').map((l) => l.delayMs);
      await waitUntil(() => delays().length >= 4, 10_000, 'four reconnects');
      expect(delays().slice(0, 4)).toEqual([100, 200, 400, 800]);
    } finally {
      await watcher.close();
      await parts.close();
    }
  });
});
