import { z } from 'zod';
import { escapeHtml, html, TrustedHtml } from './trusted-html.ts';

/**
 * The joint statement as living data: a signatory registry and numbered
 * versions, each a full snapshot of the list with the change that made it.
 * Pure: the text of the statement and the founding list are read by an
 * adapter (templates/statement/) and passed in.
 */

/** Longest organisation name the desk keeps (the registry refuses longer ones). */
export const NAME_MAX = 200;
/** Longest value of the other one-line organisation fields. */
export const FIELD_MAX = { name: NAME_MAX, acronym: 40, city: 100, website: 300 } as const;

// C0 and C1 controls (U+0085 NEL among them), DEL, and the line and paragraph separators: each becomes a space.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), marks (U+200E/F, U+061C) and
// invisible characters (zero-width space, joiners, word joiner, BOM, soft hyphen): removed.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/**
 * One line of text from a mail as the desk keeps it (an organisation's name, city …): NFC, controls and
 * bidirectional or invisible characters removed, whitespace collapsed, at most `max` characters (code points).
 * What a coordinator reads in a mail, the statement and the CLI is then exactly what is stored.
 */
export function cleanLine(value: string, max = Infinity): string {
  const flat = value.normalize('NFC').replace(INVISIBLE, '').replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > max ? chars.slice(0, max).join('').trim() : flat;
}

/** Text of several lines from a mail (an excerpt): as cleanLine, but line breaks are kept. */
export function cleanBlock(value: string, max = Infinity): string {
  const lines = value
    .normalize('NFC')
    .replace(/\r\n?|\u2028|\u2029|\u0085/g, '\n')
    .split('\n')
    .map((l) => l.replace(INVISIBLE, '').replace(CONTROLS, ' ').replace(/[ \t]+$/g, ''));
  const text = lines.join('\n').trim();
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

const clean = (max: number) =>
  z
    .string()
    // Control, bidirectional and invisible characters never belong in a name; they would also reach mail headers.
    .transform((s) => cleanLine(s))
    .pipe(z.string().min(1).max(max));
const optionalClean = (max: number) =>
  z
    .string()
    .nullish()
    .transform((s) => (s === null || s === undefined || s.trim() === '' ? null : s))
    .pipe(clean(max).nullable());

export const SignatorySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  name: clean(300),
  acronym: optionalClean(40),
  city: optionalClean(100),
  website: optionalClean(300),
  contactEmail: z.email().nullable(),
  /** ISO time it joined; null for the founding signatories (date not recorded). */
  joinedAt: z.string().nullable(),
  /** 'founding' or the id of the request that added it. */
  source: z.string().min(1),
  /** The line exactly as written in the original statement (founding signatories only). */
  line: z.string().nullable().default(null),
});
export type Signatory = z.output<typeof SignatorySchema>;
export type SignatoryInput = z.input<typeof SignatorySchema>;

export const StatementChangeSchema = z.object({
  type: z.enum(['founded', 'joined', 'left']),
  /** The organisation that joined or left; null for the founding version. */
  signatory: SignatorySchema.nullable(),
  /** Coordinators whose decision made the change (empty for the founding version). */
  approvedBy: z.array(z.string()),
  /** Request id (or other idempotency key) that caused the change. */
  source: z.string().nullable(),
});
export type StatementChange = z.output<typeof StatementChangeSchema>;

export const StatementVersionSchema = z.object({
  number: z.number().int().min(1),
  /** ISO time the version was made. */
  date: z.string(),
  change: StatementChangeSchema,
  signatories: z.array(SignatorySchema),
});
export type StatementVersion = z.output<typeof StatementVersionSchema>;

export class StatementError extends Error {
  constructor(
    readonly code: 'ALREADY_SIGNATORY' | 'NOT_A_SIGNATORY' | 'BAD_STATEMENT_SOURCE',
    message: string,
  ) {
    super(message);
    this.name = 'StatementError';
  }
}

/** Lowercase, without diacritics or punctuation: "Qendra e Gruas “Hapat e Lehtë”" ~ "qendra e gruas hapat e lehte". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** "Institute for Democracy and Mediation (IDM) – Tirana"; founding lines are kept as written. */
export function signatoryLine(s: Signatory): string {
  if (s.line) return s.line;
  return `${s.name}${s.acronym ? ` (${s.acronym})` : ''}${s.city ? ` – ${s.city}` : ''}`;
}

