import { describe, expect, it } from 'vitest';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { ANA, BESA, memoryDesk } from './support/memory-desk.ts';

const FORM = 'no-reply@forms.example.net';
const PERSON = 'arta@cso.example.net';

function desk(auth: 'token' | 'dkim' = 'token') {
  const d = memoryDesk({ COORDINATOR_AUTH: auth });
  const { deliver } = d;
  /** A coordinator's reply to a mail she received, threaded the way mail clients do. */
  const reply = (from: string, mail: OutgoingMail, text: string, n: number) =>
    deliver([
      `From: ${from}`,
      'To: info@example.org',
      `Subject: Re: ${mail.subject}`,
      `Message-ID: <reply-${n}@coord.example.org>`,
      `In-Reply-To: <${mail.messageIdLocal}@example.org>`,
      `References: <${mail.messageIdLocal}@example.org>`,
      'Date: Mon, 30 Nov 2026 11:00:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
      '> quoted possible request',
    ]);
  return { ...d, reply };
}

const FORM_MAIL = [
  `From: Web form <${FORM}>`,
  `Reply-To: Arta Hoxha <${PERSON}>`,
  'To: info@example.org',
  'Subject: New submission: membership form',
  'Message-ID: <form.1@forms.example.net>',
  'Date: Mon, 30 Nov 2026 09:00:00 +0100',
  'Auto-Submitted: auto-generated',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'A new form submission:',
  '',
  'Organisation: Qendra për Transparencë Qytetare',
  'City: Shkodër',
  'Name: Arta Hoxha',
  `Email: ${PERSON}`,
  '',
  'Message: Our organisation would like to join the Coalition and sign the Joint Statement.',
];

describe('a request sent by a web form', () => {
  it('reaches each coordinator as a possible request with their own token, and nobody else', async () => {
    const d = desk();
    await expect(d.deliver(FORM_MAIL)).resolves.toBe('possible_request');
    const [r] = await d.store.list();
    expect(r).toMatchObject({
      status: 'unclear',
      replyAddress: PERSON,
      possible: { reason: 'sent_by_machine', automatic: true },
    });
    expect([...d.sent.values()].map((m) => m.to)).toEqual([[ANA], [BESA]]);
    const [forAna, forBesa] = [...d.sent.values()];
    expect(forAna?.messageIdLocal).toMatch(new RegExp(`^appr\\.${r!.id.toLowerCase()}\\.p\\d+\\.[a-z2-7]{32}$`));
    expect(forAna?.messageIdLocal).not.toBe(forBesa?.messageIdLocal);
    expect(forAna?.attachments?.[0]).toMatchObject({ contentType: 'message/rfc822' });
    expect(forAna?.subject).toContain('Kërkesë e mundshme');
    expect(forAna?.text).toContain(PERSON);
  });

  it('names nobody to acknowledge when the form gives no address but its own', async () => {
    const d = desk();
    const bare = FORM_MAIL.filter((l) => !l.startsWith('Reply-To:') && !l.startsWith('Email:'));
    await expect(d.deliver(bare)).resolves.toBe('possible_request');
    const [r] = await d.store.list();
    expect(r?.replyAddress).toBe('');
    expect(d.to(ANA)[0]?.text).toContain('nuk mund të dërgohet konfirmim marrjeje');
    await d.reply(ANA, d.to(ANA)[0]!, 'PO', 1);
    expect((await d.store.get(r!.id))?.status).toBe('pending');
    expect(d.to(FORM)).toEqual([]);
    expect([...d.sent.values()].every((m) => m.to.every((a) => a === ANA || a === BESA))).toBe(true);
  });

  it('is handled once when the message is handed in again', async () => {
    const d = desk();
    await d.deliver(FORM_MAIL);
    const before = [...d.sent.keys()];
    await expect(d.deliver(FORM_MAIL)).resolves.toBe('already_created');
    expect(await d.store.list()).toHaveLength(1);
    expect([...d.sent.keys()]).toEqual(before);
  });

  it('is acknowledged to the person in Reply-To, never to the form, once a coordinator answers PO', async () => {
    const d = desk();
    await d.deliver(FORM_MAIL);
    const [forAna] = d.to(ANA);
    await expect(d.reply(ANA, forAna!, 'PO', 1)).resolves.toBe('decision');
    const [r] = await d.store.list();
    expect(r?.status).toBe('pending');
    expect(r?.approvals).toEqual([]);
    expect(d.to(PERSON).map((m) => m.subject)).toEqual([expect.stringMatching(/\[REQ-/)]);
    expect(d.to(FORM)).toEqual([]);
    expect(d.to(BESA).map((m) => m.subject)).toEqual([
      expect.stringContaining('Kërkesë e mundshme'),
      expect.stringContaining('Kërkesë për miratim'),
    ]);
  });

  it("never counts a second coordinator's PO to the possible request as an approval", async () => {
    const d = desk();
    await d.deliver(FORM_MAIL);
    const [forAna] = d.to(ANA);
    const [forBesa] = d.to(BESA);
    await d.reply(ANA, forAna!, 'PO', 1);
    await d.reply(BESA, forBesa!, 'PO', 2);
    const [r] = await d.store.list();
    expect(r?.status).toBe('pending');
    expect(r?.approvals).toEqual([]);
    expect(d.to(BESA).at(-1)?.subject).toContain('Kërkesa është hapur tashmë');
  });

  it('is closed by JO, and its sender and contact get nothing', async () => {
    const d = desk();
    await d.deliver(FORM_MAIL);
    const [forBesa] = d.to(BESA);
    await d.reply(BESA, forBesa!, 'JO', 1);
    const [r] = await d.store.list();
    expect(r?.status).toBe('not_request');
    expect(d.to(PERSON)).toEqual([]);
    expect(d.to(FORM)).toEqual([]);
  });

  it('changes nothing on a reply that fails authentication', async () => {
    const token = desk();
    await token.deliver(FORM_MAIL);
    // Ana's token, sent from Besa's address: the token was not made for her.
    await expect(token.reply(BESA, token.to(ANA)[0]!, 'PO', 1)).resolves.toBe('unauthenticated');
    // Ana's token from a stranger.
    await expect(token.reply('mallory@evil.example.com', token.to(ANA)[0]!, 'PO', 2)).resolves.toBe('unauthenticated');
    expect((await token.store.list())[0]?.status).toBe('unclear');
    expect(token.to(PERSON)).toEqual([]);

    const dkim = desk('dkim');
    await dkim.deliver(FORM_MAIL);
    // Her own token and address, but no DKIM signature of her domain.
    await expect(dkim.reply(ANA, dkim.to(ANA)[0]!, 'PO', 3)).resolves.toBe('unauthenticated');
    const [r] = await dkim.store.list();
    expect(r?.status).toBe('unclear');
    expect(r?.audit.map((a) => a.event)).toContain('unauthenticated_attempt');
    expect(dkim.to(PERSON)).toEqual([]);
  });
});
