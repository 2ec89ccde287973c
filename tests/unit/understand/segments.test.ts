import { describe, expect, it } from 'vitest';
import type { MailInput } from '../../../src/domain/mail.ts';
import { detectLanguage, isAutomatic, newText, replyLines, splitText } from '../../../src/domain/understand/index.ts';

function mail(over: Partial<MailInput>): MailInput {
  return {
    messageId: '<1@example.org>',
    inReplyTo: null,
    references: [],
    date: null,
    subject: 'Re: Approval request',
    from: [{ name: 'Koordinatore', address: 'koordinatore@coalition.example.org' }],
    replyTo: [],
    to: [{ name: '', address: 'info@coalition.example.org' }],
    cc: [],
    headers: {},
    contentType: 'text/plain; charset=utf-8',
    text: '',
    html: null,
    attachments: [],
    ...over,
  };
}

describe('the sender’s own text', () => {
  it('gives the first lines of a coordinator’s reply above the quote', () => {
    const m = mail({ text: 'PO\n\nOn Mon, 12 Jan 2026 at 10:00, Desk <info@coalition.example.org> wrote:\n> Reply APPROVE or REJECT.\n> Qendra X wants to join.' });
    expect(replyLines(m)).toEqual(['PO']);
  });

  it('gives the first lines of an Outlook reply above an un-markered header block', () => {
    const m = mail({ text: 'Miratoj.\nFaleminderit\n\nFrom: Desk <info@coalition.example.org>\nSent: Monday, January 12, 2026 10:00 AM\nTo: Ana\nSubject: Kërkesë për miratim\n\nPërgjigjuni PO ose JO.' });
    expect(replyLines(m, 1)).toEqual(['Miratoj.']);
    expect(newText(m)).toBe('Miratoj.\nFaleminderit');
  });

  it('stops the reply lines at a signature separator', () => {
    const m = mail({ text: 'REJECT\n-- \nAna Koci\nCoordinator' });
    expect(replyLines(m)).toEqual(['REJECT']);
  });

  it('drops device footers such as "Sent from my iPhone" and "Dërguar nga smartfoni im"', () => {
    expect(newText(mail({ text: 'Yes\n\nSent from my iPhone' }))).toBe('Yes');
    expect(newText(mail({ text: 'Po\n\nDërguar nga smartfoni im Samsung Galaxy.' }))).toBe('Po');
  });

  it('separates the signature after a closing formula', () => {
    const s = splitText('Dear all,\n\nWe want to join.\n\nMe respekt,\nArta Dema\nShoqata Dielli\nFier');
    expect(s.body).toBe('Dear all,\n\nWe want to join.\n\nMe respekt,');
    expect(s.signature).toBe('Arta Dema\nShoqata Dielli\nFier');
  });

  it('reads the forwarded header block of a forward', () => {
    const s = splitText('FYI\n\n-------- Original Message --------\nSubject: Join\nFrom: Ema <ema@example.org>\nDate: today\n\nWe want to join.', 'Fwd: Join');
    expect(s.own).toBe('FYI');
    expect(s.forward?.from).toEqual({ name: 'Ema', address: 'ema@example.org' });
    expect(s.forward?.text).toBe('We want to join.');
  });

  it('reads an Outlook "[mailto:...]" forwarded sender', () => {
    const s = splitText('See below\n\n________________________________\nFrom: Ema Dedja [mailto:ema@example.org]\nSent: Monday\nTo: Desk\nSubject: Join\n\nWe want to join.', 'FW: Join');
    expect(s.forward?.from).toEqual({ name: 'Ema Dedja', address: 'ema@example.org' });
  });
});

describe('language', () => {
  it('reads Albanian without diacritics as Albanian', () => {
    expect(detectLanguage('Pershendetje, duam te bashkohemi me koalicionin dhe te nenshkruajme deklaraten.').language).toBe('sq');
  });

  it('takes the language that comes first in a bilingual message', () => {
    expect(detectLanguage('Jam jashtë zyrës deri më 3 shkurt dhe do t’ju përgjigjem pas kthimit.\n\nI am out of the office until 3 February and will reply after my return.').language).toBe('sq');
    expect(detectLanguage('I am out of the office until 3 February and will reply after my return.\n\nJam jashtë zyrës deri më 3 shkurt dhe do t’ju përgjigjem pas kthimit.').language).toBe('en');
  });

  it('gives no language for a message without words', () => {
    expect(detectLanguage('').language).toBeNull();
    expect(detectLanguage('+355 69 123 4567').language).toBeNull();
  });
});

describe('automatic mail by headers', () => {
  it('takes Auto-Submitted other than "no" as automatic (RFC 3834)', () => {
    expect(isAutomatic(mail({ headers: { 'auto-submitted': ['auto-generated'] } }))).toBe(true);
    expect(isAutomatic(mail({ headers: { 'auto-submitted': ['no'] } }))).toBe(false);
  });

  it('takes a null return path as automatic', () => {
    expect(isAutomatic(mail({ headers: { 'return-path': ['<>'] } }))).toBe(true);
  });

  it('does not take X-Auto-Response-Suppress alone as automatic', () => {
    expect(isAutomatic(mail({ headers: { 'x-auto-response-suppress': ['All'] } }))).toBe(false);
  });

  it('takes Precedence bulk, junk and list as automatic', () => {
    for (const p of ['bulk', 'junk', 'list']) expect(isAutomatic(mail({ headers: { precedence: [p] } }))).toBe(true);
  });
});
