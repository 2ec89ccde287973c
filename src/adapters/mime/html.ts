import { compile } from 'html-to-text';
import { ReadBudget } from './budget.ts';

/** html-to-text reads this much of a document (and says so on the console past it, so it is cut here first). */
const MAX_HTML_INPUT = 2_000_000;

/**
 * HTML -> the text a reader sees: no link targets (a website is what the sender
 * wrote, not the href), no images, headings in their own case, no wrapping (line
 * structure carries meaning for signatures), table cells on one line separated
 * by spaces so a two-column signature reads "Tel: +355 ...".
 */
const convert = compile({
  wordwrap: false,
  preserveNewlines: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'head', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, colSpacing: 2, maxColumnWidth: 200 } },
    { selector: 'hr', format: 'skip' },
  ],
  limits: { maxInputLength: MAX_HTML_INPUT },
});

/**
 * The HTML's visible text, paid from the message's budget: nothing once the
 * HTML budget is spent; MIME_HOSTILE when it nests deeper than maxHtmlDepth
 * (htmlparser2 keeps its open elements in an array it unshifts, so 200,000
 * nested <div> took 77 s, and html-to-text recurses per level); the plain
 * linear reading when it has more table cells than html-to-text's tables
 * handle quickly.
 */
export function htmlToPlainText(html: string, budget = new ReadBudget()): string {
  if (html.trim() === '' || !budget.readHtml(html.length)) return '';
  const { maxHtmlDepth, maxHtmlCells } = budget.limits;
  const shape = htmlShape(html, maxHtmlDepth);
  if (shape.depth > maxHtmlDepth) budget.hostile(`HTML nested more than ${maxHtmlDepth} elements deep`);
  let text: string;
  if (shape.cells > maxHtmlCells) {
    budget.note('html', `HTML with more than ${maxHtmlCells} table cells was read as plain text`);
    text = plainHtmlText(html);
  } else {
    try {
      text = convert(html.length > MAX_HTML_INPUT ? html.slice(0, MAX_HTML_INPUT) : html);
    } catch {
      return '';
    }
  }
  return text
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// ---------------------------------------------------------------------------
// A linear walk over HTML tags, with htmlparser2's rules for the elements an
// opening tag closes, void elements and raw text, so the depth it finds is the
// depth the parser would build. Where it differs it errs towards deeper.

const P = ['p'];
const FORM = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
const OPEN_IMPLIES_CLOSE = new Map<string, Set<string>>(
  (
    [
      ['tr', ['tr', 'th', 'td']],
      ['th', ['th']],
      ['td', ['thead', 'th', 'td']],
      ['body', ['head', 'link', 'script']],
      ['li', ['li']],
      ['option', ['option']],
      ['optgroup', ['optgroup', 'option']],
      ['dd', ['dt', 'dd']],
      ['dt', ['dt', 'dd']],
      ['rt', ['rt', 'rp']],
      ['rp', ['rt', 'rp']],
      ['tbody', ['thead', 'tbody']],
      ['tfoot', ['thead', 'tbody']],
      ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t) => [t, FORM] as const),
      ...['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section', 'table', 'ul'].map(
        (t) => [t, P] as const,
      ),
    ] as (readonly [string, readonly string[]])[]
  ).map(([k, v]) => [k, new Set(v)]),
);
const VOID = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements whose content is text up to their closing tag (htmlparser2's Tokenizer). */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);
const FOREIGN = new Set(['svg', 'math']);
const BLOCK = new Set(['p', 'div', 'br', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'blockquote', 'pre', 'ul', 'ol', 'dl', 'dt', 'dd', 'section', 'article', 'header', 'footer', 'address', 'hr']);

/** White space, "/" or ">" ends a tag name. */
function isNameEnd(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x2f || c === 0x3e;
}

interface HtmlVisitor {
  open?(name: string, depth: number): boolean | void;
  close?(name: string): void;
  text?(from: number, to: number): void;
}

/** Walks `html` once; `open` returning true stops the walk. */
function walkHtml(html: string, v: HtmlVisitor): void {
  const lower = html.toLowerCase();
  const stack: string[] = [];
  const open = new Map<string, number>();
  let foreign = 0;
  const pop = (): void => {
    const name = stack.pop()!;
    open.set(name, (open.get(name) ?? 1) - 1);
    if (FOREIGN.has(name)) foreign--;
    v.close?.(name);
  };
  let i = 0;
  while (i < html.length) {
    const lt = lower.indexOf('<', i);
    if (lt < 0) {
      v.text?.(i, html.length);
      break;
    }
    if (lt > i) v.text?.(i, lt);
    const next = lower.charCodeAt(lt + 1);
    if (lower.startsWith('<!--', lt)) {
      const end = lower.indexOf('-->', lt + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
      const end = lower.indexOf('>', lt);
      i = end < 0 ? html.length : end + 1;
      continue;
    }
    const closing = next === 0x2f; /* / */
    const nameStart = closing ? lt + 2 : lt + 1;
    const c = lower.charCodeAt(nameStart);
    if (!(c >= 0x61 && c <= 0x7a)) {
      // "<" not followed by a tag name is text.
      v.text?.(lt, lt + 1);
      i = lt + 1;
      continue;
    }
    let nameEnd = nameStart + 1;
    while (nameEnd < lower.length && !isNameEnd(lower.charCodeAt(nameEnd))) nameEnd++;
    const name = lower.slice(nameStart, nameEnd);
    const gt = lower.indexOf('>', nameEnd);
    const tagEnd = gt < 0 ? html.length : gt + 1;
    i = tagEnd;
    if (closing) {
      if (VOID.has(name) || !(open.get(name) ?? 0)) continue;
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        pop();
        if (top === name) break;
      }
      continue;
    }
    const implied = OPEN_IMPLIES_CLOSE.get(name);
    if (implied) while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) pop();
    const selfClosing = gt > 0 && lower.charCodeAt(gt - 1) === 0x2f;
    if (VOID.has(name) || (selfClosing && foreign > 0)) {
      if (v.open?.(name, stack.length + 1) === true) return;
      v.close?.(name);
      continue;
    }
    stack.push(name);
    open.set(name, (open.get(name) ?? 0) + 1);
    if (FOREIGN.has(name)) foreign++;
    if (v.open?.(name, stack.length) === true) return;
    if (RAW_TEXT.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      i = end < 0 ? html.length : end;
    }
  }
}

/** The nesting depth of `html` (the walk stops once past `stopAt`) and its number of table cells. */
export function htmlShape(html: string, stopAt = Infinity): { depth: number; cells: number } {
  let depth = 0;
  let cells = 0;
  walkHtml(html, {
    open(name, d) {
      if (name === 'td' || name === 'th') cells++;
      if (d > depth) depth = d;
      return depth > stopAt;
    },
  });
  return { depth, cells };
}

/** Text of HTML in one linear pass: tags dropped, blocks on their own lines, cells apart, scripts and styles skipped. */
export function plainHtmlText(html: string): string {
  // Raw text (script, style, title) never reaches `text`: the walk steps over it.
  const parts: string[] = [];
  walkHtml(html, {
    open(name) {
      if (BLOCK.has(name)) parts.push('\n');
      else if (name === 'td' || name === 'th') parts.push(' ');
    },
    close(name) {
      if (BLOCK.has(name) && !VOID.has(name)) parts.push('\n');
    },
    text(from, to) {
      parts.push(html.slice(from, to));
    },
  });
  return decodeEntities(parts.join(''))
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0\r]+/g, ' ').trim())
    .join('\n');
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#')) {
      const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
      return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
    }
    return NAMED[lower] ?? m;
  });
}
