import { ReadBudget } from './budget.ts';
import { MimeError } from './errors.ts';

/**
 * Best-effort text of a letter attached as DOCX or PDF, without a new
 * dependency. Both readers are deliberately small: they handle what Word,
 * LibreOffice and simple PDF writers produce and return null for anything else
 * (encrypted files, CID fonts, scanned images). Inflating and extracting are
 * paid from the message's ReadBudget (budget.ts). They throw only MimeError
 * MIME_HOSTILE (decompression bombs); a broken file gives null.
 */

/** Input larger than this is not scanned at all. */
const MAX_INPUT = 10 * 1024 * 1024;

export function attachmentText(filename: string | null, contentType: string, content: Buffer, budget = new ReadBudget()): string | null {
  if (content.length === 0 || content.length > MAX_INPUT) return null;
  const name = (filename ?? '').toLowerCase();
  const type = contentType.toLowerCase();
  try {
    if (type.startsWith('text/plain') || name.endsWith('.txt')) return content.toString('utf8');
    if (type.includes('wordprocessingml') || name.endsWith('.docx')) return docxText(content, budget);
    if (type === 'application/pdf' || name.endsWith('.pdf')) return pdfText(content, budget);
  } catch (err) {
    if (err instanceof MimeError) throw err;
    // A broken attachment is listed without text, never a reason to lose the message.
  }
  return null;
}

// ---------------------------------------------------------------------------
// DOCX: a zip; the text is in word/document.xml.

export function docxText(zip: Buffer, budget = new ReadBudget()): string | null {
  const xml = readZipEntry(zip, 'word/document.xml', budget);
  if (xml === null) return null;
  const text = xml
    .replace(/<w:tab\/>/g, '\t')
    .replace(/<w:(?:br|cr)\b[^>]*\/>/g, '\n')
    .replace(/<\/w:p>/g, '\n')
    .replace(/<[^>]+>/g, '');
  return normaliseLines(decodeXmlEntities(text));
}

/** Reads one entry of a zip archive through its central directory (APPNOTE 4.3.12-16). */
function readZipEntry(zip: Buffer, wanted: string, budget: ReadBudget): string | null {
  // End of central directory record: signature 0x06054b50, searched from the end
  // because a comment of up to 64 KiB may follow it.
  const minEocd = Math.max(0, zip.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = zip.length - 22; i >= minEocd; i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries && p + 46 <= zip.length; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) return null;
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    if (name === wanted) {
      if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== 0x04034b50) return null;
      const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const data = zip.subarray(start, start + compressedSize);
      if (method === 0) return data.toString('utf8');
      if (method === 8) return budget.inflate(data, 'raw')?.toString('utf8') ?? null;
      return null;
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  return null;
}

function decodeXmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const lower = e.toLowerCase();
    if (lower === 'amp') return '&';
    if (lower === 'lt') return '<';
    if (lower === 'gt') return '>';
    if (lower === 'quot') return '"';
    if (lower === 'apos') return "'";
    const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
  });
}

// ---------------------------------------------------------------------------
// PDF: text-showing operators (Tj, TJ, ', ") in the content streams, inflated
// when /FlateDecode. Glyphs are read as WinAnsi, which is what simple writers
// use with the standard 14 fonts; output that is not mostly letters is dropped.

