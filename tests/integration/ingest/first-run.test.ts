import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../harness/stack.ts';
import { listMessages } from '../../harness/mailbox.ts';
import { appendMany, configOf, countIn, FOLDERS, mail, probeQueue, testTriage, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { runBackfill } from '../../../src/adapters/imap/backfill.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { INFO } from '../../harness/stack.ts';

describe('the first run on a mailbox that already holds mail, and backfill', () => {
  let stack: Stack;
  let probe: QueueProbe;
  let w: RunningWatcher | undefined;
  const backlog = [mail({ subject: 'Old request' }), mail({ subject: 'Automatic reply: old' }), mail({ id: null, subject: 'Old, no id' })];

  beforeAll(async () => {
    // No PROCESS_SINCE: the boundary is the moment of the first start.
    stack = await startStack({ env: { PROCESS_SINCE: '' } });
    probe = probeQueue(stack);
    await appendMany(stack, backlog);
    await new Promise((r) => setTimeout(r, 1_100)); // INTERNALDATE has whole seconds
  });
  afterAll(async () => {
    await w?.close();
    await probe?.close();
    await stack?.stop();
  });

  it('does not answer the backlog blindly: mail from before the first start stays in INBOX', async () => {
    w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage });
    await appendMany(stack, [mail({ subject: 'New after the first start' })]);
    await waitUntil(async () => (await probe.jobCount()) === 1, 5_000, 'the new message');
    expect((await listMessages(stack.dovecot, INFO, 'INBOX')).map((m) => m.subject).sort()).toEqual(['Automatic reply: old', 'Old request', 'Old, no id']);
    // The boundary is stored, so a restart keeps it.
    const stored = await stack.redis.get(`${stack.prefix}:imap:process-since`);
    expect(stored).toBe(w.parts.processSince.toISOString());
    await w.close();
    w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage });
    expect(w.parts.processSince.toISOString()).toBe(stored);
  });

  it('shows in a dry run what backfill would do, without queueing or moving anything', async () => {
    const { rows } = await runBackfill({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage, since: new Date(Date.now() - 86_400_000), dryRun: true });
    expect(rows.map((r) => [r.subject, r.disposition, r.result])).toEqual([
      ['Old request', 'processed', 'would'],
      ['Automatic reply: old', 'ignored', 'would'],
      ['Old, no id', 'processed', 'would'],
    ]);
    expect(rows.every((r) => r.from === 'contact@cso.example.net' && r.uid > 0 && r.date)).toBe(true);
    expect(await countIn(stack, 'INBOX')).toBe(3);
    expect(await probe.jobs()).toHaveLength(1);
  });

  it('processes the older mail on purpose, once, and ignores mail before --since', async () => {
    const run = () => runBackfill({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage, since: new Date(Date.now() - 86_400_000), dryRun: false });
    const { rows } = await run();
    expect(rows.map((r) => r.result)).toEqual(['queued', 'queued', 'queued']);
    expect(await countIn(stack, 'INBOX')).toBe(0);
    expect(await countIn(stack, FOLDERS.ignored)).toBe(1);
    expect(await probe.jobs()).toHaveLength(4);
    expect(await probe.seenCount()).toBe(4);
    expect((await run()).rows).toEqual([]); // nothing left to do

    const tooOld = new Date(Date.now() - 10 * 86_400_000);
    await appendMany(stack, [mail({ subject: 'Ten days old' })], 'INBOX', tooOld);
    const again = await runBackfill({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage, since: new Date(Date.now() - 3 * 86_400_000), dryRun: false });
    expect(again.rows).toEqual([]);
    expect(await countIn(stack, 'INBOX')).toBe(1);
  });
});
