import { deflateSync } from 'node:zlib';
import { docx, message, type AttachmentSpec } from '../unit/understand/builders.ts';

/**
 * Hostile mail as issue 12 found it: small on the wire, huge once read. Shared
 * by the unit tests of the reader's budgets, the hostile-mail integration test
 * and bench/hostile-mail.ts, so all three measure the same bytes.
 */

const JOIN_TEXT = [
  'Dear Coalition,',
  '',
  'Our organisation, Qendra Poison (QP), based in Tirana, would like to join the Coalition and sign the Joint Statement.',
  'Our letter is attached.',
  '',
  'Best regards,',
  'Drita Kola',
].join('\n');

/** One line of a content stream: a 1,000-letter string shown with Tj. */
const TJ_LINE = `(${'A'.repeat(1000)}) Tj\n`;

/**
 * A content stream of about `bytes` bytes of `(A…A) Tj` lines: it deflates to a
 * few kilobytes (a ratio of about 300:1 or more).
 */
export function bombContent(bytes = 4_000_000): Buffer {
  const lines = Math.floor(bytes / TJ_LINE.length);
  return Buffer.from(`BT\n/F1 11 Tf\n${TJ_LINE.repeat(lines)}ET\n`, 'latin1');
}

/** A PDF of `streams` pages, each a FlateDecode content stream inflating to `bytesPerStream`. */
export function bombPdf(streams = 40, bytesPerStream = 4_000_000): Buffer {
  const compressed = deflateSync(bombContent(bytesPerStream), { level: 9 });
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n', 'latin1')];
  const kids = Array.from({ length: streams }, (_, i) => `${3 + 2 * i} 0 R`).join(' ');
  parts.push(Buffer.from(`2 0 obj << /Type /Pages /Kids [${kids}] /Count ${streams} >> endobj\n`, 'latin1'));
  for (let i = 0; i < streams; i++) {
    const page = 3 + 2 * i;
    parts.push(
      Buffer.from(
        `${page} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${page + 1} 0 R >> endobj\n` +
          `${page + 1} 0 obj << /Length ${compressed.length} /Filter /FlateDecode >>\nstream\n`,
        'latin1',
      ),
      compressed,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    );
  }
  parts.push(Buffer.from('trailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

/** A DOCX whose word/document.xml is about `bytes` bytes, nearly all text (a few kilobytes zipped). */
export function bombDocx(bytes = 4_000_000): Buffer {
  const line = 'A'.repeat(1000);
  // Each paragraph's markup adds 55 bytes to its 1,000 letters.
  return docx(Array.from({ length: Math.floor(bytes / 1055) }, () => line));
}

/** `<div>` nested `depth` deep around one word (100 tags a line, so no line is too long for SMTP). */
export function deepHtml(depth = 200_000): string {
  const lines = (tag: string): string => {
    const full = `${tag.repeat(100)}\n`.repeat(Math.floor(depth / 100));
    return full + tag.repeat(depth % 100);
  };
  return `<html><body>\n${lines('<div>')}Hello\n${lines('</div>')}</body></html>\n`;
}

export interface HostileOptions {
  messageId?: string;
  from?: string;
  to?: string;
}

function joinWith(attachments: AttachmentSpec[], o: HostileOptions, subject: string): Buffer {
  return message({
    from: o.from ?? 'Drita Kola <drita@poison.example.net>',
    to: o.to ?? 'info@example.org',
    subject,
    text: JOIN_TEXT,
    attachments,
    ...(o.messageId ? { messageId: o.messageId } : {}),
  });
}

/** The poison pill of issue 12: a join request with a PDF of 40 streams of 4 MB each (about 750 KB on the wire). */
export function poisonPdfMail(o: HostileOptions & { streams?: number } = {}): Buffer {
  const pdf = bombPdf(o.streams ?? 40);
  return joinWith([{ filename: 'letter.pdf', contentType: 'application/pdf', content: pdf }], o, 'Request to join the Coalition');
}

/** A join request with `parts` DOCX letters, each 4 MB of text. */
export function docxSetMail(o: HostileOptions & { parts?: number; bytesPerPart?: number } = {}): Buffer {
  const one = bombDocx(o.bytesPerPart ?? 4_000_000);
  const attachments = Array.from({ length: o.parts ?? 998 }, (_, i) => ({
    filename: `letter-${i + 1}.docx`,
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    content: one,
  }));
  return joinWith(attachments, o, 'Request to join the Coalition');
}

/** A join request whose HTML body (and `parts - 1` HTML attachments) nest 200,000 `<div>`. */
export function deepHtmlMail(o: HostileOptions & { parts?: number; depth?: number } = {}): Buffer {
  const html = deepHtml(o.depth ?? 200_000);
  const extra = Array.from({ length: (o.parts ?? 1) - 1 }, (_, i) => ({ filename: `page-${i + 1}.html`, contentType: 'text/html', content: html }));
  return message({
    from: o.from ?? 'Drita Kola <drita@poison.example.net>',
    to: o.to ?? 'info@example.org',
    subject: 'Request to join the Coalition',
    html,
    ...(extra.length ? { attachments: extra } : {}),
    ...(o.messageId ? { messageId: o.messageId } : {}),
  });
}
