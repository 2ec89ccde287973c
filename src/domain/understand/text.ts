/**
 * Text helpers shared by the readers. Albanian is often typed without its
 * diacritics ("ë" as "e", "ç" as "c"), so every lexicon is matched against a
 * folded copy of the text. fold() keeps the length of the string, so an index
 * found in the folded text slices the original at the same place.
 */

const FOLD_CACHE = new Map<string, string>();

function foldChar(ch: string): string {
  let out = FOLD_CACHE.get(ch);
  if (out !== undefined) return out;
  const base = ch.normalize('NFD').charAt(0);
  out = base.length === 1 ? base : ch;
  switch (ch) {
    case '\u2018':
    case '\u2019':
    case '\u201b':
    case '\u0060':
    case '\u00b4':
      out = "'";
      break;
    case '\u201c':
    case '\u201d':
    case '\u201e':
    case '\u00ab':
    case '\u00bb':
      out = '"';
      break;
    case '\u2013':
    case '\u2014':
    case '\u2212':
      out = '-';
      break;
    case '\u00a0':
      out = ' ';
      break;
  }
  FOLD_CACHE.set(ch, out);
  return out;
}

/** Diacritics removed, typographic quotes/dashes made ASCII, case kept; same length as the input. */
export function foldKeepCase(s: string): string {
  // Only non-ASCII UTF-16 units change; each maps to exactly one unit (or stays), so the length is kept.
  return s.replace(NON_ASCII, foldChar);
}

// eslint-disable-next-line no-control-regex -- the ASCII range is the point
const NON_ASCII = /[^\x00-\x7f]/g;

/** foldKeepCase() lower-cased; same length as the input for the scripts we read. */
export function fold(s: string): string {
  const f = foldKeepCase(s);
  const lower = f.toLowerCase();
  return lower.length === f.length ? lower : f;
}

/** Words of a text, folded, for counting. */
export function words(s: string): string[] {
  return fold(s).match(/[a-z][a-z']*/g) ?? [];
}

const SENTENCE_CACHE = new Map<string, string[]>();

/** Splits text into sentences; the readers ask for the same text several times, so the last few are kept. */
export function sentences(text: string): string[] {
  const hit = SENTENCE_CACHE.get(text);
  if (hit) return hit;
  const out = splitSentences(text);
  if (SENTENCE_CACHE.size >= 32) SENTENCE_CACHE.clear();
  SENTENCE_CACHE.set(text, out);
  return out;
}

function splitSentences(text: string): string[] {
  return text
    .replace(/\n{2,}/g, '\n\n')
    // A short line followed by a capitalised one is a line of its own (letterheads,
    // addresses); a long one is a hard-wrapped sentence that goes on.
    .replace(/^([^\n]{0,50}|[^\n]*[.!?:;])\n(?=[\p{Lu}"“„])/gmu, '$1\n\n')
    // "MJAFT! Movement asks ...": an exclamation mark glued to an all-caps word is part of a name.
    .split(/(?<=[.!?;])(?<!\b(?:Ms|Mr|Mrs|Mx|Dr|Prof|Rr|rr|Nr|nr|Pall|St|No|Tel|tel|Mob|mob|Cel|cel|Fax|fax|Faks|faks|Gsm|gsm|z|znj|zj|Zj|Z|Znj|Sh|Shk|Nd|Lgj|Bul|Blv|etc|e\.g|i\.e|Inc|Ltd|Co)\.)(?<!(?<![\p{L}])\p{Lu}{2,}!)\s+(?=[\p{Lu}"“„«(\d-])|\n\s*\n/u)
    .map((s) => s.replace(/\s*\n\s*/g, ' ').trim())
    .filter((s) => s !== '');
}

export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Comparison key for names: folded, punctuation-insensitive, whitespace collapsed. */
export function nameKey(s: string): string {
  return collapse(fold(s).replace(/["'()]/g, ' '));
}

export function isAllCaps(s: string): boolean {
  const letters = s.replace(/[^\p{L}]/gu, '');
  return letters.length >= 4 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
}

const SMALL_WORDS = new Set(['e', 'i', 'të', 'te', 'së', 'se', 'për', 'per', 'dhe', 'në', 'ne', 'and', 'for', 'of', 'on', 'the', 'in', 'mbi', 'nga']);

/** "SHOQATA E GRAVE" -> "Shoqata e Grave": an all-caps letterhead in ordinary case. */
export function titleCase(s: string): string {
  return s
    .toLowerCase()
    .split(/(\s+)/)
    .map((w, i) => (i > 0 && SMALL_WORDS.has(w) ? w : w.replace(/^(["“„«‘‚‹]?)(\p{L})/u, (_m, q: string, c: string) => q + c.toUpperCase())))
    .join('');
}
