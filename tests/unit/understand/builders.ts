import { deflateRawSync, deflateSync } from 'node:zlib';

/**
 * Builders for raw RFC 5322 messages, so each test says only what matters to it.
 * Addresses are under example.org / example.net / .test.
 */

export type Charset = 'utf-8' | 'iso-8859-2' | 'windows-1250' | 'us-ascii';
export type Transfer = '7bit' | '8bit' | 'quoted-printable' | 'base64';

export interface Part {
  contentType: string;
  /** Already-encoded body lines of the part (after Content-Transfer-Encoding). */
  body: string;
  headers?: Record<string, string>;
}

export interface AttachmentSpec {
  filename?: string;
  contentType: string;
  content: Buffer | string;
  disposition?: 'attachment' | 'inline';
}

export interface MessageSpec {
  from?: string;
  to?: string;
  cc?: string;
  replyTo?: string;
  subject?: string;
  /** Extra top-level headers, written as given. */
  headers?: Record<string, string>;
  text?: string;
  html?: string;
  charset?: Charset;
  transfer?: Transfer;
  attachments?: AttachmentSpec[];
  /** Write the Subject header as an RFC 2047 encoded-word. */
  encodeSubject?: 'B' | 'Q';
  messageId?: string;
  inReplyTo?: string;
  date?: string;
}

/** Albanian letters in ISO-8859-2 and windows-1250 (same code points for these). */
const LATIN2: Record<string, number> = { ë: 0xeb, Ë: 0xcb, ç: 0xe7, Ç: 0xc7, é: 0xe9, ü: 0xfc, ö: 0xf6, '–': 0x2d, '’': 0x27, '“': 0x22, '”': 0x22 };
const CP1250_EXTRA: Record<string, number> = { '–': 0x96, '’': 0x92, '“': 0x93, '”': 0x94, '„': 0x84 };

export function encodeCharset(text: string, charset: Charset): Buffer {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) bytes.push(c);
    else if (charset === 'windows-1250' && CP1250_EXTRA[ch] !== undefined) bytes.push(CP1250_EXTRA[ch]);
    else if (charset !== 'us-ascii' && LATIN2[ch] !== undefined) bytes.push(LATIN2[ch]);
    else bytes.push(0x3f);
  }
  return Buffer.from(bytes);
}

export function quotedPrintable(bytes: Buffer): string {
  const lines: string[] = [];
  for (const rawLine of bytes.toString('latin1').split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    let out = '';
    let len = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      const enc = (c >= 33 && c <= 126 && c !== 61) || (c === 32 && i < line.length - 1) ? line[i]! : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      if (len + enc.length > 75) {
        out += '=\r\n';
        len = 0;
      }
      out += enc;
      len += enc.length;
    }
    lines.push(out);
  }
  return lines.join('\r\n');
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

export function encodeBody(text: string, charset: Charset, transfer: Transfer): string {
  const bytes = encodeCharset(text.replace(/\r?\n/g, '\r\n'), charset);
  if (transfer === 'quoted-printable') return quotedPrintable(bytes);
  if (transfer === 'base64') return base64Lines(bytes);
  return bytes.toString('latin1');
}

