import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { readDeliveryReport, ourOrganisationMail, outcomeOf } from '../../../src/domain/delivery-report.ts';
import { postfixDsn } from '../../harness/dsn.ts';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { ANA, BESA, INFO, memoryDesk } from './support/memory-desk.ts';

const CSO = 'arta@cso.example.net';

function desk() {
  return memoryDesk();
}

const join = (n = 1) =>
  [
    `From: Arta Hoxha <${CSO}>`,
    `To: ${INFO}`,
    'Subject: Kërkesë për anëtarësim',
    `Message-ID: <join-${n}@cso.example.net>`,
    'Date: Mon, 30 Nov 2026 09:00:00 +0100',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Përshëndetje,',
    '',
    'Organizata jonë, Qendra për Transparencë Qytetare, me seli në Shkodër, dëshiron t’i bashkohet Koalicionit dhe të nënshkruajë Deklaratën e Përbashkët.',
    '',
    'Me respekt,',
    'Arta Hoxha',
    '',
  ].join('\r\n');

/** Our acknowledgement as the organisation's server received it. */
function acknowledgementRaw(ack: OutgoingMail): string {
  return [
    `From: Koalicioni <${INFO}>`,
    `To: ${ack.to[0]}`,
    `Subject: ${ack.subject}`,
    `Message-ID: <${ack.messageIdLocal ?? ack.id}@example.org>`,
    `In-Reply-To: ${ack.inReplyTo ?? ''}`,
    'Auto-Submitted: auto-replied',
    'Content-Type: text/plain; charset=utf-8',
    '',
    ack.text,
  ].join('\r\n');
}

async function requestWithAcknowledgement() {
  const d = desk();
  expect(await d.deliver(join())).toBe('request_created');
  const [request] = await d.store.list();
  const ack = d.to(CSO).find((m) => m.id.endsWith('.acknowledgement'));
  if (!request || !ack) throw new Error('no request or acknowledgement');
  return { ...d, request, ack };
}

