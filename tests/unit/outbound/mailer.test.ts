import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { outboundJobId } from '../../../src/contracts/outbox.ts';
import { backoffDelay, buildMessage, failureReason, isTemporary } from '../../../src/adapters/smtp/mailer.ts';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';

const config = { COALITION_ADDRESS: 'info@example.org', COALITION_NAME: 'Koalicioni i OShC-ve për OGP – Shqipëri' };
const mail = (over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  id: 'ack.REQ-7F3K2',
  to: ['contact@cso.example.net'],
  subject: 'Konfirmim marrjeje [REQ-7F3K2]',
  text: 'Faleminderit',
  html: '<p>Faleminderit</p>',
  inReplyTo: '<abc@cso.example.net>',
  references: ['<abc@cso.example.net>'],
  autoSubmitted: 'auto-replied',
  ...over,
});

async function raw(m: OutgoingMail): Promise<string> {
  const tx = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const { message } = await tx.sendMail(buildMessage(m, config).message);
  return message.toString();
}

const headerBlock = (r: string) => r.slice(0, r.indexOf('\n\n')).replace(/\n[ \t]+/g, ' ');

describe('an outgoing mail', () => {
  it('comes from the coalition, answers to it, and threads under the message it answers', async () => {
    const h = headerBlock(await raw(mail()));
    expect(h).toMatch(/^From: =\?UTF-8\?.+\?= <info@example\.org>$/m);
    expect(h).toMatch(/^Reply-To: info@example\.org$/m);
    expect(h).toMatch(/^Message-ID: <ack\.REQ-7F3K2@example\.org>$/m);
    expect(h).toMatch(/^In-Reply-To: <abc@cso\.example\.net>$/m);
    expect(h).toMatch(/^References: <abc@cso\.example\.net>$/m);
    expect(h).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(h).toMatch(/^X-Auto-Response-Suppress: All$/m);
    expect(h).not.toMatch(/^Precedence:/m);
  });

  it('uses messageIdLocal for the Message-ID when given', () => {
    expect(buildMessage(mail({ messageIdLocal: 'appr.REQ-1.tok3n' }), config).messageId).toBe('<appr.REQ-1.tok3n@example.org>');
  });

  it('cannot gain a header from a hostile subject or attachment name', async () => {
    const r = await raw(
      mail({
        subject: 'Acme\r\nBcc: victim@example.org',
        attachments: [{ filename: 'x.txt\r\nBcc: victim@example.org', contentType: 'text/plain', content: 'hi' }],
      }),
    );
    expect(r).not.toMatch(/^Bcc:/im);
    expect(headerBlock(r)).toMatch(/^Subject: Acme Bcc: victim@example\.org$/m);
  });

  it('is refused before queueing when an address or a Message-ID is malformed', () => {
    expect(() => buildMessage(mail({ to: ['a@example.org\r\nBcc: v@example.org'] }), config)).toThrow();
    expect(() => buildMessage(mail({ inReplyTo: '<a@b>\r\nBcc: v@example.org' }), config)).toThrow();
    expect(() => buildMessage(mail({ id: 'has:colon' }), config)).toThrow();
  });

  it('gets a queue job id without ":" that is stable for its mail id', () => {
    expect(outboundJobId('statement.v2.list')).toMatch(/^m-[0-9a-f]{40}$/);
    expect(outboundJobId('statement.v2.list')).toBe(outboundJobId('statement.v2.list'));
  });
});

describe('SMTP failures', () => {
  it('are retried when temporary: refused connections, timeouts, 4xx, a bad login', () => {
    expect(isTemporary(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }))).toBe(true);
    expect(isTemporary({ code: 'ETIMEDOUT' })).toBe(true);
    expect(isTemporary({ code: 'EMESSAGE', responseCode: 451, response: '451 try later' })).toBe(true);
    expect(isTemporary({ code: 'EENVELOPE', rejectedErrors: [{ responseCode: 452 }] })).toBe(true);
    expect(isTemporary({ code: 'EAUTH', responseCode: 535 })).toBe(true);
  });

  it('are final on a 5xx answer', () => {
    expect(isTemporary({ code: 'EMESSAGE', responseCode: 550, response: '550 no such user' })).toBe(false);
    expect(isTemporary({ code: 'EENVELOPE', rejectedErrors: [{ responseCode: 550 }] })).toBe(false);
  });

  it('give the server’s answer as their reason, its code written once', () => {
    // nodemailer's `response` is the whole reply line, code included.
    expect(failureReason({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <nobody@cso.example.net>: User unknown' })).toBe(
      '550 5.1.1 <nobody@cso.example.net>: User unknown',
    );
    expect(failureReason({ code: 'EMESSAGE', responseCode: 552, response: '552-5.2.2 Mailbox full\n552 5.2.2 Try later' })).toBe(
      '552-5.2.2 Mailbox full 552 5.2.2 Try later',
    );
    // A reply without its code in the text, or no reply at all, still says what happened.
    expect(failureReason({ responseCode: 550, response: 'no such user' })).toBe('550 no such user');
    expect(failureReason(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' }))).toBe(
      'ESOCKET connect ECONNREFUSED 127.0.0.1:25',
    );
  });

  it('wait twice as long each time, up to the cap, with a little jitter', () => {
    const s = { baseMs: 30_000, maxMs: 1_800_000 };
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10, 40].map((n) => backoffDelay(n, s, mid))).toEqual([30_000, 60_000, 120_000, 240_000, 1_800_000, 1_800_000]);
    expect(backoffDelay(1, s, () => 0)).toBe(27_000);
    expect(backoffDelay(1, s, () => 1)).toBe(33_000);
  });
});
