import { describe, expect, it } from 'vitest';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { ANA, BESA, memoryDesk } from './support/memory-desk.ts';

/** The processor against hostile mail (issue 12 items 2, 4, 5, 7; issue 14 defect 1), over the real templates. */

const ORG = 'arta@qtq.example.net';

function desk(env: Record<string, string> = {}) {
  const d = memoryDesk({ COALITION_LIST: 'members@lists.example.org', APPROVALS_REQUIRED: '2', ...env });
  const { deliver } = d;
  const head = (o: { from: string; subject: string; id: string; inReplyTo?: string; extra?: string[] }) => [
    `From: ${o.from}`,
    'To: info@example.org',
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}>`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'Date: Mon, 30 Nov 2026 11:00:00 +0100',
    ...(o.extra ?? []),
  ];
  const join = (from: string, name: string, o: { id?: string; extra?: string[]; body?: string } = {}) =>
    deliver([
      ...head({ from, subject: 'Request to join the Coalition', id: o.id ?? `join.${d.delivered()}@example.net`, ...(o.extra ? { extra: o.extra } : {}) }),
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Dear Coalition,',
      '',
      `Our organisation, ${name}, based in Shkodër, would like to join the Coalition and sign the Joint Statement.${o.body ?? ''}`,
      '',
      'Best regards,',
      'Arta',
    ]);
  /** A coordinator's plain-text reply to a mail she received, threaded. */
  const reply = (from: string, mail: OutgoingMail, text: string, n: number) =>
    deliver([
      ...head({ from, subject: `Re: ${mail.subject}`, id: `reply-${n}@coord.example.org`, inReplyTo: `<${mail.messageIdLocal}@example.org>` }),
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
      '> quoted',
    ]);
  return { ...d, head, join, reply };
}

describe('a coordinator reply whose HTML hides a word (issue 12 item 7)', () => {
  it('is read as what the coordinator sees: a hidden PO is no approval', async () => {
    const d = desk();
    await d.join(`Arta <${ORG}>`, 'Qendra per Transparence Qytetare');
    const [forAna] = d.to(ANA);
    await expect(
      d.deliver([
        ...d.head({ from: ANA, subject: `Re: ${forAna!.subject}`, id: 'html-1@coord.example.org', inReplyTo: `<${forAna!.messageIdLocal}@example.org>` }),
        'Content-Type: text/html; charset=utf-8',
        '',
        '<div style="display:none">PO</div><p>Let me check with the board first.</p>',
      ]),
    ).resolves.toBe('decision');
    const [r] = await d.store.list();
    expect(r?.approvals).toEqual([]);
    expect(d.to(ANA).at(-1)?.subject).toMatch(/nuk u kuptua/);
  });

  it('reads the text part when there is one, whatever the HTML shows', async () => {
    const d = desk();
    await d.join(`Arta <${ORG}>`, 'Qendra per Transparence Qytetare');
    const [forAna] = d.to(ANA);
    await d.deliver([
      ...d.head({ from: ANA, subject: `Re: ${forAna!.subject}`, id: 'alt-1@coord.example.org', inReplyTo: `<${forAna!.messageIdLocal}@example.org>` }),
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Let me check with the board first.',
      '--b',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>PO</p>',
      '--b--',
    ]);
    expect((await d.store.list())[0]?.approvals).toEqual([]);
  });
});

describe('a forged reply (issue 12 items 5 and 8)', () => {
  it('keeps the display name out of the audit and the warning: an encoded newline fakes no audit line', async () => {
    const d = desk();
    await d.join(`Arta <${ORG}>`, 'Qendra per Transparence Qytetare');
    const [forAna] = d.to(ANA);
    const name = '=?utf-8?q?Attacker=0A_2026-01-01T00:00:00Z_decided=5Fapprove_by_ana@coord.example.org_URGENT_reply_PO_at_http://evil.example.com?=';
    await expect(
      d.deliver([
        ...d.head({ from: `${name} <mallory@evil.example.com>`, subject: `Re: ${forAna!.subject}`, id: 'forged-1@evil.example.com', inReplyTo: `<${forAna!.messageIdLocal}@example.org>` }),
        'Content-Type: text/plain; charset=utf-8',
        '',
        'PO',
      ]),
    ).resolves.toBe('unauthenticated');
    const [r] = await d.store.list();
    const attempt = r?.audit.find((a) => a.event === 'unauthenticated_attempt');
    expect(attempt?.by).toBe('mallory@evil.example.com');
    const warning = d.to(BESA).find((m) => /pavërtetuar/.test(m.subject));
    expect(`${warning?.subject}\n${warning?.text}`).not.toMatch(/Attacker|URGENT|http:\/\/evil/);
    expect(warning?.text).toContain('mallory@evil.example.com');
  });
});

describe('who the desk writes to (issue 12 item 4)', () => {
  it('answers only the From; a Reply-To or an address in the body is a proposed contact for the coordinators', async () => {
    const d = desk();
    await d.join(`Pills <pills@attacker.example.com>`, 'Cheap Pills Online Foundation', {
      extra: ['Reply-To: victim@victim.example.net'],
      body: '\n\nEmail: director@victim2.example.net',
    });
    expect(d.to('victim@victim.example.net')).toEqual([]);
    expect(d.to('director@victim2.example.net')).toEqual([]);
    expect(d.to('pills@attacker.example.com')).toHaveLength(1);
    const [r] = await d.store.list();
    expect(r).toMatchObject({ replyAddress: 'pills@attacker.example.com', senderVerified: false });
    expect(['director@victim2.example.net', 'victim@victim.example.net']).toContain(r?.proposedContact);
    expect(d.to(ANA)[0]?.text).toContain(r?.proposedContact as string);
    expect(d.to(ANA)[0]?.text).toMatch(/e pavërtetuar/);
  });

  it('never answers our own address, the coalition list, a list mail or a coordinator as an organisation', async () => {
    const d = desk();
    await d.join('Koalicioni <info@example.org>', 'Own Address Foundation');
    await d.join('List <members@lists.example.org>', 'List Relay Foundation');
    await d.join('Someone <someone@lists.example.net>', 'Listed Foundation', { extra: ['List-Id: <members.lists.example.net>'] });
    await d.join(`Ana <${ANA}>`, 'Coordinator Own Foundation');
    for (const a of ['info@example.org', 'members@lists.example.org', 'someone@lists.example.net']) expect(d.to(a)).toEqual([]);
    // Ana is asked to decide (or to look at a possible request), never acknowledged as an organisation.
    expect(d.to(ANA).filter((m) => !/Kërkesë për miratim|Kërkesë e mundshme/.test(m.subject))).toEqual([]);
    const requests = await d.store.list();
    expect(requests).toHaveLength(4);
    for (const r of requests) expect(r.replyAddress).toBe('');
  });
});

describe("a coordinator's autoresponder (issue 14 defect 1)", () => {
  it('gets one help mail for its answer to the approval request, and none for its answer to the help mail', async () => {
    const d = desk();
    await d.join(`Arta <${ORG}>`, 'Qendra per Transparence Qytetare');
    const [forAna] = d.to(ANA);
    await d.reply(ANA, forAna!, 'Faleminderit për mesazhin tuaj', 1);
    const help = d.to(ANA).filter((m) => /nuk u kuptua/.test(m.subject));
    expect(help).toHaveLength(1);
    await expect(d.reply(ANA, help[0]!, 'Faleminderit për mesazhin tuaj', 2)).resolves.toBe('decision');
    expect(d.to(ANA).filter((m) => /nuk u kuptua/.test(m.subject))).toHaveLength(1);
    // A real decision in answer to the help mail still counts.
    await d.reply(ANA, help[0]!, 'PO', 3);
    expect((await d.store.list())[0]?.approvals.map((a) => a.by)).toEqual([ANA]);
  });
});

describe("an organisation's reply (issue 12 item 2, issue 14 defect 2)", () => {
  it('changes its request only from its own contact address, citing our mail to that address', async () => {
    const d = desk();
    await d.join(`Arta <${ORG}>`, 'Qendra per Transparence Qytetare');
    const [r] = await d.store.list();
    const [ack] = d.to(ORG);
    const orgReply = (from: string, inReplyTo: string, n: number) =>
      d.deliver([
        ...d.head({ from, subject: `Re: Konfirmim marrjeje [${r!.id}]`, id: `org-${n}@qtq.example.net`, inReplyTo }),
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Emri: Albanian Friends of Mallory ${n}`,
        'Qyteti: Nowhere',
      ]);
    await orgReply('board@qtq.example.net', `<${ack!.messageIdLocal}@example.org>`, 1);
    await orgReply(ORG, `<${r!.id}.1.acknowledgement@example.org>`, 2);
    await orgReply('board@qtq.example.net', `<${r!.id}.1.acknowledgement@example.org>`, 3);
    expect((await d.store.get(r!.id))?.organization.name).toBe('Qendra per Transparence Qytetare');
    await expect(orgReply(ORG, `<${ack!.messageIdLocal}@example.org>`, 4)).resolves.toBe('org_reply');
    expect((await d.store.get(r!.id))?.organization).toMatchObject({ name: 'Albanian Friends of Mallory 4', city: 'Nowhere' });
  });
});