describe('a delivery report for our acknowledgement', () => {
  it('records "contact address undeliverable" on the request and tells every coordinator once', async () => {
    const d = await requestWithAcknowledgement();
    const dsn = postfixDsn({ to: INFO, recipient: CSO, returned: { raw: acknowledgementRaw(d.ack) } });
    expect(await d.deliver(dsn)).toBe('undeliverable');
    const r = await d.store.get(d.request.id);
    const entry = r?.audit.find((a) => a.event === 'contact_undeliverable');
    expect(entry?.detail).toContain(CSO);
    expect(entry?.detail).toContain('5.1.1');
    expect(entry?.detail).not.toMatch(/550 550/);
    // The audit no longer ends on "acknowledged" as if the mail had arrived.
    expect(r?.audit.map((a) => a.event).indexOf('contact_undeliverable')).toBeGreaterThan(r?.audit.map((a) => a.event).indexOf('acknowledged') ?? 99);
    for (const c of [ANA, BESA]) {
      const notices = d.to(c).filter((m) => /nuk u dorëzua|undeliverable|nuk merr/i.test(`${m.subject}\n${m.text}`));
      expect(notices, c).toHaveLength(1);
      expect(notices[0]?.text).toContain(CSO);
      expect(notices[0]?.text).toContain(d.request.id);
    }
    // Nothing ever goes back to the reporting mail system or the organisation.
    expect([...d.sent.values()].filter((m) => m.to.some((a) => /mailer-daemon/i.test(a)))).toEqual([]);
    expect(d.to(CSO)).toHaveLength(1);
  });

  it('tells the coordinators only once when several reports come back, and records each', async () => {
    const d = await requestWithAcknowledgement();
    const returned = { raw: acknowledgementRaw(d.ack), headersOnly: true };
    await d.deliver(postfixDsn({ to: INFO, recipient: CSO, returned }));
    await d.deliver(postfixDsn({ to: INFO, recipient: CSO, status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full', returned }));
    const r = await d.store.get(d.request.id);
    expect(r?.audit.filter((a) => a.event === 'contact_undeliverable')).toHaveLength(2);
    expect(d.to(ANA).filter((m) => m.id.includes('contact_undeliverable'))).toHaveLength(1);
  });

  it('counts a report handed in twice (a retried job) once', async () => {
    const d = await requestWithAcknowledgement();
    const dsn = postfixDsn({ to: INFO, recipient: CSO, returned: { raw: acknowledgementRaw(d.ack) }, messageId: '<same-dsn@mx.cso.example.net>' });
    await d.deliver(dsn);
    await d.deliver(dsn);
    const r = await d.store.get(d.request.id);
    expect(r?.audit.filter((a) => a.event === 'contact_undeliverable')).toHaveLength(1);
  });

  it('is linked by X-Original-Message-ID, or by In-Reply-To, when nothing is returned', async () => {
    const d = await requestWithAcknowledgement();
    const id = `<${d.ack.id}@example.org>`;
    expect(await d.deliver(postfixDsn({ to: INFO, recipient: CSO, xOriginalMessageId: id }))).toBe('undeliverable');
    const e = await requestWithAcknowledgement();
    expect(await e.deliver(postfixDsn({ to: INFO, recipient: CSO, inReplyTo: `<${e.ack.id}@example.org>` }))).toBe('undeliverable');
  });

  it('is linked by its Original-Recipient to the open request of that address, when it names no mail of ours', async () => {
    const d = await requestWithAcknowledgement();
    expect(await d.deliver(postfixDsn({ to: INFO, recipient: CSO, finalRecipient: 'arta.hoxha@mail.cso.example.net' }))).toBe('undeliverable');
    expect((await d.store.get(d.request.id))?.audit.some((a) => a.event === 'contact_undeliverable')).toBe(true);
  });

  it('records a delay without alarming anyone', async () => {
    const d = await requestWithAcknowledgement();
    const before = d.sent.size;
    const dsn = postfixDsn({ to: INFO, recipient: CSO, action: 'delayed', returned: { raw: acknowledgementRaw(d.ack), headersOnly: true } });
    expect(await d.deliver(dsn)).toBe('delivery_delayed');
    const r = await d.store.get(d.request.id);
    expect(r?.audit.some((a) => a.event === 'delivery_delayed')).toBe(true);
    expect(r?.audit.some((a) => a.event === 'contact_undeliverable')).toBe(false);
    expect(d.sent.size).toBe(before);
  });

  it('leaves a report about a mail that is not ours alone', async () => {
    const d = await requestWithAcknowledgement();
    const other = postfixDsn({ to: INFO, recipient: 'someone@elsewhere.example.net', returned: { raw: join(7).replace('join-7@cso', 'x-7@staff') } });
    expect(await d.deliver(other)).toBe('automatic');
    expect((await d.store.get(d.request.id))?.audit.some((a) => a.event === 'contact_undeliverable')).toBe(false);
  });
});

describe('reading a delivery report', () => {
  it('finds our mail and the failed recipient in a Postfix report', async () => {
    const ours = '<REQ-7F3K2.1.acknowledgement@example.org>';
    const raw = postfixDsn({ to: INFO, recipient: CSO, returned: { raw: `Message-ID: ${ours}\r\nSubject: x\r\n\r\nbody` } });
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    const report = readDeliveryReport(await parseRaw(raw), body);
    expect(report.messageIds).toContain(ours);
    expect(ourOrganisationMail(ours, INFO)).toEqual({ requestId: 'REQ-7F3K2', mail: 'acknowledgement' });
    expect(ourOrganisationMail('<REQ-7F3K2.1.acknowledgement@cso.example.net>', INFO)).toBeNull();
    expect(report.recipients).toEqual([
      expect.objectContaining({ original: CSO, final: CSO, action: 'failed', status: '5.1.1' }),
    ]);
    expect(outcomeOf(report.recipients[0]!)).toBe('undeliverable');
  });
});
