import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../../harness/cli.ts';

/**
 * `npm start` on a machine with no mailbox configured: the sandbox comes up,
 * and a join request written to info@ is acknowledged into the sender's mailbox.
 */

let child: ChildProcess;
let stderr = '';
let exit: Promise<number | null>;
let ports: { imap: number; smtp: number };

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'start'], {
    cwd: mkdtempSync(join(tmpdir(), 'sandbox-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: process.env.SANDBOX_TEST_LOG ?? 'warn', UNDO_WINDOW: '0' },
    stdio: ['ignore', process.env.SANDBOX_TEST_LOG ? 'inherit' : 'ignore', 'pipe'],
  });
  exit = new Promise((r) => child.once('exit', (code) => r(code)));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const t0 = Date.now();
  while (!/SMTP 127\.0\.0\.1:(\d+)/.test(stderr)) {
    if (Date.now() - t0 > 30_000 || child.exitCode !== null) throw new Error(`sandbox did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  ports = {
    imap: Number(/IMAP 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]),
    smtp: Number(/SMTP 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]),
  };
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exit;
  }
});

interface Seen {
  subject: string;
  messageId: string;
}

async function messages(user: string): Promise<Seen[]> {
  const c = new ImapFlow({ host: '127.0.0.1', port: ports.imap, secure: false, doSTARTTLS: false, logger: false, auth: { user, pass: 'sandbox' } });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch {
    return []; // the mailbox does not exist yet
  }
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const out: Seen[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) out.push({ subject: m.envelope?.subject ?? '', messageId: m.envelope?.messageId ?? '' });
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** The first mail in `user`'s INBOX whose subject matches, waiting for it. */
async function arrival(user: string, subject: RegExp, timeoutMs = 30_000): Promise<Seen> {
  const t0 = Date.now();
  for (;;) {
    const hit = (await messages(user)).find((m) => subject.test(m.subject));
    if (hit) return hit;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no mail matching ${String(subject)} for ${user}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function inbox(user: string): Promise<string[]> {
  return (await messages(user)).map((m) => m.subject);
}

async function eventually(user: string, timeoutMs = 30_000): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    const s = await inbox(user);
    if (s.length) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`nothing arrived for ${user}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start without a mailbox (the sandbox)', () => {
  it('acknowledges a join request sent to info@ and asks the coordinators', async () => {
    const tx = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp, secure: false, ignoreTLS: true });
    await tx.sendMail({
      from: 'Drita Hoxha <drita@shoqata.example.net>',
      to: 'info@example.org',
      subject: 'Kërkesë për anëtarësim',
      text: 'Përshëndetje,\n\nShoqata Zëri i Qytetarëve (SZQ) nga Elbasani dëshiron të anëtarësohet në Koalicion dhe të nënshkruajë Deklaratën e Përbashkët.\n\nMe respekt,\nDrita Hoxha\nShoqata Zëri i Qytetarëve\nElbasan\n',
    });
    tx.close();
    const ack = await eventually('drita@shoqata.example.net');
    expect(ack.join(' ')).toMatch(/REQ-/);
    const coordinator = await eventually('ana@example.org');
    expect(coordinator.join(' ')).toMatch(/REQ-/);
  });

  it('takes the conditional Albanian request that names no organisation through the safety net: possible request, PO, acknowledgement, approval', async () => {
    const tx = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp, secure: false, ignoreTLS: true });
    const send = (m: Parameters<typeof tx.sendMail>[0]) => tx.sendMail({ to: 'info@example.org', ...m });
    await send({
      from: 'Arben Kola <arben@lulet.example.net>',
      subject: 'Kërkesë për anëtarësim në koalicion',
      text: 'Përshëndetje,\n\nDo të donim të bashkoheshim me koalicionin dhe ta nënshkruanim deklaratën e përbashkët.\n\nArben Kola\n',
    });
    const possible = await arrival('ana@example.org', /Kërkesë e mundshme/);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(possible.subject)?.[1] as string;
    expect(ref).toBeTruthy();
    // The sender is told nothing until a coordinator opens it.
    expect(await messages('arben@lulet.example.net')).toEqual([]);

    await send({
      from: 'ana@example.org',
      subject: `Re: ${possible.subject}`,
      inReplyTo: possible.messageId,
      references: [possible.messageId],
      text: 'PO\nEmri: Shoqata Lulet e Malit\n',
    });
    const ack = await arrival('arben@lulet.example.net', new RegExp(`\\[${ref}\\]`));
    expect(ack.subject).toMatch(/Konfirmim marrjeje/);
    const approval = await arrival('ana@example.org', /Kërkesë për miratim: Shoqata Lulet e Malit/);

    await send({ from: 'ana@example.org', subject: `Re: ${approval.subject}`, inReplyTo: approval.messageId, references: [approval.messageId], text: 'PO\n' });
    const approved = await arrival('arben@lulet.example.net', /u miratua/);
    expect(approved.subject).toContain(ref);
    tx.close();
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
