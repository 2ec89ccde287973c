import { simpleParser } from 'mailparser';
import type { AddressObject, Attachment, EmailAddress, ParsedMail, SimpleParserOptions } from 'mailparser';
import type { MailAddress, MailAttachment, MailInput } from '../../domain/mail.ts';
import { attachmentText } from './attachment-text.ts';
import { ReadBudget, type ReadLimits, type ReadNote } from './budget.ts';
import { decodeHeaderWords } from './encoded-words.ts';
import { htmlToPlainText } from './html.ts';
import { MimeError } from './errors.ts';

/** A message attached to a message attached to... is read this deep, no deeper. */
const MAX_EMBED_DEPTH = 3;

const PARSER_OPTIONS: SimpleParserOptions = {
  // Every message/rfc822 part stays an attachment: a bounce's or a forward's
  // original must not be merged into the sender's own text.
  ignoreEmbedded: true,
  // The DSN's machine part is listed as an attachment, not glued to the human text.
  keepDeliveryStatus: true,
  // HTML is converted by html.ts (visible text only, no link targets).
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  keepCidLinks: true,
  checksumAlgo: false,
};

/** Header fields of which at least one is present in anything that claims to be a message. */
const KNOWN_FIELDS = new Set([
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'received',
  'return-path',
  'mime-version',
  'content-type',
  'delivered-to',
  'sender',
  'reply-to',
]);

/** A message as read, and the budgets (budget.ts) its reading ran out of. */
export interface ReadResult {
  mail: MailInput;
  notes: ReadNote[];
}

/**
 * Raw RFC 5322 bytes -> MailInput. A string is taken as UTF-8 text (as a test
 * builder writes it); bytes from a mailbox should be passed as a Buffer so 8-bit
 * bodies in other charsets are decoded by their declared charset.
 *
 * Throws only MimeError: MIME_UNPARSEABLE (see errors.ts for what counts as
 * unreadable) or MIME_HOSTILE (see budget.ts). This runs on the caller's
 * thread: the desk reads mail through parseRawIsolated (isolated.ts).
 */
export async function parseRaw(raw: Buffer | string, limits?: Partial<ReadLimits>): Promise<MailInput> {
  return (await readRaw(raw, limits)).mail;
}

/** parseRaw, with the notes of what was not read because a budget ran out. */
export async function readRaw(raw: Buffer | string, limits?: Partial<ReadLimits>): Promise<ReadResult> {
  const budget = new ReadBudget(limits);
  const mail = await parseAt(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, 0, budget);
  return { mail, notes: budget.notes };
}

async function parseAt(raw: Buffer, depth: number, budget: ReadBudget): Promise<MailInput> {
  const input = stripMboxLine(raw);
  assertLooksLikeMail(input);
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(input, PARSER_OPTIONS);
  } catch (err) {
    throw new MimeError(`mailparser rejected the message: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  let mail: MailInput;
  try {
    mail = await toMailInput(parsed, depth, budget);
  } catch (err) {
    if (err instanceof MimeError) throw err;
    throw new MimeError(`message could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (mail.from.length === 0 && mail.subject.trim() === '' && mail.text === '' && mail.html === null && mail.attachments.length === 0) {
    throw new MimeError('nothing to read: no From, no Subject, no body');
  }
  return mail;
}

function stripMboxLine(raw: Buffer): Buffer {
  // An mbox export starts with "From sender date"; it is no header field.
  if (raw.length > 5 && raw.toString('latin1', 0, 5) === 'From ') {
    const nl = raw.indexOf(0x0a);
    return nl < 0 ? Buffer.alloc(0) : raw.subarray(nl + 1);
  }
  return raw;
}

function assertLooksLikeMail(raw: Buffer): void {
  const head = raw.toString('latin1', 0, Math.min(raw.length, 4096));
  if (head.trim() === '') throw new MimeError('empty input: no header and no body');
  let control = 0;
  // Only the header block must be text: a body may carry a NUL (a returned message quoted by an MTA).
  const headerEnd = head.search(/\r?\n\r?\n/);
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0 && (headerEnd < 0 || i < headerEnd)) throw new MimeError('binary input: NUL bytes where headers should be');
    // TAB, LF, CR and ESC (ISO-2022-JP) are legitimate.
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 27) control++;
  }
  if (control / head.length > 0.1) throw new MimeError('binary input: mostly control characters');

  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  if (!/^[!-9;-~]+:/.test(firstLine)) throw new MimeError('no header block: the first line is not a header field');
  const end = head.search(/\r?\n\r?\n/);
  const block = end < 0 ? head : head.slice(0, end);
  const names = block
    .split(/\r?\n/)
    .map((l) => /^([!-9;-~]+):/.exec(l)?.[1]?.toLowerCase())
    .filter((n): n is string => n !== undefined);
  if (!names.some((n) => KNOWN_FIELDS.has(n))) {
    throw new MimeError('no header block: none of From, To, Subject, Date, Message-ID, Received... is present');
  }
}

