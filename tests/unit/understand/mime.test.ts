import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MimeError, parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand } from '../../../src/domain/understand/index.ts';
import { bounce, encodedWord, message } from './builders.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/mail');

describe('reading raw messages', () => {
  it('refuses an empty input with a MIME_UNPARSEABLE error', async () => {
    await expect(parseRaw('')).rejects.toBeInstanceOf(MimeError);
    await expect(parseRaw('   \r\n  ')).rejects.toMatchObject({ code: 'MIME_UNPARSEABLE' });
  });

  it('refuses binary garbage', async () => {
    await expect(parseRaw(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).rejects.toBeInstanceOf(MimeError);
  });

  it('refuses text without a header block', async () => {
    await expect(parseRaw('Hello, this is just a note.\nWe want to join.\n')).rejects.toBeInstanceOf(MimeError);
    await expect(parseRaw('X-Foo: bar\n\nbody')).rejects.toBeInstanceOf(MimeError);
  });

  it('refuses a header block with nothing to read', async () => {
    await expect(parseRaw('Date: Mon, 12 Jan 2026 10:00:00 +0100\r\nMessage-ID: <x@example.org>\r\n\r\n')).rejects.toBeInstanceOf(MimeError);
  });

  it('reads a message with headers and an empty body', async () => {
    const mail = await parseRaw(message({ subject: '', text: '' }));
    expect(mail.text).toBe('');
    expect(mail.from[0]?.address).toBe('sender@example.org');
  });

  it('skips an mbox "From " line', async () => {
    const mail = await parseRaw(Buffer.concat([Buffer.from('From sender@example.org Mon Jan 12 10:00:00 2026\n'), message({ subject: 'Hi', text: 'Hello' })]));
    expect(mail.subject).toBe('Hi');
  });

  it('decodes RFC 2047 subjects in UTF-8, ISO-8859-2 and windows-1250, B and Q', async () => {
    for (const charset of ['utf-8', 'iso-8859-2', 'windows-1250'] as const) {
      for (const enc of ['B', 'Q'] as const) {
        const mail = await parseRaw(message({ subject: 'Kërkesë për anëtarësim – Korçë', charset, encodeSubject: enc, text: 'x' }));
        expect(mail.subject).toBe(charset === 'iso-8859-2' ? 'Kërkesë për anëtarësim - Korçë' : 'Kërkesë për anëtarësim – Korçë');
      }
    }
  });

  it('decodes encoded words in headers it keeps as text', async () => {
    const mail = await parseRaw(message({ headers: { Organization: encodedWord('Shoqata Ëndrra', 'utf-8', 'Q') }, text: 'x' }));
    expect(mail.headers.organization).toEqual(['Shoqata Ëndrra']);
  });

  it('converts an HTML-only body to its visible text', async () => {
    const mail = await parseRaw(message({ html: '<html><head><style>p{color:red}</style></head><body><h1>Title</h1><p>Visit <a href="https://x.example.com/track">www.org.example.org</a></p><img src="cid:logo"></body></html>' }));
    expect(mail.text).toContain('Title');
    expect(mail.text).toContain('www.org.example.org');
    expect(mail.text).not.toContain('x.example.com');
    expect(mail.text).not.toContain('color:red');
  });

  it('keeps a returned message and the delivery status out of the bounce’s text', async () => {
    const original = message({ from: 'Flora <flora@lumi.example.org>', subject: 'Kërkesë', text: 'Dëshirojmë të anëtarësohemi.' });
    const mail = await parseRaw(bounce({ original }));
    expect(mail.contentType).toMatch(/^multipart\/report; .*report-type=delivery-status/);
    expect(mail.text).not.toContain('anëtarësohemi');
    const returned = mail.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(returned?.isMessage).toBe(true);
    expect(returned?.text).toContain('From: Flora <flora@lumi.example.org>');
    expect(returned?.text).toContain('Dëshirojmë të anëtarësohemi.');
    expect(mail.attachments.some((a) => a.contentType === 'message/delivery-status' && a.text?.includes('Status: 5.1.1'))).toBe(true);
  });

  it('marks text/rfc822-headers as a returned message', async () => {
    const mail = await parseRaw(bounce({ headersOnly: true }));
    const headers = mail.attachments.find((a) => a.contentType === 'text/rfc822-headers');
    expect(headers?.isMessage).toBe(true);
    expect(headers?.text).toContain('Subject:');
  });

  it('lists the headers in lower case, top first', async () => {
    const mail = await parseRaw(message({ headers: { 'X-Autoreply': 'yes', Received: 'from b' }, text: 'x' }));
    expect(mail.headers['x-autoreply']).toEqual(['yes']);
    expect(mail.headers['delivered-to']).toEqual(['info@coalition.example.org']);
  });
});

describe('mangled input', () => {
  it('never fails with anything but MimeError, and every message it reads can be understood', async () => {
    const raws = readdirSync(fixtures)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(join(fixtures, f)));
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 150; i++) {
      const raw = Buffer.from(raws[i % raws.length]!);
      const mangled = i % 3 === 0 ? raw.subarray(0, rand(raw.length)) : i % 3 === 1 ? Buffer.concat([raw.subarray(rand(200)), raw.subarray(0, 50)]) : Buffer.from(raw.map((b) => (rand(40) === 0 ? rand(256) : b)));
      try {
        const mail = await parseRaw(mangled);
        expect(() => understand(mail)).not.toThrow();
      } catch (err) {
        expect(err).toBeInstanceOf(MimeError);
      }
    }
  });
});

describe('the fixtures in tests/fixtures/mail', () => {
  const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as { file: string; kind: string; language: string | null; organization: { name: string | null } | null }[];
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.eml'));

  it('has an expectation for every fixture file', () => {
    expect(expected.map((e) => e.file).sort()).toEqual(files.sort());
  });

  for (const e of expected) {
    it(`reads ${e.file} as ${e.kind}`, async () => {
      const r = understand(await parseRaw(readFileSync(join(fixtures, e.file))), { coalitionAddress: 'info@coalition.example.org' });
      expect(r.kind).toBe(e.kind);
      expect(r.language).toBe(e.language);
      expect(r.organization?.name ?? null).toBe(e.organization?.name ?? null);
    });
  }
});

describe('NUL bytes', () => {
  it('refuses them in the header block, and reads a body that carries one (a returned message quoted by an MTA)', async () => {
    const head = 'From: MAILER-DAEMON@mx.example.org\r\nTo: info@coalition.example.org\r\nSubject: Delivery failure\r\n';
    await expect(parseRaw(Buffer.from(`${head.slice(0, 20)}\0${head.slice(20)}\r\nbody\r\n`, 'latin1'))).rejects.toThrow(/NUL bytes where headers should be/);
    const mail = await parseRaw(Buffer.from(`${head}\r\nUnable to deliver message.\r\n--- Original message follows.\r\n\0\0Subject: hello\r\n`, 'latin1'));
    expect(mail.subject).toBe('Delivery failure');
    expect(mail.text).toContain('Unable to deliver message.');
  });
});
