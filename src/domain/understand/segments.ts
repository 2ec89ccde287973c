import type { MailAddress, MailInput } from '../mail.ts';
import { fold } from './text.ts';

/**
 * Splits a message body into what the sender wrote now and what they carried
 * along: ">" quotes, the "On ... wrote:" attribution, Outlook's un-markered
 * "From:/Sent:/To:/Subject:" block above the original, forwarded messages, and
 * the device footer ("Sent from my iPhone"). Only the sender's own text decides
 * what a message is; a human forward is returned separately so its original
 * can be read as the request.
 */
export interface Forwarded {
  from: MailAddress | null;
  replyTo: MailAddress | null;
  subject: string | null;
  /** The forwarded message's own text (its quotes removed again). */
  text: string;
}

export interface Split {
  /** The sender's own new text, signature included, device footers removed. */
  own: string;
  /** own without the signature block. */
  body: string;
  /** The signature block (closing formula excluded), '' when none was found. */
  signature: string;
  /** Everything that was quoted or forwarded. */
  quoted: string;
  /** Set when the boundary is a forward (marker or "Fwd:" subject). */
  forward: Forwarded | null;
}

const DEVICE_FOOTER =
  /^(?:sent from (?:my |the )?\S|sent with |sent via |sent using |get outlook for|d[eë]rguar nga|d[eë]rguar me|derguar nga|marr[eë] nga|von meinem|envoy[ée] de mon|inviato da|enviado desde|shkruar nga)/i;

const FORWARD_MARKER =
  /^(?:[-=_* ]{2,}\s*)?(?:forwarded message|begin forwarded message|mesazh(?:i)? (?:i )?p[eë]rcjell[eë]?|weitergeleitete nachricht|message transf[ée]r[ée]|messaggio inoltrato|mensaje reenviado|forwarded by)\b.*$/i;