async function toMailInput(parsed: ParsedMail, depth: number, budget: ReadBudget): Promise<MailInput> {
  budget.countParts(parsed.attachments.length);
  const headers: Record<string, string[]> = {};
  for (const { key, line } of parsed.headerLines) {
    const colon = line.indexOf(':');
    const value = decodeHeaderWords(
      line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
    (headers[key.toLowerCase()] ??= []).push(value);
  }

  const html = typeof parsed.html === 'string' && parsed.html.trim() !== '' ? parsed.html : null;
  let text = parsed.text ?? '';
  // HTML-only mail (also multipart/related, which mailparser leaves without text).
  if (text.trim() === '' && html !== null) text = htmlToPlainText(html, budget);
  // The sender's own text is paid for first, then the attachments in order.
  text = budget.takeText(text);

  const attachments: MailAttachment[] = [];
  for (const a of parsed.attachments) {
    // Signature logos and other images embedded in the HTML are not attachments a sender meant.
    if (a.related === true && a.contentType.startsWith('image/')) continue;
    attachments.push(await toAttachment(a, depth, budget));
  }

  return {
    messageId: parsed.messageId ?? null,
    inReplyTo: parsed.inReplyTo ?? null,
    references: parsed.references === undefined ? [] : Array.isArray(parsed.references) ? parsed.references : [parsed.references],
    date: parsed.date instanceof Date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    subject: parsed.subject ?? '',
    from: addresses(parsed.from),
    replyTo: addresses(parsed.replyTo),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    headers,
    contentType: contentTypeOf(headers['content-type']?.[0]),
    text: text.trim() === '' ? '' : text.replace(/\r\n/g, '\n'),
    html,
    attachments,
  };
}

function contentTypeOf(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return 'text/plain';
  return value
    .toLowerCase()
    .split(';')
    .map((p) => p.trim().replace(/\s*=\s*/, '=').replace(/="([^"]*)"$/, '=$1'))
    .filter((p) => p !== '')
    .join('; ');
}

function addresses(header: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (header === undefined) return [];
  const out: MailAddress[] = [];
  const visit = (a: EmailAddress): void => {
    if (a.group) a.group.forEach(visit);
    else if (a.address) out.push({ name: a.name ?? '', address: a.address });
  };
  for (const h of Array.isArray(header) ? header : [header]) h.value.forEach(visit);
  return out;
}

async function toAttachment(a: Attachment, depth: number, budget: ReadBudget): Promise<MailAttachment> {
  const contentType = a.contentType.toLowerCase();
  const filename = a.filename ?? null;
  const isMessage = contentType === 'message/rfc822' || contentType === 'message/global' || contentType === 'text/rfc822-headers' || contentType === 'message/rfc822-headers';
  const size = a.size ?? a.content.length;
  if (!budget.readPart() || budget.textLeft === 0) {
    if (budget.textLeft === 0) budget.note('text', `text cut at ${budget.limits.maxTextBytes} bytes`);
    return { filename, contentType, size, text: null, isMessage };
  }
  let text: string | null;
  if (contentType === 'message/rfc822' || contentType === 'message/global') {
    // The embedded message's own parts pay for their text as they are read.
    text = depth < MAX_EMBED_DEPTH ? await embeddedText(a.content, depth + 1, budget) : null;
    return { filename, contentType, size, text, isMessage };
  }
  if (isMessage || contentType === 'message/delivery-status' || contentType === 'message/global-delivery-status') {
    text = a.content.toString('utf8');
  } else if (contentType === 'text/html') {
    text = htmlToPlainText(a.content.toString('utf8'), budget);
  } else {
    text = attachmentText(filename, contentType, a.content, budget);
  }
  return { filename, contentType, size, text: text === null ? null : budget.takeText(text), isMessage };
}

/**
 * The attached message as a forward shows it: its From/To/Date/Subject lines,
 * then its own text. The domain reads the original sender from the From line.
 */
async function embeddedText(content: Buffer, depth: number, budget: ReadBudget): Promise<string | null> {
  let inner: MailInput;
  try {
    inner = await parseAt(content, depth, budget);
  } catch (err) {
    if (err instanceof MimeError && err.code === 'MIME_HOSTILE') throw err;
    return budget.takeText(content.toString('utf8'));
  }
  const fmt = (list: MailAddress[]): string => list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
  const lines: string[] = [];
  if (inner.from.length) lines.push(`From: ${fmt(inner.from)}`);
  if (inner.replyTo.length) lines.push(`Reply-To: ${fmt(inner.replyTo)}`);
  if (inner.date) lines.push(`Date: ${inner.date.toUTCString()}`);
  lines.push(`Subject: ${inner.subject}`);
  if (inner.to.length) lines.push(`To: ${fmt(inner.to)}`);
  const nested = inner.attachments
    .filter((x) => x.text)
    .map((x) => `\n[${x.filename ?? x.contentType}]\n${x.text ?? ''}`)
    .join('\n');
  return `${lines.join('\n')}\n\n${inner.text}${nested}`;
}