/** RFC 2047 encoded-word. */
export function encodedWord(text: string, charset: Charset = 'utf-8', encoding: 'B' | 'Q' = 'B'): string {
  const bytes = encodeCharset(text, charset);
  if (encoding === 'B') return `=?${charset}?B?${bytes.toString('base64')}?=`;
  let q = '';
  for (const b of bytes) q += b === 0x20 ? '_' : (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return `=?${charset}?Q?${q}?=`;
}

let boundaryN = 0;

function multipart(type: string, parts: Part[], params = ''): Part {
  const boundary = `b${++boundaryN}_${type.replace(/\W/g, '')}`;
  const body = parts
    .map((p) => {
      const headers = Object.entries({ 'Content-Type': p.contentType, ...(p.headers ?? {}) })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      return `--${boundary}\r\n${headers}\r\n\r\n${p.body}\r\n`;
    })
    .join('');
  return { contentType: `multipart/${type}; boundary="${boundary}"${params}`, body: `${body}--${boundary}--` };
}

function textPart(text: string, subtype: 'plain' | 'html', charset: Charset, transfer: Transfer): Part {
  return {
    contentType: `text/${subtype}; charset="${charset}"`,
    headers: { 'Content-Transfer-Encoding': transfer },
    body: encodeBody(text, charset, transfer),
  };
}

function attachmentPart(a: AttachmentSpec): Part {
  const content = typeof a.content === 'string' ? Buffer.from(a.content.replace(/\r?\n/g, '\r\n'), 'utf8') : a.content;
  const isText = /^(?:message\/|text\/)/.test(a.contentType);
  const headers: Record<string, string> = {};
  if (a.disposition !== undefined || a.filename) headers['Content-Disposition'] = `${a.disposition ?? 'attachment'}${a.filename ? `; filename="${a.filename}"` : ''}`;
  if (isText && content.every((b) => b < 0x80)) {
    headers['Content-Transfer-Encoding'] = '7bit';
    return { contentType: a.contentType + (a.filename && !isText ? `; name="${a.filename}"` : ''), headers, body: content.toString('latin1') };
  }
  headers['Content-Transfer-Encoding'] = isText ? '8bit' : 'base64';
  return {
    contentType: a.contentType + (a.filename ? `; name="${a.filename}"` : ''),
    headers,
    body: isText ? content.toString('latin1') : base64Lines(content),
  };
}

/** A complete raw message as a Buffer (CRLF line ends). */
export function message(spec: MessageSpec = {}): Buffer {
  const charset = spec.charset ?? 'utf-8';
  const transfer = spec.transfer ?? (charset === 'us-ascii' ? '7bit' : 'quoted-printable');
  const subject = spec.subject ?? 'Test';
  const headers: string[] = [
    `Return-Path: <${/<([^>]+)>/.exec(spec.from ?? '')?.[1] ?? spec.from ?? 'sender@example.org'}>`,
    'Delivered-To: info@coalition.example.org',
    `From: ${spec.from ?? 'Sender <sender@example.org>'}`,
    `To: ${spec.to ?? 'info@coalition.example.org'}`,
  ];
  if (spec.cc) headers.push(`Cc: ${spec.cc}`);
  if (spec.replyTo) headers.push(`Reply-To: ${spec.replyTo}`);
  headers.push(`Subject: ${spec.encodeSubject ? encodedWord(subject, charset === 'us-ascii' ? 'utf-8' : charset, spec.encodeSubject) : subject}`);
  headers.push(`Date: ${spec.date ?? 'Mon, 12 Jan 2026 10:00:00 +0100'}`);
  headers.push(`Message-ID: ${spec.messageId ?? `<${++boundaryN}.test@example.org>`}`);
  if (spec.inReplyTo) headers.push(`In-Reply-To: ${spec.inReplyTo}`);
  headers.push('MIME-Version: 1.0');
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers.push(`${k}: ${v}`);

  let body: Part;
  const texts: Part[] = [];
  if (spec.text !== undefined) texts.push(textPart(spec.text, 'plain', charset, transfer));
  if (spec.html !== undefined) texts.push(textPart(spec.html, 'html', charset, transfer));
  if (texts.length === 0) texts.push(textPart('', 'plain', charset, transfer));
  body = texts.length === 1 ? texts[0]! : multipart('alternative', texts);
  if (spec.attachments?.length) body = multipart('mixed', [body, ...spec.attachments.map(attachmentPart)]);

  const partHeaders = Object.entries({ 'Content-Type': body.contentType, ...(body.headers ?? {}) }).map(([k, v]) => `${k}: ${v}`);
  // Raw 8-bit header text is UTF-8 (RFC 6532); the body is already in its transfer encoding.
  return Buffer.concat([Buffer.from(`${[...headers, ...partHeaders].join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(`${body.body}\r\n`, 'latin1')]);
}

/** A Postfix-style DSN (multipart/report; report-type=delivery-status) returning `original`. */
export function bounce(opts: { original?: Buffer; headersOnly?: boolean; extraHeaders?: Record<string, string> } = {}): Buffer {
  const human = textPart(
    [
      'This is the mail system at host mx.coalition.example.org.',
      '',
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients. It\'s attached below.',
      '',
      '<someone@example.net>: host mx.example.net said: 550 5.1.1 User unknown',
    ].join('\n'),
    'plain',
    'us-ascii',
    '7bit',
  );
  const status: Part = {
    contentType: 'message/delivery-status',
    body: ['Reporting-MTA: dns; mx.coalition.example.org', '', 'Final-Recipient: rfc822; someone@example.net', 'Action: failed', 'Status: 5.1.1'].join('\r\n'),
  };
  const original = opts.original ?? message({ from: 'Koalicioni <info@coalition.example.org>', to: 'someone@example.net', subject: 'Takimi', text: 'Takimi i radhës.' });
  const returned: Part = opts.headersOnly
    ? { contentType: 'text/rfc822-headers', body: original.toString('latin1').split('\r\n\r\n')[0]! }
    : { contentType: 'message/rfc822', body: original.toString('latin1') };
  const report = multipart('report', [human, status, returned], '; report-type=delivery-status');
  const headers = [
    'Return-Path: <>',
    'Delivered-To: info@coalition.example.org',
    'From: Mail Delivery System <MAILER-DAEMON@mx.coalition.example.org>',
    'To: info@coalition.example.org',
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Mon, 12 Jan 2026 10:00:00 +0100',
    'Message-ID: <dsn.1@mx.coalition.example.org>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    ...Object.entries(opts.extraHeaders ?? {}).map(([k, v]) => `${k}: ${v}`),
    `Content-Type: ${report.contentType}`,
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${report.body}\r\n`, 'latin1');
}

// ---- documents -------------------------------------------------------------------

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A minimal DOCX (zip with word/document.xml, deflated), one paragraph per line. */
export function docx(lines: string[]): Buffer {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${lines
    .map((l) => `<w:p><w:r><w:t xml:space="preserve">${esc(l)}</w:t></w:r></w:p>`)
    .join('')}</w:body></w:document>`;
  const files: [string, Buffer][] = [
    ['[Content_Types].xml', Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')],
    ['word/document.xml', Buffer.from(xml, 'utf8')],
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const compressed = deflateRawSync(data);
    const nameBuf = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, compressed);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A minimal one-page PDF with Helvetica text, the content stream Flate-compressed when `flate`. */
export function pdf(lines: string[], flate = true): Buffer {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
  const content = Buffer.from(`BT\n/F1 11 Tf\n14 TL\n56 790 Td\n${lines.map((l) => `(${esc(l)}) Tj T*`).join('\n')}\nET\n`, 'latin1');
  const stream = flate ? deflateSync(content) : content;
  const parts = [
    '%PDF-1.4\n',
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >> endobj\n',
    '4 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> endobj\n',
  ];
  const head = Buffer.from(`${parts.join('')}5 0 obj << /Length ${stream.length}${flate ? ' /Filter /FlateDecode' : ''} >>\nstream\n`, 'latin1');
  return Buffer.concat([head, stream, Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')]);
}