// ---------------------------------------------------------------- versions

export function foundingVersion(founding: Signatory[], at: Date): StatementVersion {
  return StatementVersionSchema.parse({
    number: 1,
    date: at.toISOString(),
    change: { type: 'founded', signatory: null, approvedBy: [], source: 'founding' },
    signatories: founding,
  });
}

export interface JoinChange {
  /** Defaults to the request id (`source`). */
  signatory: Omit<SignatoryInput, 'id' | 'joinedAt' | 'source' | 'line'> & { id?: string };
  approvedBy: string[];
  /** The request that caused it; also the default signatory id. */
  source: string;
  at: Date;
}

export interface LeaveChange {
  signatoryId: string;
  approvedBy: string[];
  source: string;
  at: Date;
}

export function findSignatory(version: StatementVersion, nameOrId: string): Signatory | undefined {
  const n = normaliseName(nameOrId);
  return version.signatories.find(
    (s) => s.id === nameOrId || normaliseName(s.name) === n || (s.acronym !== null && normaliseName(s.acronym) === n),
  );
}

/** The next version with the organisation added at the end of the list. */
export function applyJoin(prev: StatementVersion, c: JoinChange): StatementVersion {
  const signatory = SignatorySchema.parse({
    ...c.signatory,
    id: c.signatory.id ?? c.source,
    joinedAt: c.at.toISOString(),
    source: c.source,
    line: null,
  });
  const name = normaliseName(signatory.name);
  const dup = prev.signatories.find((s) => s.id === signatory.id || normaliseName(s.name) === name);
  if (dup) throw new StatementError('ALREADY_SIGNATORY', `${dup.name} is already signatory ${prev.signatories.indexOf(dup) + 1}`);
  return StatementVersionSchema.parse({
    number: prev.number + 1,
    date: c.at.toISOString(),
    change: { type: 'joined', signatory, approvedBy: c.approvedBy, source: c.source },
    signatories: [...prev.signatories, signatory],
  });
}

/** The next version without the organisation; the others keep their order (and are renumbered). */
export function applyLeave(prev: StatementVersion, c: LeaveChange): StatementVersion {
  const leaving = prev.signatories.find((s) => s.id === c.signatoryId);
  if (!leaving) throw new StatementError('NOT_A_SIGNATORY', `no signatory with id ${c.signatoryId}`);
  return StatementVersionSchema.parse({
    number: prev.number + 1,
    date: c.at.toISOString(),
    change: { type: 'left', signatory: leaving, approvedBy: c.approvedBy, source: c.source },
    signatories: prev.signatories.filter((s) => s !== leaving),
  });
}

// ---------------------------------------------------------------- the document

/** The statement's own text, split into the parts a version is rendered from. */
export interface StatementDocument {
  /** Title lines ("CSOs Coalition on …", "JOINT STATEMENT"). */
  headings: string[];
  /** Paragraphs, Markdown-flavoured as in the original (`**objectives**`). */
  paragraphs: string[];
  /** "Signed:" */
  signedLabel: string;
  /** The numbered lines of the original list, without their numbers. */
  foundingLines: string[];
  /** Paragraphs after the list; `{{joinAddress}}` stands where the original named its address. */
  footer: string[];
}

const JOIN_ADDRESS = '{{joinAddress}}';

