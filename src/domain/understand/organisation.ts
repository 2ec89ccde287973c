import { townForm } from './places.ts';
import { fold, isAllCaps, nameKey, titleCase } from './text.ts';

/**
 * Finding an organisation's name in free text. A name is a run of capitalised
 * words with the small linking words of Albanian and English between them
 * ("Instituti për Zhvillimin e Habitatit", "Albanian Center for Economic
 * Research", 'Fondacioni "Korça Qytetare"'), optionally followed by its
 * acronym in parentheses.
 */

/** Words that make a phrase an organisation, folded. */
export const ORG_WORDS =
  /\b(?:shoqat\w*|qend(?:ra|res|er|ren)\b|fondacion\w*|institut\w*|forum\w*|rrjet\w*|levizj\w*|agjenci\w*|organizat\w*|komitet\w*|keshill\w*|union\w*|klub\w*|klinik\w*|laborator\w*|aleanc\w*|grup\w*|nism\w*|observator\w*|platform\w*|akademi\w*|shoqeri\w*|federat\w*|dhoma|lidhj\w*|bashkim\w*|kooperativ\w*|association|associazione|center|centre|foundation|institute|network|committee|council|club|alliance|group|initiative|observatory|academy|society|federation|movement|trust|partners|agency|watch|youth|women|lab|hub|media|chamber|league|clinic|consortium|ngo|organi[sz]ation|fund|mission|ombudsman|cso|oshc)\b/;

/** Phrases that name the coalition, its statement or OGP, never a requester. */
const COALITION = /\b(?:coalition|koalicion\w*|ogp|open government|qeverisje te hapur|partneritet\w*|deklarat\w*|joint statement|statement)\b/;
/**
 * The coalition, its statement or OGP as the name itself. An organisation of its own may carry the
 * words in its name ("Organizata për Qeverisje të Hapur Vendore", "Open Government Watch").
 */
const IS_COALITION = /\b(?:coalition|koalicion\w*|ogp|deklarat\w*|joint statement|statement)\b|^(?:the )?(?:open government|qeverisje te hapur|partneritet\w*)/;

export const CONNECTORS = new Set(['për', 'per', 'e', 'i', 'të', 'te', 'së', 'se', 'dhe', 'and', 'for', 'of', 'on', 'the', 'de', 'në', 'ne', 'mbi', '&', 'in', 'mes', 'pa', 'a']);
const LEADING_JUNK = new Set(['the', 'of', 'për', 'per', 'e', 'i', 'të', 'te', 'së', 'se', 'në', 'ne', 'and', 'dhe', 'on', 'in', 'for', 'a', 'mes', 'pa', 'de', '&', 'mbi']);
/** Capitalised words that start sentences, never organisations. */
const NOT_A_NAME = new Set(
  (
    'we i our my it this that these they he she you please dear hello hi thank thanks kind best regards ' +
    'ne unë une ju ai ajo kjo ky këto keto organizata shoqata jonë jone tonë tone përshëndetje pershendetje faleminderit ' +
    'sincerely following as with after before since also moreover however dhe por gjithashtu pas para si ' +
    'mr ms mrs dr prof z znj zj the email e-mail tel phone mobile web www'
  ).split(/\s+/),
);

export const ACRONYM = /^[\p{Lu}\d][\p{L}\d&.!-]{1,15}$/u;

export function isAcronym(s: string): boolean {
  const t = s.trim();
  if (!ACRONYM.test(t)) return false;
  const upper = t.replace(/[^\p{Lu}]/gu, '').length;
  return upper >= 2 && upper >= t.replace(/[^\p{L}]/gu, '').length / 2 && !/^\d+$/.test(t);
}

