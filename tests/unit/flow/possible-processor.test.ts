import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { HandlebarsTemplates } from '../../../src/adapters/templates/handlebars.ts';
import { Flow } from '../../../src/app/flow.ts';
import { OutgoingMailSchema, type Outbox } from '../../../src/contracts/outbox.ts';
import { Processor } from '../../../workers/ports.ts';
import type { InboundJob } from '../../../src/contracts/queues.ts';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { MemoryRequestStore } from './support/memory-store.ts';

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const FORM = 'no-reply@forms.example.net';
const PERSON = 'arta@cso.example.net';

/** The processor over the real templates and an in-memory store; the outbox validates like the real one. */
function desk(auth: 'token' | 'dkim' = 'token') {
  const config = loadConfig(
    {
      COALITION_ADDRESS: 'info@example.org',
      COORDINATORS: `${ANA},${BESA}`,
      COORDINATOR_AUTH: auth,
      TOKEN_SECRET: 'k'.repeat(64),
      UNDO_WINDOW: '0',
    },
    '/nonexistent/.env',
  );
  const spool = new Map<string, Buffer>();
  const sent = new Map<string, OutgoingMail>();
  const outbox: Outbox = {
    async send(mail) {
      const m = OutgoingMailSchema.parse(mail);
      const seen = sent.has(m.id);
      sent.set(m.id, m);
      return { status: seen ? 'duplicate' : 'queued', jobId: m.id };
    },
  };
  const store = new MemoryRequestStore();
  const flow = new Flow({
    config,
    store: store as never,
    outbox,
    templates: HandlebarsTemplates.load({ coalitionName: 'Koalicioni', coalitionAddress: 'info@example.org' }),
    timers: { schedule: async () => undefined },
    statements: {} as never,
    secret: config.TOKEN_SECRET ?? 'x',
    logger: silentLogger,
    clock: () => new Date('2026-11-30T10:00:00Z'),
  });
  const processor = new Processor({
    flow,
    spool: { get: async (k) => spool.get(k) ?? null, delete: async (k) => spool.delete(k) },
    registry: { current: async () => null },
    // Nothing resolves: a reply without a valid signature can never pass DKIM.
    resolver: async () => {
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  let uid = 0;
  const deliver = (lines: string[]) => {
    uid += 1;
    const raw = `${lines.join('\r\n')}\r\n`;
    const key = `k${uid}`;
    spool.set(key, Buffer.from(raw));
    const job: InboundJob = {
      key,
      mailbox: 'INBOX',
      uidValidity: '1',
      uid,
      size: raw.length,
      receivedAt: '',
      folder: 'INBOX',
    };
    return processor.handle(job);
  };
  const to = (address: string) => [...sent.values()].filter((m) => m.to.includes(address));
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
  return { processor, store, sent, to, deliver, reply };
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
