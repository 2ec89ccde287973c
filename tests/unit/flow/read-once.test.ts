import { describe, expect, it } from 'vitest';
import { decodeReading, encodeReading, HANDED_READING_MAX_BYTES } from '../../../src/app/handed-reading.ts';
import type { MailReader } from '../../../src/app/ports.ts';
import { shouldAnswer } from '../../../src/domain/disposition.ts';
import { understand } from '../../../src/domain/understand/index.ts';
import { mimeMailReader } from '../../../workers/ports.ts';
import { ANA, INFO, memoryDesk } from './support/memory-desk.ts';

/** Issue 13: the watcher's reading goes to the processor with the message, so a message is read once. */

const JOIN = [
  'From: Arta Demi <arta@qendra.example.net>',
  `To: ${INFO}`,
  'Subject: =?UTF-8?B?' + Buffer.from('Kërkesë për anëtarësim').toString('base64') + '?=',
  'Message-ID: <once-1@qendra.example.net>',
  'Date: Tue, 01 Dec 2026 10:00:00 +0100',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: multipart/alternative; boundary="b2"',
  '',
  '--b2',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Qendra Rinore (QR) nga Shkodra dëshiron të anëtarësohet në Koalicion.',
  '',
  'Arta Demi',
  '--b2',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Qendra Rinore (QR) nga Shkodra dëshiron të anëtarësohet në Koalicion.</p>',
  '--b2--',
  '--b1',
  'Content-Type: text/plain; name="statut.txt"',
  'Content-Disposition: attachment; filename="statut.txt"',
  '',
  'Statuti i organizatës.',
  '--b1--',
  '',
].join('\r\n');

function countingReader(): MailReader & { reads: number } {
  const r = {
    reads: 0,
    async read(raw: Buffer) {
      r.reads += 1;
      return mimeMailReader.read(raw);
    },
    htmlText: (html: string) => mimeMailReader.htmlText(html),
  };
  return r;
}

describe('the reading handed from the watcher to the processor', () => {
  it('comes back exactly as the watcher read it: the mail, its date and attachments, and the reading', async () => {
    const read = await mimeMailReader.read(Buffer.from(JOIN));
    if (!read.ok) throw new Error(read.reason);
    const reading = understand(read.mail, { coalitionAddress: INFO, knownCoordinators: [ANA] });
    const back = decodeReading(encodeReading(read.mail, reading));
    expect(back).not.toBeNull();
    expect(back?.mail).toEqual(read.mail);
    expect(back?.mail.date).toBeInstanceOf(Date);
    expect(back?.reading).toEqual(reading);
    expect(back?.mail.attachments).toHaveLength(1);
  });

  it('is not kept when it is too large, and is refused when it is of another version or malformed', async () => {
    const read = await mimeMailReader.read(Buffer.from(JOIN));
    if (!read.ok) throw new Error(read.reason);
    const reading = understand(read.mail, { coalitionAddress: INFO, knownCoordinators: [ANA] });
    expect(encodeReading({ ...read.mail, text: 'x'.repeat(HANDED_READING_MAX_BYTES) }, reading)).toBeNull();
    const good = JSON.parse(encodeReading(read.mail, reading) as string) as Record<string, unknown>;
    expect(decodeReading(JSON.stringify({ ...good, v: 0 }))).toBeNull();
    expect(decodeReading(JSON.stringify({ ...good, reading: { kind: 'join_request' } }))).toBeNull();
    expect(decodeReading('{')).toBeNull();
    expect(decodeReading(null)).toBeNull();
  });

  it('spares the processor a second reading, and the request is the same either way', async () => {
    const once = countingReader();
    const handed = memoryDesk({}, { reader: once });
    expect(await handed.deliver(JOIN)).toBe('request_created');
    expect(handed.readings.size).toBe(0); // removed with the spooled message
    expect(once.reads).toBe(0);

    const twice = countingReader();
    const alone = memoryDesk({}, { reader: twice, handOver: false });
    expect(await alone.deliver(JOIN)).toBe('request_created');
    expect(twice.reads).toBe(1);

    const [a] = await handed.store.list();
    const [b] = await alone.store.list();
    expect(a?.organization).toEqual(b?.organization);
    expect(a?.organization.name).toMatch(/Qendra Rinore/);
    expect(a?.contact).toEqual(b?.contact);
  });
});

describe('shouldAnswer: the one rule on answering a mail', () => {
  const mail = (from: string, headers: Record<string, string[]> = {}) =>
    ({ from: [{ name: '', address: from }], headers }) as unknown as Parameters<typeof shouldAnswer>[0];
  it('answers a person, never a robot, machine-made mail, or an address no person reads', () => {
    expect(shouldAnswer(mail('arta@qendra.example.net'), { kind: 'join_request', automatic: false })).toBe(true);
    expect(shouldAnswer(mail('arta@qendra.example.net'), { kind: 'auto_reply', automatic: false })).toBe(false);
    expect(shouldAnswer(mail('arta@qendra.example.net'), { kind: 'bounce', automatic: true })).toBe(false);
    expect(shouldAnswer(mail('forms@qendra.example.net'), { kind: 'join_request', automatic: true })).toBe(false);
    expect(shouldAnswer(mail('no-reply@qendra.example.net'), { kind: 'join_request', automatic: false })).toBe(false);
    expect(shouldAnswer(mail('MAILER-DAEMON@mx.example.net'), { kind: 'other', automatic: false })).toBe(false);
    expect(shouldAnswer(mail(''), { kind: 'join_request', automatic: false })).toBe(false);
  });
});
