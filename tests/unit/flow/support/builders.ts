import type { MailInput } from '../../../../src/domain/mail.ts';

/** A received message as the MIME adapter would give it, with only what a test names. */
export function mail(o: Partial<MailInput> & { fromAddress?: string; fromName?: string } = {}): MailInput {
  const from = o.from ?? [{ name: o.fromName ?? '', address: o.fromAddress ?? 'ana@coord.example.org' }];
  return {
    messageId: '<reply-1@coord.example.org>',
    inReplyTo: null,
    references: [],
    date: new Date('2026-11-30T10:00:00Z'),
    subject: 'Re: Kërkesë për miratim [REQ-7F3K2]',
    replyTo: [],
    to: [{ name: '', address: 'info@example.org' }],
    cc: [],
    contentType: 'text/plain; charset=utf-8',
    text: 'PO',
    html: null,
    attachments: [],
    ...o,
    from,
    headers: { from: [from.map((f) => f.address).join(', ')], ...(o.headers ?? {}) },
  };
}
