import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { runCli } from '../../harness/cli.ts';
import { appendMany, configOf, mail, memoryLogger, testTriage, waitUntil } from '../../harness/ingest.ts';
import { deliver, flagsIn, imapAs } from '../../harness/mailbox.ts';
import { startOAuthStack, type Grant, type OAuthStack } from '../../harness/oauth.ts';
import { INFO } from '../../harness/stack.ts';

/**
 * How the desk files mail on the servers the presets point at. Gmail and
 * Exchange Online show "/" between folder levels and have MOVE and UIDPLUS, so
 * the desk files with UID MOVE; on Gmail, Coalition/Processed is a nested
 * label, and moving a message there out of INBOX is what Archive does. A
 * server without MOVE gets COPY, \Deleted and UID EXPUNGE of that one message.
 * Either way, a message the staff marked \Deleted in INBOX (and have not
 * expunged) stays where it is.
 */

const STAFF_DELETED = 'Staff message marked deleted';

/** A message the staff read an hour ago and marked \Deleted without expunging (older than PROCESS_SINCE, so the desk leaves it). */
async function markStaffMessageDeleted(stack: OAuthStack): Promise<number> {
  await appendMany(
    stack,
    [mail({ subject: STAFF_DELETED, from: 'Staff <staff@example.org>' })],
    'INBOX',
    new Date(Date.now() - 3600_000),
  );
  const c = imapAs(stack.dovecot, INFO);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      await c.messageFlagsAdd('1:*', ['\\Deleted']);
      return ((await c.search({ all: true }, { uid: true })) || [])[0] ?? 0;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
}

describe.each<[string, Grant, { withoutCapabilities?: string[]; oauthbearer?: boolean }, 'MOVE' | 'COPY']>([
  ['Gmail-like: labels under "/", OAUTHBEARER offered, MOVE', 'refresh_token', { oauthbearer: true }, 'MOVE'],
  [
    'a server without MOVE (UIDPLUS only), with the Microsoft 365 preset',
    'client_credentials',
    { withoutCapabilities: ['MOVE'] },
    'COPY',
  ],
])('filing on %s', (_title, grant, server, path) => {
  let stack: OAuthStack;
  let w: RunningWatcher;
  let staffUid = 0;
  const { logger } = memoryLogger();
  const filed: { uid: number; folder: string }[] = [];

  beforeAll(async () => {
    stack = await startOAuthStack({
      oauthbearer: server.oauthbearer,
      dovecot: {
        separator: '/',
        mailLog: true,
        ...(server.withoutCapabilities ? { withoutCapabilities: server.withoutCapabilities } : {}),
      },
    });
    staffUid = await markStaffMessageDeleted(stack);
    w = await startWatcher({
      config: configOf(stack, stack.envFor(grant, { PROCESS_SINCE: new Date(Date.now() - 60_000).toISOString() })),
      redis: stack.redis,
      logger,
      triage: testTriage,
    });
    w.watcher.on('filed', (o) => void filed.push({ uid: o.uid, folder: o.folder }));
    await new Promise<void>((r) => w.watcher.once('connected', r));
  });
  afterAll(async () => {
    await w?.close();
    await stack?.stop();
  });

  it(`files a join request under Coalition/Processed with ${path}, and it leaves INBOX`, async () => {
    await deliver(stack.dovecot, INFO, mail({ subject: 'We would like to join' }));
    await waitUntil(() => filed.length === 1, 15_000, 'the request filed');
    expect(filed[0]?.folder).toBe('Coalition/Processed');
    const inProcessed = await flagsIn(stack.dovecot, INFO, 'Coalition/Processed');
    expect(inProcessed.map((m) => m.subject)).toEqual(['We would like to join']);
    const inbox = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inbox.map((m) => m.subject)).toEqual([STAFF_DELETED]);
    // Dovecot's mail_log: a MOVE expunges the source without ever setting \Deleted on it; the COPY path sets it first.
    const expunged = new RegExp(`expunge: box=INBOX, uid=${filed[0]?.uid}, .*flags=\\(([^)]*)\\)`).exec(
      stack.dovecot.log(),
    );
    expect(expunged).not.toBeNull();
    if (path === 'MOVE') expect(expunged?.[1]).not.toContain('\\Deleted');
    else expect(expunged?.[1]).toContain('\\Deleted');
  });

  it('never expunges the message the staff marked \\Deleted', async () => {
    const inbox = await flagsIn(stack.dovecot, INFO, 'INBOX');
    expect(inbox).toEqual([expect.objectContaining({ uid: staffUid, subject: STAFF_DELETED, flags: ['\\Deleted'] })]);
  });

  it(`is what doctor reports for the server: ${path === 'MOVE' ? 'MOVE and UIDPLUS' : 'a warning that MOVE is missing'}`, async () => {
    const r = await runCli(['doctor'], stack.envFor(grant));
    expect(r.code).toBe(0);
    if (path === 'MOVE') expect(r.stdout).toMatch(/^ok {3}move {4}MOVE and UIDPLUS: mail is filed with UID MOVE$/m);
    else
      expect(r.stdout).toMatch(
        /^WARN move {4}no MOVE, but UIDPLUS: mail is filed by COPY, \\Deleted and UID EXPUNGE of that message alone\n {13}next: nothing to do/m,
      );
    expect(r.stdout).toMatch(/^ok {3}folders Coalition\/Processed, Coalition\/Ignored, Coalition\/Quarantine exist/m);
  });

  it(`signs in with ${server.oauthbearer ? 'OAUTHBEARER, as imapflow prefers when offered (Gmail)' : 'XOAUTH2 (Exchange Online)'}`, () => {
    expect(stack.dovecot.log()).toMatch(
      new RegExp(`Login: user=<info@example\\.org>, method=${server.oauthbearer ? 'OAUTHBEARER' : 'XOAUTH2'}`),
    );
  });
});