/** Reads the statement as the coalition wrote it (templates/statement/joint-statement.txt). */
export function parseStatementDocument(text: string): StatementDocument {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter(Boolean);
  const signedAt = blocks.findIndex((b) => /^signed:?$/i.test(b) || /^nënshkruar:?$/i.test(b));
  const list = blocks[signedAt + 1];
  if (signedAt < 0 || list === undefined) {
    throw new StatementError('BAD_STATEMENT_SOURCE', 'the statement has no "Signed:" line followed by a numbered list');
  }
  const lines = list.split('\n').map((l) => l.trim());
  const foundingLines = lines.map((l, i) => {
    const m = /^(\d+)\.\s+(.+)$/.exec(l);
    if (!m || Number(m[1]) !== i + 1) throw new StatementError('BAD_STATEMENT_SOURCE', `signatory line ${i + 1} is not numbered: ${l}`);
    return m[2] as string;
  });
  const before = blocks.slice(0, signedAt);
  let h = 0;
  while (h < before.length && !/[.:;]$/.test(before[h] as string) && !(before[h] as string).includes('\n')) h++;
  return {
    headings: before.slice(0, h),
    paragraphs: before.slice(h),
    signedLabel: blocks[signedAt] as string,
    foundingLines,
    // The original closes with "*** To join … .**": three asterisks and a space open nothing in Markdown,
    // so the line showed its asterisks. It is kept as bold, the way it was meant.
    footer: blocks
      .slice(signedAt + 2)
      .map((b) => b.replace(/^\*{3}\s+([\s\S]+?)\s*\*{2}$/, '**$1**'))
      .map((b) => b.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?=[^\w-]|$)/, JOIN_ADDRESS)),
  };
}

export type StatementFormat = 'text' | 'md' | 'html';

export interface RenderOptions {
  /** Address named in the closing invitation to join (the coalition mailbox). */
  joinAddress: string;
}

const BOLD = /\*\*(.+?)\*\*/g;

function stripBold(s: string): string {
  return s.replace(BOLD, '$1');
}

/** CommonMark treats any escaped ASCII punctuation as text, so a name can never become markup or raw HTML. */
function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]{}<>#|~!&]/g, (c) => `\\${c}`);
}

function withAddress(s: string, address: string): string {
  return s.split(JOIN_ADDRESS).join(address);
}

export function renderStatement(doc: StatementDocument, version: StatementVersion, format: StatementFormat, o: RenderOptions): string {
  if (format === 'html') return statementHtmlDocument(doc, version, o);
  const md = format === 'md';
  const text = (s: string) => (md ? s : stripBold(s));
  const lines = version.signatories.map((s, i) => `${i + 1}. ${md && s.line === null ? escapeMarkdown(signatoryLine(s)) : signatoryLine(s)}`);
  const blocks = [
    ...doc.headings,
    ...doc.paragraphs.map(text),
    doc.signedLabel,
    lines.join('\n'),
    ...doc.footer.map((f) => withAddress(text(f), o.joinAddress)),
  ];
  return `${blocks.join('\n\n')}\n`;
}

/** The statement as an HTML fragment for a mail body: every piece of data escaped, the original's bold kept. */
export function renderStatementHtml(doc: StatementDocument, version: StatementVersion, o: RenderOptions): TrustedHtml {
  // The document text is the coalition's own; it is escaped first and only then given <strong> tags.
  const prose = (s: string) => TrustedHtml.unsafeFromEscaped(escapeHtml(s).replace(BOLD, '<strong>$1</strong>'));
  const link = html`<a href="mailto:${o.joinAddress}">${o.joinAddress}</a>`.toHTML();
  // Emphasis first, over the whole paragraph: the original's "**…**" spans the
  // address, so splitting at the address first left its asterisks in the HTML.
  // The placeholder has no character escapeHtml changes, so it survives escaping.
  const footer = (f: string) => html`<p>${TrustedHtml.unsafeFromEscaped(prose(f).toHTML().split(JOIN_ADDRESS).join(link))}</p>`;
  const [title, ...subtitles] = doc.headings;
  return html`<div class="joint-statement">
${title === undefined ? '' : html`<p><strong>${title}</strong></p>`}
${subtitles.map((s) => html`<h1>${s}</h1>\n`)}${doc.paragraphs.map((p) => html`<p>${prose(p)}</p>\n`)}<p>${doc.signedLabel}</p>
<ol>
${version.signatories.map((s) => html`<li>${signatoryLine(s)}</li>\n`)}</ol>
${doc.footer.map(footer)}
</div>`;
}

function statementHtmlDocument(doc: StatementDocument, version: StatementVersion, o: RenderOptions): string {
  const title = doc.headings.at(-1) ?? 'Joint Statement';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title} – v${version.number}</title>
</head>
<body>
${renderStatementHtml(doc, version, o)}
</body>
</html>
`.toHTML();
}
