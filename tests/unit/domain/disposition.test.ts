import { describe, expect, it } from 'vitest';
import { answersUs, decideDisposition } from '../../../src/domain/disposition.ts';
import type { MailInput } from '../../../src/domain/mail.ts';

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

const ctx = { coalitionAddress: 'info@example.org', coordinators: ['Ana@Coord.example.org'], otherMail: 'folder' as const };

describe('where a message is filed', () => {
  it('files join requests and withdrawals as processed', () => {
    expect(decideDisposition(mail(), 'join_request', ctx).disposition).toBe('processed');
    expect(decideDisposition(mail(), 'withdrawal', ctx).disposition).toBe('processed');
  });

  it('files auto-replies and bounces as ignored, even when they answer our mail', () => {
    const reply = mail({ inReplyTo: '<ack.REQ-7F3K2@example.org>' });
    expect(decideDisposition(reply, 'auto_reply', ctx)).toEqual({ disposition: 'ignored', reason: 'auto_reply' });
    expect(decideDisposition(reply, 'bounce', ctx)).toEqual({ disposition: 'ignored', reason: 'bounce' });
  });

  it('files a coordinator\'s mail as processed, whatever the case of the address', () => {
    const m = mail({ from: [{ name: 'Ana', address: 'ana@COORD.example.org' }] });
    expect(decideDisposition(m, 'other', ctx).disposition).toBe('processed');
  });

  it('does not trust a coordinator\'s address written only in the display name', () => {
    const m = mail({ from: [{ name: 'ana@coord.example.org', address: 'mallory@evil.example.net' }] });
    expect(decideDisposition(m, 'other', ctx).disposition).toBe('ignored');
  });

  it('files an organisation\'s reply to our acknowledgement as processed', () => {
    expect(decideDisposition(mail({ references: ['<ack.REQ-7F3K2@example.org>'] }), 'other', ctx).disposition).toBe('processed');
    expect(decideDisposition(mail({ subject: 'Re: [REQ-7F3K2] Konfirmim' }), 'other', ctx).disposition).toBe('processed');
  });

  it('files other mail as ignored, or as processed when it is forwarded to coordinators', () => {
    expect(decideDisposition(mail(), 'other', ctx).disposition).toBe('ignored');
    expect(decideDisposition(mail(), 'other', { ...ctx, otherMail: 'forward' }).disposition).toBe('processed');
  });

  it('does not take a Message-ID of another domain that merely contains ours as an answer to us', () => {
    expect(answersUs(mail({ inReplyTo: '<x@example.org.evil.test>' }), 'info@example.org')).toBe(false);
    expect(answersUs(mail({ inReplyTo: '<x@EXAMPLE.org>' }), 'info@example.org')).toBe(true);
  });
});