const ORIGINAL_MARKER =
  /^[-=_* ]{2,}\s*(?:original message|mesazh(?:i)? (?:origjinal|fillestar)|ursprüngliche nachricht|message d'origine|messaggio originale|mensaje original)\s*[-=_* ]*$/i;
/** Any "----- text -----" line, e.g. "----- Mesazhi që morëm / Message received -----". */
const DASHED_BANNER = /^-{3,}\s*\S.{0,80}?\s*-{3,}$/;
const UNDERSCORE_LINE = /^_{8,}\s*$/;
const ATTRIBUTION_END = /(?:wrote|writes|schrieb|a [ée]crit|escribi[óo]|ha scritto|schreef|shkroi|shkruan|shkruajti|napisa[lł]):\s*$/i;
const ATTRIBUTION_START = /^(?:on|am|le|el|il|op|m[eë]|n[eë]|me|w dniu)\s/i;
const HEADER_FROM = /^\*?\s*(?:from|nga|von|de|od|van|da)\s*:\s*\*?\s*\S/i;
const HEADER_OTHER = /^\*?\s*(?:sent|date|d[eë]rguar|derguar|data|datë|gesendet|envoy[ée]|to|p[eë]r|subject|l[eë]nda|tema|subjekti|objet|betreff|oggetto|cc|dat[eë]|koha)\s*:/i;
/** Forward prefixes: Fwd/FW, TR (fr), WG (de), RV (es), I (it), PËR/Përcjell (sq Outlook). */
const FWD_SUBJECT = /^\s*(?:\[?(?:fwd?|fw|tr|wg|rv|i|p[eë]r|p[eë]rcjell[eë]?|p[eë]rc)\]?\s*:)/i;

/** A "Name <address>" / "Name [mailto:address]" / bare address header value. */
export function parseAddressText(value: string): MailAddress | null {
  const addr = /([^\s<>"[\]():;,]+@[^\s<>"[\]():;,]+\.[a-z]{2,})/i.exec(value);
  if (!addr) return null;
  const address = addr[1]!.replace(/^mailto:/i, '');
  let name = value
    .slice(0, addr.index)
    .replace(/[<[(]\s*(?:mailto:)?\s*$/i, '')
    .replace(/^\*+|\*+$/g, '')
    .trim();
  name = name.replace(/^["']|["']$/g, '').trim();
  if (name.includes('@')) name = '';
  return { name, address };
}

interface Boundary {
  index: number;
  kind: 'forward' | 'original' | 'header-block' | 'banner';
}

function findBoundary(lines: string[]): Boundary | null {
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '') continue;
    if (FORWARD_MARKER.test(t) && (/^[-=_* ]{2,}/.test(t) || /forwarded message:?$|^begin forwarded/i.test(t))) {
      return { index: i, kind: 'forward' };
    }
    if (ORIGINAL_MARKER.test(t)) return { index: i, kind: 'original' };
    if (HEADER_FROM.test(t) && hasHeaderNear(lines, i)) {
      // Take the separator line just above (Outlook's underscores) with it.
      const prev = previousNonEmpty(lines, i);
      const start = prev >= 0 && UNDERSCORE_LINE.test(lines[prev]!.trim()) ? prev : i;
      return { index: start, kind: 'header-block' };
    }
    if (UNDERSCORE_LINE.test(t) && nextIsHeader(lines, i)) return { index: i, kind: 'header-block' };
    if (DASHED_BANNER.test(t) && !/^-{3,}\s*-{3,}$/.test(t)) return { index: i, kind: 'banner' };
  }
  return null;
}

function previousNonEmpty(lines: string[], i: number): number {
  for (let j = i - 1; j >= 0; j--) if (lines[j]!.trim() !== '') return j;
  return -1;
}

function nextIsHeader(lines: string[], i: number): boolean {
  for (let j = i + 1; j < Math.min(lines.length, i + 3); j++) {
    const t = lines[j]!.trim();
    if (t === '') continue;
    return HEADER_FROM.test(t);
  }
  return false;
}

function hasHeaderNear(lines: string[], i: number): boolean {
  let n = 0;
  for (let j = i + 1; j < Math.min(lines.length, i + 7); j++) {
    if (HEADER_OTHER.test(lines[j]!.trim())) n++;
  }
  return n >= 1;
}

/** Parses a header block of a forwarded or quoted message starting at `start`. */
function readHeaderBlock(lines: string[], start: number): { headers: Record<string, string>; next: number } {
  const headers: Record<string, string> = {};
  let i = start;
  // Skip the marker line itself.
  if (!HEADER_FROM.test(lines[i]!.trim()) && !HEADER_OTHER.test(lines[i]!.trim())) i++;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  let last: string | null = null;
  for (; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '') break;
    const m = /^\*?\s*([\p{L} -]{2,20}?)\s*:\s*\*?\s*(.*)$/u.exec(t);
    if (m) {
      last = fold(m[1]!).trim();
      headers[last] = (m[2] ?? '').trim();
    } else if (last !== null) {
      headers[last] += ` ${t}`;
    } else break;
  }
  return { headers, next: i };
}

function pick(headers: Record<string, string>, names: string[]): string | null {
  for (const n of names) if (headers[n] !== undefined) return headers[n]!;
  return null;
}

export function splitText(text: string, subject = ''): Split {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const boundary = findBoundary(lines);
  const head = boundary ? lines.slice(0, boundary.index) : lines;
  const rest = boundary ? lines.slice(boundary.index) : [];

  // Own lines: not ">"-quoted, not attributions, not device footers.
  const own: string[] = [];
  const quoted: string[] = [...rest];
  for (let i = 0; i < head.length; i++) {
    const line = head[i]!;
    const t = line.trim();
    if (/^>/.test(t)) {
      quoted.push(line);
      continue;
    }
    if (ATTRIBUTION_END.test(t) && (ATTRIBUTION_START.test(t) || i + 1 >= head.length || /^>/.test((head[i + 1] ?? '').trim()) || (head[i + 1] ?? '').trim() === '')) {
      // Two-line attributions: "On Tue, 3 Feb 2026 at 10:00, Someone <a@b>\nwrote:"
      if (own.length && ATTRIBUTION_START.test(own[own.length - 1]!.trim()) && !ATTRIBUTION_START.test(t)) own.pop();
      continue;
    }
    if (DEVICE_FOOTER.test(t)) continue;
    own.push(line);
  }
  while (own.length && own[own.length - 1]!.trim() === '') own.pop();
  while (own.length && own[0]!.trim() === '') own.shift();

  let forward: Forwarded | null = null;
  if (boundary && (boundary.kind === 'forward' || (FWD_SUBJECT.test(subject) && boundary.kind !== 'banner'))) {
    const { headers, next } = readHeaderBlock(lines, boundary.index);
    const fromValue = pick(headers, ['from', 'nga', 'von', 'de', 'od', 'van', 'da']);
    const replyValue = pick(headers, ['reply-to', 'pergjigju', 'antwort an']);
    const inner = splitText(lines.slice(next).join('\n'));
    forward = {
      from: fromValue ? parseAddressText(fromValue) : null,
      replyTo: replyValue ? parseAddressText(replyValue) : null,
      subject: pick(headers, ['subject', 'lenda', 'tema', 'subjekti', 'betreff', 'objet', 'oggetto']),
      text: inner.own,
    };
  }

  const ownText = own.join('\n');
  const sigAt = signatureStart(own);
  return {
    own: ownText,
    body: (sigAt < 0 ? own : own.slice(0, sigAt)).join('\n').trim(),
    signature: sigAt < 0 ? '' : own.slice(sigAt).join('\n').trim(),
    quoted: quoted.join('\n'),
    forward,
  };
}

const CLOSING =
  /^(?:(?:with )?(?:best|kind|warm|warmest|many|kindest)?\s*(?:regards|wishes|greetings|thanks)|regards|sincerely|yours(?: sincerely| faithfully| truly)?|thanks?(?: you)?(?: in advance)?|thank you(?: very much)?|cheers|respectfully|cordially|all the best|best|me respekt|me konsiderat[eë](?: t[eë] lart[eë])?|me nderime|faleminderit(?: shum[eë])?|ju faleminderit|p[eë]rsh[eë]ndetje(?: t[eë] p[eë]rzemërta| t[eë] p[eë]rzemerta)?|t[eë] fala|gjith[eë] t[eë] mirat|respekte|me mir[eë]njohje|ju p[eë]rsh[eë]ndes|duke ju fal[eë]nderuar(?: p[eë]r [\p{L} ]{1,30})?|n[eë] pritje t[eë] p[eë]rgjigjes(?: suaj)?|looking forward to (?:your|hearing)[\p{L} ]{0,30})[\s,.!]*$/iu;

/** Index (in own lines) where the signature starts, -1 when there is none. */
function signatureStart(own: string[]): number {
  for (let i = own.length - 1; i >= 0; i--) {
    const t = own[i]!.trim();
    if (t === '--' || t === '-- ' || t === '—' || t === '__') return i + 1;
  }
  // The last closing formula that has body text above it.
  for (let i = own.length - 1; i > 0; i--) {
    const t = own[i]!.trim();
    if (t.length <= 45 && CLOSING.test(t)) {
      const above = own.slice(0, i).some((l) => l.trim() !== '');
      if (above) return i + 1;
    }
  }
  // A trailing block of short lines after a blank line.
  let i = own.length - 1;
  let n = 0;
  while (i >= 0 && own[i]!.trim() !== '' && own[i]!.trim().split(/\s+/).length <= 8 && !/[.?!]$/.test(own[i]!.trim())) {
    i--;
    n++;
  }
  if (n >= 2 && n <= 8 && i > 0 && own[i]!.trim() === '') return i + 1;
  return -1;
}

/** The split of a parsed message's text. */
export function splitMail(mail: MailInput): Split {
  return splitText(mail.text, mail.subject);
}

/** The sender's own new text (quotes, forwarded originals and device footers removed). */
export function newText(mail: MailInput): string {
  return splitMail(mail).own;
}

/**
 * The first non-empty lines the sender wrote above any quote or signature: where
 * a coordinator's "PO"/"APPROVE" reply is read. At most `max` lines, trimmed.
 */
export function replyLines(mail: MailInput, max = 5): string[] {
  const { own } = splitMail(mail);
  const out: string[] = [];
  for (const line of own.split('\n')) {
    const t = line.trim();
    if (t === '--' || t === '-- ') break;
    if (t === '') continue;
    out.push(t);
    if (out.length >= max) break;
  }
  return out;
}
