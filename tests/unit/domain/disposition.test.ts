import { describe, expect, it } from 'vitest';
import { createTriage } from '../../../workers/ports.ts';
import { answersOurMail, answersUs, decideDisposition, headerMessageIds, type UnrelatedMail } from '../../../src/domain/disposition.ts';
import type { MailAttachment, MailInput } from '../../../src/domain/mail.ts';
import type { Kind } from '../../../src/domain/understand/index.ts';

function mail(over: Partial<MailInput> = {}): MailInput {
  return {
    messageId: '<m1@cso.example.net>',
    inReplyTo: null,
    references: [],
    date: null,
    subject: 'Hello',
    from: [{ name: 'Someone', address: 'someone@cso.example.net' }],
    replyTo: [],
    to: [{ name: '', address: 'info@example.org' }],
    cc: [],
    headers: {},
    contentType: 'text/plain',
    text: 'Hello',
    html: null,
    attachments: [],
    ...over,
  };
}

const ctx = { coalitionAddress: 'info@example.org', coordinators: ['Ana@Coord.example.org'], unrelatedMail: 'leave' as UnrelatedMail };
const read = (kind: Kind, possible = false) => ({ kind, possible });
const where = (m: MailInput, kind: Kind, o: { possible?: boolean; unrelated?: UnrelatedMail; returned?: string[] } = {}) =>
  decideDisposition(m, read(kind, o.possible), { ...ctx, unrelatedMail: o.unrelated ?? 'leave' }, o.returned).disposition;

const returnedHeaders = (text: string): MailAttachment => ({
  filename: null,
  contentType: 'text/rfc822-headers',
  size: text.length,
  text,
  isMessage: true,
});

describe('what the desk files under Coalition/… and what it leaves in INBOX', () => {
  it('files join requests and withdrawals as processed, whatever UNRELATED_MAIL says', () => {
    for (const unrelated of ['leave', 'folder', 'forward'] as const) {
      expect(where(mail(), 'join_request', { unrelated })).toBe('processed');
      expect(where(mail(), 'withdrawal', { unrelated })).toBe('processed');
    }
  });

  it('files a possible request as processed: the coordinators are shown it', () => {
    const m = mail({ subject: 'Question about the coalition', text: 'Maybe we could take part somehow?' });
    expect(decideDisposition(m, read('other', true), ctx)).toEqual({ disposition: 'processed', reason: 'possible request' });
    expect(where(m, 'other')).toBe('leave');
  });

  it("files a coordinator's mail as processed, whatever the case of the address", () => {
    const m = mail({ from: [{ name: 'Ana', address: 'ana@COORD.example.org' }] });
    expect(decideDisposition(m, read('other'), ctx)).toEqual({ disposition: 'processed', reason: 'from a coordinator' });
  });

  it("does not trust a coordinator's address written only in the display name", () => {
    const m = mail({ from: [{ name: 'ana@coord.example.org', address: 'mallory@evil.example.net' }] });
    expect(where(m, 'other')).toBe('leave');
  });

  it("files an organisation's reply to our acknowledgement as processed", () => {
    expect(where(mail({ inReplyTo: '<ack.REQ-7F3K2@example.org>' }), 'other')).toBe('processed');
    expect(where(mail({ references: ['<x@cso.example.net>', '<ack.REQ-7F3K2@example.org>'] }), 'other')).toBe('processed');
    expect(where(mail({ subject: 'Re: [REQ-7F3K2] Konfirmim' }), 'other')).toBe('processed');
  });

  it('leaves unrelated human mail in INBOX by default, files it with folder, and forwards it with forward', () => {
    const m = mail({ subject: 'Invoice for the room', inReplyTo: '<staff.1@mail.example.net>' });
    expect(decideDisposition(m, read('other'), ctx)).toEqual({ disposition: 'leave', reason: 'unrelated' });
    expect(where(m, 'other', { unrelated: 'folder' })).toBe('ignored');
    expect(decideDisposition(m, read('other'), { ...ctx, unrelatedMail: 'forward' })).toEqual({
      disposition: 'processed',
      reason: 'other: forwarded to coordinators',
    });
  });

  it('files auto-replies and bounces that answer our mail as ignored', () => {
    const reply = mail({ inReplyTo: '<ack.REQ-7F3K2@example.org>' });
    expect(decideDisposition(reply, read('auto_reply'), ctx)).toEqual({ disposition: 'ignored', reason: 'auto_reply' });
    expect(decideDisposition(reply, read('bounce'), ctx)).toEqual({ disposition: 'ignored', reason: 'bounce' });
    expect(where(mail({ references: ['<in.abc.ack@EXAMPLE.org>'] }), 'auto_reply')).toBe('ignored');
    expect(where(mail({ subject: 'Automatic reply: [REQ-7F3K2] Kërkesa juaj' }), 'auto_reply')).toBe('ignored');
  });

  it('files a bounce whose returned headers carry our Message-ID as ignored', () => {
    const headers = 'From: info@example.org\r\nTo: gone@cso.example.net\r\nSubject: Deklarata\r\nMessage-ID:\r\n <stmt.v2.gone@example.org>\r\n';
    const dsn = mail({ subject: 'Undelivered Mail Returned to Sender', attachments: [returnedHeaders(headers)] });
    expect(where(dsn, 'bounce')).toBe('ignored');
  });

  it('files a bounce whose returned message (found in its raw body) carries our Message-ID as ignored', () => {
    const dsn = mail({ subject: 'Delivery Status Notification (Failure)' });
    expect(where(dsn, 'bounce', { returned: ['<stmt.v2.gone@example.org>'] })).toBe('ignored');
    expect(where(dsn, 'bounce', { returned: ['<newsletter.9@mail.example.net>'] })).toBe('leave');
  });

  it("leaves an out-of-office or a bounce answering someone else's mail in INBOX, and never forwards it", () => {
    const ooo = mail({ subject: 'Out of office', inReplyTo: '<staff.1@mail.example.net>' });
    expect(decideDisposition(ooo, read('auto_reply'), ctx)).toEqual({ disposition: 'leave', reason: "unrelated: auto_reply to someone else's mail" });
    const bounce = mail({ subject: 'Undeliverable', attachments: [returnedHeaders('Message-ID: <staff.2@mail.example.net>\r\n')] });
    expect(where(bounce, 'bounce')).toBe('leave');
    // folder files it, as before; forward files it too: a robot is never sent on to the coordinators.
    expect(where(ooo, 'auto_reply', { unrelated: 'folder' })).toBe('ignored');
    expect(where(ooo, 'auto_reply', { unrelated: 'forward' })).toBe('ignored');
  });

  it("leaves a coordinator's out-of-office answering someone else's mail: it is a robot, not the coordinator", () => {
    const ooo = mail({ from: [{ name: 'Ana', address: 'ana@coord.example.org' }], inReplyTo: '<staff.1@mail.example.net>' });
    expect(where(ooo, 'auto_reply')).toBe('leave');
  });

  it('does not take a Message-ID of another domain that merely contains ours as an answer to us', () => {
    expect(answersUs(mail({ inReplyTo: '<x@example.org.evil.test>' }), 'info@example.org')).toBe(false);
    expect(answersUs(mail({ inReplyTo: '<x@notexample.org>' }), 'info@example.org')).toBe(false);
    expect(answersUs(mail({ inReplyTo: '<x@EXAMPLE.org>' }), 'info@example.org')).toBe(true);
    expect(answersOurMail(mail(), 'info@example.org', ['<x@example.org.evil.test>'])).toBe(false);
  });
});

