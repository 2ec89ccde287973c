import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, INFO, type Stack } from '../../harness/stack.ts';
import { advertise, WITHOUT_MOVE, WITHOUT_MOVE_OR_UIDPLUS } from '../../harness/capabilities.ts';
import { flagsIn, imapAs } from '../../harness/mailbox.ts';
import { configOf, FOLDERS, mail, memoryLogger, testTriage, waitUntil } from '../../harness/ingest.ts';
import { FILED_KEYWORD } from '../../../src/adapters/imap/ingest.ts';
import { ingestKeys } from '../../../src/adapters/imap/wiring.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';

/**
 * info@ is a shared mailbox: a person may have flagged a message \Deleted and not
 * expunged it yet. On a server without MOVE the desk files by COPY; a plain EXPUNGE
 * after it would remove that person's message too. It must survive, whatever the
 * server offers.
 */

const idOf = (raw: string): string => /Message-ID: (.+)/.exec(raw)?.[1]?.trim() ?? '';

describe('filing on a server without MOVE', () => {
  let stack: Stack;
  let w: RunningWatcher | null = null;
  const { logger, lines } = memoryLogger();

  beforeAll(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await w?.close();
    w = null;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A person's own message, flagged \Deleted and not expunged (older than PROCESS_SINCE: the desk leaves it alone). */
  async function personsDeletedMessage(subject: string): Promise<string> {
    const raw = mail({ subject, from: 'Staff <staff@example.org>' });
    const c = imapAs(stack.dovecot, INFO);
    await c.connect();
    try {
      await c.append('INBOX', raw, ['\\Deleted'], new Date('1999-06-01T10:00:00Z'));
    } finally {
      await c.logout();
    }
    return idOf(raw);
  }

  async function deliverAndWaitFiled(subject: string): Promise<string> {
    const raw = mail({ subject });
    const c = imapAs(stack.dovecot, INFO);
    await c.connect();
    await c.append('INBOX', raw);
    await c.logout();
    const id = idOf(raw);
    await waitUntil(
      async () => (await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).some((m) => m.messageId === id),
      15_000,
      `${subject} filed in ${FOLDERS.processed}`,
    );
    return id;
  }

  async function start(): Promise<RunningWatcher> {
    const watcher = await startWatcher({ config: configOf(stack), redis: stack.redis, logger, triage: testTriage });
    await new Promise<void>((r) => watcher.watcher.once('connected', r));
    return watcher;
  }

  it("with UIDPLUS: removes only the desk's message from INBOX (UID EXPUNGE), and a person's \\Deleted message survives", async () => {
    await advertise(stack.dovecot, WITHOUT_MOVE);
    const persons = await personsDeletedMessage('Draft I deleted but want back');
    w = await start();
    const ours = await deliverAndWaitFiled('Join us, server without MOVE');

    const inbox = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inbox.find((m) => m.messageId === persons)?.flags).toContain('\\Deleted');
    expect(inbox.some((m) => m.messageId === ours)).toBe(false);
  });

  it("without UIDPLUS: never EXPUNGEs; the original stays in INBOX with the desk's keyword, the person's \\Deleted message survives", async () => {
    await advertise(stack.dovecot, WITHOUT_MOVE_OR_UIDPLUS);
    const persons = await personsDeletedMessage('Another draft, deleted, not expunged');
    w = await start();
    const ours = await deliverAndWaitFiled('Join us, server without MOVE or UIDPLUS');

    const inbox = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inbox.find((m) => m.messageId === persons)?.flags).toContain('\\Deleted');
    const original = inbox.find((m) => m.messageId === ours);
    expect(original?.flags).toContain(FILED_KEYWORD);
    expect(original?.flags).not.toContain('\\Deleted');
    expect((await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).filter((m) => m.messageId === ours)).toHaveLength(1);
  });

  it('without UIDPLUS: a rescan of the mailbox does not file the left original a second time', async () => {
    await advertise(stack.dovecot, WITHOUT_MOVE_OR_UIDPLUS);
    const inboxBefore = await flagsIn(stack.dovecot, INFO, 'INBOX');
    const filed = inboxBefore.filter((m) => m.flags.includes(FILED_KEYWORD));
    expect(filed.length).toBeGreaterThan(0);
    const processedBefore = (await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).length;
    // Forget how far the watcher got, as after a UIDVALIDITY change: it looks at every message again.
    await stack.redis.del(ingestKeys(keyspace(stack.prefix)).checkpoint('INBOX'));
    const seenAgain = lines.length;
    w = await start();
    // Evidence that it handled each left original again: its "filed only" line.
    await waitUntil(
      () => lines.slice(seenAgain).filter((l) => l.msg === 'message was handed off before; filed only').length >= filed.length,
      15_000,
      'the rescan of the left originals',
    );
    expect((await flagsIn(stack.dovecot, INFO, FOLDERS.processed)).length).toBe(processedBefore);
    expect((await flagsIn(stack.dovecot, INFO, 'INBOX')).map((m) => m.messageId).sort()).toEqual(inboxBefore.map((m) => m.messageId).sort());
  });
});
