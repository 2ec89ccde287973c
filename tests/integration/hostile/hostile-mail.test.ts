import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuarantineRecord } from '../../../src/adapters/imap/ledger.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { BIN } from '../../harness/cli.ts';
import { deepHtmlMail, docxSetMail, poisonPdfMail } from '../../harness/hostile-mail.ts';
import { countIn, FOLDERS, waitUntil } from '../../harness/ingest.ts';
import { deliver } from '../../harness/mailbox.ts';
import { CSO, INFO, startStack, type Stack } from '../../harness/stack.ts';
import { sendJoinRequest, subjectHas, waitFor } from '../flow/desk.ts';

/**
 * Issue 12 against the real desk: `coalition start` (bin/coalition.js, tsx's
 * loader, the reader in its worker thread) on the harness stack, sent the
 * poison PDF, the set of 998 DOCX letters and the HTML of 200,000 nested
 * <div>. The desk stays up, quarantines each with its reason at the first
 * reading, and still acknowledges the join request that comes after them.
 */
describe('hostile mail sent to the running desk', () => {
  let stack: Stack;
  let desk: ChildProcess;
  const logs: Record<string, unknown>[] = [];
  let stderr = '';

  beforeAll(async () => {
    stack = await startStack({ env: { IMAP_POLL_INTERVAL: '1s', UNDO_WINDOW: '0' } });
    desk = spawn(process.execPath, [BIN, 'start'], {
      cwd: mkdtempSync(join(tmpdir(), 'desk-')),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stack.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: desk.stdout! }).on('line', (l) => {
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    });
    desk.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    await waitUntil(() => logs.some((l) => l.msg === 'coalition desk running') || desk.exitCode !== null, 60_000, 'the desk to start');
    if (desk.exitCode !== null) throw new Error(`the desk did not start: ${stderr}`);
  });
  afterAll(async () => {
    if (desk && desk.exitCode === null) {
      const exited = new Promise((r) => desk.once('exit', r));
      desk.kill('SIGTERM');
      await exited;
    }
    await stack?.stop();
  });

  it('stays up, quarantines each hostile mail with its reason at the first reading, and acknowledges the next join request', async () => {
    const hostile = {
      'poison-pdf': poisonPdfMail({ messageId: '<poison-pdf@poison.example.net>' }),
      'docx-set': docxSetMail({ messageId: '<docx-set@poison.example.net>' }),
      'deep-html': deepHtmlMail({ messageId: '<deep-html@poison.example.net>' }),
    };
    for (const raw of Object.values(hostile)) await deliver(stack.dovecot, INFO, raw);
    await sendJoinRequest(stack);

    // Generous: three large messages, on a shared machine.
    await waitFor(stack, CSO, subjectHas('Konfirmim marrjeje'), 1, 240_000);
    expect(desk.exitCode).toBeNull();
    expect(desk.signalCode).toBeNull();

    expect(await countIn(stack, FOLDERS.quarantine)).toBe(3);
    const rows = await stack.redis.lrange(keyspace(stack.prefix).op('quarantine'), 0, -1);
    const reasons = Object.fromEntries(rows.map((r) => JSON.parse(r) as QuarantineRecord).map((q) => [q.messageId, q.reason]));
    expect(reasons).toEqual({
      'poison-pdf@poison.example.net': expect.stringMatching(/^unreadable: hostile message: decompression bombs: 3 streams like this one: a \d+-byte stream inflates to \d+ bytes/),
      'docx-set@poison.example.net': 'unreadable: hostile message: 998 parts, more than 500',
      'deep-html@poison.example.net': 'unreadable: hostile message: HTML nested more than 1000 elements deep',
    });
    // One reading each: quarantined once, never "not read again" after readings that did not finish.
    const quarantinedLogs = logs.filter((l) => l.msg === 'message quarantined');
    expect(quarantinedLogs).toHaveLength(3);
    expect(quarantinedLogs.map((l) => String(l.reason)).filter((r) => r.startsWith('not read again'))).toEqual([]);
  });

  it('still shuts down cleanly on SIGTERM, its reader thread with it', async () => {
    const exited = new Promise<number | null>((r) => desk.once('exit', (code) => r(code)));
    desk.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