describe('Message-IDs in a returned message or headers', () => {
  it('reads Message-ID and Original-Message-ID header lines, folded or not, and nothing in running text', () => {
    const text = [
      'Your message could not be delivered.',
      'It had the Message-ID: <quoted@example.org> in it.',
      '',
      'Message-Id: <one@example.org>',
      'Original-Message-ID:',
      '\t<two@example.org>',
    ].join('\r\n');
    expect(headerMessageIds(text)).toEqual(['<one@example.org>', '<two@example.org>']);
  });
});

describe("the watcher's triage on raw mail", () => {
  const triage = createTriage({ COALITION_ADDRESS: 'info@example.org', COORDINATORS: ['ana@coord.example.org'], UNRELATED_MAIL: 'leave' });

  function dsn(returnedMessageId: string): Buffer {
    return Buffer.from(
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.cso.example.net>',
        'To: info@example.org',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <bounce.1@mx.cso.example.net>',
        'Date: Mon, 30 Nov 2026 10:00:00 +0000',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'This is the mail system. Your message could not be delivered to gone@cso.example.net.',
        '',
        '--B',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.cso.example.net',
        '',
        'Final-Recipient: rfc822; gone@cso.example.net',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--B',
        'Content-Type: message/rfc822',
        '',
        'From: Sender <sender@example.org>',
        'To: gone@cso.example.net',
        'Subject: Deklarata e Përbashkët',
        `Message-ID: ${returnedMessageId}`,
        '',
        'The statement.',
        '',
        '--B--',
        '',
      ].join('\r\n'),
    );
  }

  it('files a DSN whose returned message/rfc822 carries our Message-ID as ignored', async () => {
    expect(await triage(dsn('<stmt.v2.gone@example.org>'))).toMatchObject({ disposition: 'ignored', reason: 'bounce' });
  });

  it("leaves a DSN returning someone else's message in INBOX", async () => {
    expect(await triage(dsn('<staff.7@mail.example.net>'))).toMatchObject({ disposition: 'leave' });
  });
});
