/**
 * RFC 2047 encoded-words in raw header values (mailparser decodes the fields it
 * parses, but not every header line we keep). Adjacent words are joined before
 * decoding so a multi-byte character split across two words survives (RFC 2047
 * section 6.2: whitespace between encoded-words is ignored). Charsets are
 * decoded with WHATWG TextDecoder (utf-8, iso-8859-2, windows-1250 ...); an
 * unknown charset falls back to latin1 rather than failing.
 */
const WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

export function decodeHeaderWords(value: string): string {
  if (!value.includes('=?')) return value;
  // Drop the whitespace between two adjacent encoded words.
  const joined = value.replace(/(\?=)[ \t\r\n]+(?==\?)/g, '$1');
  let out = '';
  let last = 0;
  let pendingCharset: string | null = null;
  let pending: number[] = [];
  const flush = (): void => {
    if (pendingCharset !== null) out += decodeBytes(Uint8Array.from(pending), pendingCharset);
    pendingCharset = null;
    pending = [];
  };
  for (const m of joined.matchAll(WORD)) {
    const index = m.index;
    if (index > last) {
      flush();
      out += joined.slice(last, index);
    }
    const charset = (m[1] ?? '').split('*')[0]!.toLowerCase();
    const bytes = (m[2] ?? '').toLowerCase() === 'b' ? base64Bytes(m[3] ?? '') : qBytes(m[3] ?? '');
    if (pendingCharset !== null && pendingCharset !== charset) flush();
    pendingCharset = charset;
    pending.push(...bytes);
    last = index + m[0].length;
  }
  flush();
  return out + joined.slice(last);
}

function base64Bytes(s: string): number[] {
  return [...Buffer.from(s, 'base64')];
}

function qBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return out;
}

function decodeBytes(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}