export function pdfText(pdf: Buffer, budget = new ReadBudget()): string | null {
  if (pdf.toString('latin1', 0, 5) !== '%PDF-') return null;
  const src = pdf.toString('latin1');
  const out: string[] = [];
  let collected = 0;
  const streamRe = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = streamRe.exec(src)) !== null) {
    if (!budget.readPdfStream()) break;
    const start = m.index + m[0].length;
    const end = src.indexOf('endstream', start);
    if (end < 0) break;
    // The stream's own dictionary, nested ones (/DecodeParms <<...>>) included: from its
    // "N G obj" on, looked for in the 4 KiB before it so that no PDF costs a search from the start.
    const before = src.slice(Math.max(0, m.index - 4096), m.index);
    const objAt = before.lastIndexOf('obj');
    const at = objAt >= 0 ? objAt : before.lastIndexOf('<<');
    const dict = at >= 0 ? before.slice(at) : '';
    streamRe.lastIndex = end + 9;
    // Not text: images (a blank scanned page inflates hundreds of times its size), fonts, metadata, cross-references.
    if (SKIPPED_STREAM.test(dict)) continue;
    let body: Buffer | null = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(dict)) {
      body = budget.inflate(body, 'zlib');
      if (body === null) continue;
    } else if (/\/Filter/.test(dict)) {
      continue;
    }
    const text = contentStreamText(body.toString('latin1'));
    if (!text) continue;
    out.push(text);
    collected += text.length;
    if (collected >= budget.textLeft) {
      budget.note('text', `text cut at ${budget.limits.maxTextBytes} bytes`);
      break;
    }
  }
  const text = normaliseLines(out.join('\n'));
  if (!text) return null;
  // Counted without an array of every letter (a match() of megabytes of text is a heap of strings).
  const letters = text.replace(/\P{L}+/gu, '').length;
  return letters / text.replace(/\s/g, '').length >= 0.6 ? text : null;
}

const SKIPPED_STREAM = /\/Subtype\s*\/(?:Image|XML|Type1C|CIDFontType0C|OpenType)|\/Type\s*\/(?:XObject|XRef|ObjStm|Metadata|EmbeddedFile)|\/Length[123]\b|\/DecodeParms|\/BitsPerComponent/;

const WIN_ANSI_HIGH: Record<number, string> = {
  0x80: '€', 0x82: '‚', 0x84: '„', 0x85: '…', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x96: '–', 0x97: '—',
};

function contentStreamText(cs: string): string {
  if (!/\bBT\b/.test(cs)) return '';
  let out = '';
  // Tokens: (string) <hex> [array] or an operator word.
  const re = /\((?:\\[\s\S]|[^\\)])*\)|<[0-9a-fA-F\s]*>|\[|\]|[A-Za-z'"*]+|-?\d*\.?\d+/g;
  let pending: string[] = [];
  let inArray = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cs)) !== null) {
    const t = m[0];
    if (t.startsWith('(')) pending.push(unescapePdfString(t.slice(1, -1)));
    else if (t.startsWith('<')) pending.push(hexString(t.slice(1, -1)));
    else if (t === '[') inArray = true;
    else if (t === ']') inArray = false;
    else if (/^-?\d*\.?\d+$/.test(t)) {
      // A large negative kerning inside TJ is a word space.
      if (inArray && Number(t) < -200) pending.push(' ');
    } else {
      if (t === 'Tj' || t === 'TJ') out += pending.join('');
      else if (t === "'" || t === '"') out += '\n' + pending.join('');
      else if (t === 'T*' || t === 'Td' || t === 'TD' || t === 'ET') out += '\n';
      else if (t === 'Tm') out += '\n';
      pending = [];
    }
  }
  return out;
}

function unescapePdfString(s: string): string {
  const bytes = s.replace(/\\(\d{1,3}|[\s\S])/g, (_m, e: string) => {
    if (/^\d/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '';
      case 't':
        return '\t';
      case 'b':
      case 'f':
        return '';
      case '\n':
      case '\r':
        return '';
      default:
        return e;
    }
  });
  return winAnsi(bytes);
}

function hexString(h: string): string {
  const clean = h.replace(/\s/g, '');
  let s = '';
  for (let i = 0; i < clean.length; i += 2) s += String.fromCharCode(parseInt(clean.slice(i, i + 2).padEnd(2, '0'), 16));
  return winAnsi(s);
}

function winAnsi(latin1: string): string {
  let s = '';
  for (const ch of latin1) {
    const c = ch.charCodeAt(0);
    s += WIN_ANSI_HIGH[c] ?? ch;
  }
  return s;
}

function normaliseLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