/** Opening and closing quotation marks of every style people use around names: " “ ” „ « » ‘ ’ ‚ ‹ ›. */
const OPEN_QUOTE = /^["“„«‘‚‹']/u;
const CLOSE_QUOTE = /["”“»’‘›']$/u;
const QUOTE_CHARS = /["“”„«»‘’‚‹›]/gu;

function isCapToken(tok: string): boolean {
  return /^["“„«‘‚‹'(]?[\p{Lu}\d][\p{L}\d'’&.!-]*["”“»’›']?$/u.test(tok);
}

function isConnector(tok: string): boolean {
  return CONNECTORS.has(tok.toLowerCase());
}

function isNameToken(tok: string): boolean {
  return isCapToken(tok) || isConnector(tok) || /^[\p{Ll}\p{L}'’-]+["”“»’›]$/u.test(tok) || /^["“„«‘‚‹][\p{L}]/u.test(tok);
}

/** Quotation marks opened and not yet closed in the tokens so far (a name in quotes runs to its closing mark). */
function openQuotes(tokens: string[]): number {
  let open = 0;
  for (const t of tokens) {
    if (OPEN_QUOTE.test(t) && !/^'/.test(t)) open++;
    if (CLOSE_QUOTE.test(t) && !/'$/.test(t) && open > 0) open--;
  }
  return open;
}

/**
 * A body or office of an organisation named before it ("the Board of X", "Bordi i X", "Drejtori i X",
 * "Director of X", "Kryetari i X"): the organisation is X.
 */
const ROLE_HEAD =
  /^(?:board|bordi|bordit|drejtues\w*|ekzekutiv\w*|keshill\w*|komitet\w*|director|directors|drejtor\w*|executive|chair\w*|president\w*|presidenc\w*|kryetar\w*|head|members?|anetar\w*|staff|stafi|team|ekipi|management|menaxhim\w*|secretary|sekretar\w*|assembly|asamble\w*|general|coordinator|koordinator\w*|representatives?|perfaqesues\w*|administrat\w*|leadership|udheheq\w*)$/;
const ROLE_LINK = /^(?:of|i|e|te|të|se|së)$/i;

function withoutRoleHead(t: string[]): string[] {
  let i = 0;
  while (i < t.length && ROLE_HEAD.test(fold(t[i]!.replace(OPEN_QUOTE, '')))) i++;
  if (i > 0 && i + 1 < t.length && ROLE_LINK.test(t[i]!) && /^["“„«]?\p{Lu}/u.test(t[i + 1]!)) return t.slice(i + 1);
  return t;
}

function cleanName(tokens: string[]): string | null {
  let t = [...tokens];
  while (t.length && (LEADING_JUNK.has(t[0]!.toLowerCase()) || /^\p{Ll}/u.test(t[0]!.replace(OPEN_QUOTE, '')))) t.shift();
  t = withoutRoleHead(t);
  // Trailing small words go, unless they close a quoted part of the name ('"... i grave"').
  while (t.length && (isConnector(t[t.length - 1]!) || /^\p{Ll}/u.test(t[t.length - 1]!)) && !(CLOSE_QUOTE.test(t[t.length - 1]!) && openQuotes(t.slice(0, -1)) > 0)) t.pop();
  if (!t.length) return null;
  let name = t.join(' ').replace(/[.,;:]+$/, '');
  // Balance quotes: a dangling opening or closing quote is dropped.
  const quotes = (name.match(QUOTE_CHARS) ?? []).length;
  if (quotes % 2 === 1) name = name.replace(/^["“„«‘‚‹]|["”“»’›]$/gu, '');
  return name.trim() || null;
}

/** Walking backwards, a closing mark opens a quoted part and an opening mark closes it. */
function reverseQuote(tok: string): string {
  const closes = CLOSE_QUOTE.test(tok) && !/'$/.test(tok);
  const opens = OPEN_QUOTE.test(tok) && !/^'/.test(tok);
  if (closes && !opens) return '"x';
  if (opens && !closes) return 'x"';
  return 'x';
}

/** The name ending right before `end` in `text`, walking back over name tokens. */
export function nameBefore(text: string, end: number): string | null {
  let window = text.slice(Math.max(0, end - 200), end);
  // A tab or a wide gap is a table cell's edge (a signature laid out in columns): the name is in one cell.
  const cells = [...window.matchAll(/\t+| {3,}/g)];
  const cell = cells[cells.length - 1];
  if (cell) window = window.slice(cell.index + cell[0].length);
  const tokens = window.split(/[ \t]+/);
  if (tokens.length && tokens[tokens.length - 1] === '') tokens.pop();
  const out: string[] = [];
  for (let i = tokens.length - 1; i >= 0 && out.length < 12; i--) {
    const raw = tokens[i]!;
    if (raw.includes('\n')) {
      // A line break ends the name unless the line above is a hard-wrapped long one.
      const after = raw.slice(raw.lastIndexOf('\n') + 1);
      if (after && isNameToken(after)) out.unshift(after);
      const before = raw.slice(0, raw.indexOf('\n'));
      const lineStart = window.lastIndexOf('\n', window.lastIndexOf(raw) - 1) + 1;
      const lineAbove = window.slice(lineStart, window.lastIndexOf(raw) + before.length);
      if (!(before && lineAbove.length >= 60 && isNameToken(before) && after && isNameToken(after) && !raw.includes('\n\n'))) break;
      out.unshift(before);
      continue;
    }
    // Walking back inside a quoted part of a name ('"Zëri i lirë i grave"'): every word belongs to it.
    if (openQuotes([...out].reverse().map(reverseQuote)) > 0 && !/[,;:|]$/.test(raw)) {
      out.unshift(raw);
      continue;
    }
    if (/[,;:|–—]$/.test(raw) || raw === '-' || raw === '–' || raw === '—' || raw === '|') break;
    if (/[.!?]$/.test(raw) && out.length > 0 && !isAcronym(raw.replace(/[.!?]+$/, ''))) break;
    if (!isNameToken(raw)) break;
    out.unshift(raw);
  }
  return cleanName(out);
}

/** The name starting at `start` in `text`, walking forward; returns it and where it ends. */
export function nameAfter(text: string, start: number): { name: string; end: number } | null {
  const re = /[^\s]+/g;
  re.lastIndex = start;
  const out: string[] = [];
  let end = start;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && out.length < 12) {
    const between = text.slice(end, m.index);
    if (out.length && /\t| {3,}/.test(between)) break;
    if (out.length && between.includes('\n')) {
      // Cross one line break only where a long line was hard-wrapped.
      const lineStart = text.lastIndexOf('\n', end - 1) + 1;
      if ((between.match(/\n/g) ?? []).length > 1 || end - lineStart < 60) break;
    }
    const raw = m[0];
    const bare = raw.replace(/[,;:.]+$/, '');
    if (bare.startsWith('(')) break;
    if (!isNameToken(bare) && !(openQuotes(out) > 0 && /^[\p{L}\d]/u.test(bare))) break;
    out.push(bare);
    end = m.index + bare.length;
    if (bare !== raw) break;
  }
  const name = cleanName(out);
  return name ? { name, end } : null;
}

export function mentionsCoalition(name: string): boolean {
  return COALITION.test(fold(name));
}

export function hasOrgWord(s: string): boolean {
  return ORG_WORDS.test(fold(s));
}

export function plausibleName(name: string, exclude: Set<string>): boolean {
  const key = nameKey(name);
  if (key.length < 2 || key.length > 120) return false;
  if (IS_COALITION.test(fold(name))) return false;
  if (exclude.has(key)) return false;
  const first = key.split(' ')[0] ?? '';
  if (NOT_A_NAME.has(first) && key.split(' ').length === 1) return false;
  if (NOT_A_NAME.has(key)) return false;
  if (/@|https?:|www\./i.test(name)) return false;
  if (/^\d/.test(name)) return false;
  // A generic word alone ("NGO", "Organizata", "Shoqata") names no organisation.
  if (/^(?:(?:our|my|the|this|an?|your|their|ngo|ojq|oshc|cso|npo|ong) )?(?:ngo|ojq|oshc|cso|npo|ong|organizat\w*|organi[sz]ation|shoqat\w*|association|qend\w*|cent(?:er|re)|fondacion\w*|foundation|institut\w*|rrjet\w*|network|forum\w*|grup\w*|group|movement|levizj\w*|initiative|nism\w*)$/.test(key)) return false;
  // A country is where the organisation is, not its name.
  if (/^(?:shqip[eë]ri[ae]?|albania|kosov[eëo]s?|kosova|maqedoni\w*|north macedonia|montenegro|mali i zi|serbi\w*|greqi\w*|greece|itali\w*|italy|evrop\w*|europe|ballkan\w*|balkans?)$/i.test(key.replace(/[.!]+$/, ''))) return false;
  // A town alone ("Berati", "Tirana") is where the organisation is, not its name.
  if (townForm(name) !== null) return false;
  return true;
}

// ---- Albanian declension -------------------------------------------------------

/**
 * Genitive/dative/ablative of an organisation's head noun back to the
 * nominative: "Qendrës për ..." -> "Qendra për ...", "Shoqatës së Grave" ->
 * "Shoqata e Grave", "Institutit të Studimeve" -> "Instituti i Studimeve".
 * Only the head and the linking article right after it change; the rest of an
 * Albanian name is already in the form it keeps.
 */
const HEAD_RULES: [RegExp, string, 'f' | 'm'][] = [
  [/^(Qend)rës$/i, '$1ra', 'f'],
  [/^(\p{L}+i)së$/iu, '$1a', 'f'],
  [/^(\p{L}+i)se$/iu, '$1a', 'f'],
  [/^(Qend)res$/i, '$1ra', 'f'],
  [/^(\p{L}+)ës$/iu, '$1a', 'f'],
  [/^(\p{L}+[^e])es$/iu, '$1a', 'f'],
  [/^(\p{L}+)it$/iu, '$1i', 'm'],
  [/^(Lëvizj|Levizj)es$/i, '$1a', 'f'],
  // Accusative: "Institutin" -> "Instituti", "Qendrën"/"Qendren" -> "Qendra", "Agjencinë" -> "Agjencia".
  [/^(\p{L}+i)n$/iu, '$1', 'm'],
  [/^(\p{L}+i)në$/iu, '$1a', 'f'],
  [/^(\p{L}+i)ne$/iu, '$1a', 'f'],
  [/^(\p{L}+)ën$/iu, '$1a', 'f'],
  [/^(\p{L}+)en$/iu, '$1a', 'f'],
];

export function isDeclinedHead(word: string): boolean {
  if (!/^\p{Lu}\p{L}+(?:ës|es|it|së|in|ën|en|në|ne)$/u.test(word) || !hasOrgWord(word)) return false;
  // The nominative must itself be an organisation word ("Women" is no declined "Woma").
  const nominative = nominativeHead(word);
  return nominative !== null && nominative !== word && hasOrgWord(nominative);
}

function nominativeHead(word: string): string | null {
  for (const [re, rep] of HEAD_RULES) if (re.test(word)) return word.replace(re, rep);
  return null;
}

export function toNominative(name: string): string {
  const tokens = name.split(' ');
  const head = tokens[0] ?? '';
  if (!isDeclinedHead(head)) return name;
  for (const [re, rep, gender] of HEAD_RULES) {
    if (re.test(head)) {
      tokens[0] = head.replace(re, rep);
      const next = tokens[1]?.toLowerCase();
      if (gender === 'f' && (next === 'së' || next === 'se')) tokens[1] = 'e';
      if (gender === 'm' && (next === 'të' || next === 'te' || (next === 'e' && /n$/i.test(head)))) tokens[1] = 'i';
      return tokens.join(' ');
    }
  }
  return name;
}

/** Same organisation, allowing a declined head and different case: "Shoqatës së X" ~ "Shoqata e X". */
export function sameOrganisation(a: string, b: string): boolean {
  const ka = nameKey(toNominative(a));
  const kb = nameKey(toNominative(b));
  return ka === kb;
}

/** Normal case for an all-caps letterhead name. */
export function normalCase(name: string): string {
  return isAllCaps(name) && name.split(' ').length > 1 ? titleCase(name) : name;
}

