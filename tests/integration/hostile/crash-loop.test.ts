import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_UNFINISHED_READINGS } from '../../../src/adapters/imap/ingest.ts';
import type { QuarantineRecord } from '../../../src/adapters/imap/ledger.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { appendMany, countIn, FOLDERS, mail, waitUntil } from '../../harness/ingest.ts';
import { startStack, type Stack } from '../../harness/stack.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * Issue 12, the crash loop: a message whose reading kills the desk stays in
 * INBOX, so every restart read it and died again. Each reading is now recorded
 * before it starts; after MAX_UNFINISHED_READINGS deaths the message is
 * quarantined unread, and the mail behind it is handled.
 */
describe('a message that kills the desk while it is read', () => {
  let stack: Stack;
  let child: ChildProcess | null = null;
  let stopping = false;
  let deaths = 0;
  const events: { event: string; [k: string]: unknown }[] = [];

  function spawnWatcher(): void {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/integration/hostile/dying-reader-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, DYING_READER_CHILD: JSON.stringify({ env: stack.env }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: c.stdout! }).on('line', (l) => {
      try {
        events.push(JSON.parse(l) as (typeof events)[number]);
      } catch {
        // not an event line
      }
    });
    c.stderr!.on('data', () => undefined);
    c.once('exit', (_code, signal) => {
      if (signal === 'SIGKILL' && !stopping) {
        deaths += 1;
        spawnWatcher();
      }
    });
    child = c;
  }

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    stopping = true;
    child?.kill('SIGKILL');
    await stack?.stop();
  });

  it(`is quarantined unread after ${MAX_UNFINISHED_READINGS} deaths, and the next message is handled`, async () => {
    const killer = mail({ subject: 'Request to join', body: 'We would like to join.' }).replace('MIME-Version: 1.0', 'X-Test-Kill-Reader: yes\r\nMIME-Version: 1.0');
    const next = mail({ subject: 'Request to join the Coalition', body: 'Our organisation, Qendra Vlora (QV), based in Vlorë, would like to join the Coalition and sign the Joint Statement.' });
    await appendMany(stack, [killer, next]);
    spawnWatcher();

    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 90_000, 'INBOX empty');
    expect(deaths).toBe(MAX_UNFINISHED_READINGS);
    expect(events.filter((e) => e.event === 'dying')).toHaveLength(MAX_UNFINISHED_READINGS);
    expect(await countIn(stack, FOLDERS.quarantine)).toBe(1);
    expect(await countIn(stack, FOLDERS.processed)).toBe(1);

    const rows = await stack.redis.lrange(keyspace(stack.prefix).op('quarantine'), 0, -1);
    const records = rows.map((r) => JSON.parse(r) as QuarantineRecord);
    expect(records).toHaveLength(1);
    expect(records[0]?.reason).toBe(`not read again: ${MAX_UNFINISHED_READINGS} earlier readings of it never finished (the desk died or hung while reading it)`);
    // Nothing is left counting against either message.
    expect(await stack.redis.keys(`${keyspace(stack.prefix).op('ingest', 'reading')}:*`)).toEqual([]);
  });
});
