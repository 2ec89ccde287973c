import { explain, type Explanation } from './explanation.ts';

/**
 * Reads what a coordinator decided from a reply written in an ordinary mail
 * client: only the sender's new text counts (quoted text, attributions,
 * forwarded blocks and signatures are cut), and the decision is the first
 * recognisable word of it.
 *
 * Reply syntax (case, accents and surrounding punctuation do not matter:
 * "Po.", "po!", "*PO*", "Miratohet", "MIRATOJ" are all the same):
 *
 *   approve       APPROVE | YES | OK | PO | MIRATOJ | MIRATOHET
 *   reject        REJECT | NO | JO | REFUZOJ
 *                   REJECT                        no reason
 *                   REJECT: reason                reason SHARED with the organisation
 *                   JO: arsyeja                   (Albanian, same)
 *                   REJECT (internal): reason     reason kept among coordinators
 *                   JO (e brendshme): arsyeja     (Albanian, same; "(brendshme)" also works)
 *                   REJECT reason                 no colon: reason kept INTERNAL
 *                 "No objections", "No problem, OK", "Jo kundërshtim" are NOT
 *                 rejections (unclear: the coordinator is asked again).
 *                 Only the explicit "word:" form shares the reason: nothing a
 *                 coordinator did not clearly mean for the organisation reaches it.
 *                 The reason runs to the end of the command's paragraph.
 *   information   INFO: question | PYET: pyetja  (the question, to the end of
 *                 the new text, is sent to the organisation; request stays pending)
 *   undo          UNDO | ANULO  (within the undo window)
 *   open          JOIN  (a possible request — kërkesë e mundshme — is a join request;
 *                 PO and the other approval words do the same on one, JO/NO close it)
 *   corrections   Name: / Emri:   City: / Qyteti:   Acronym: / Akronimi:
 *                 Website: / Faqja: / Web:   Email: / Kontakti: (where the desk writes to)
 *                 Alone, or together with an approval (applied first).
 *
 * Greetings on their own line before the command ("Hi all,", "Përshëndetje,")
 * are skipped. A reply whose command line holds both an approve and a reject
 * word, or no known word at all, is `unclear` and changes nothing.
 */

export interface Corrections {
  name?: string;
  city?: string;
  acronym?: string;
  website?: string;
  /** The contact address to write to (a coordinator confirming a proposed contact); never taken from an organisation. */
  email?: string;
}

export type ReplyCommand =
  | { type: 'approve'; corrections: Corrections }
  | { type: 'reject'; reason: string | null; shareReason: boolean }
  | { type: 'info'; question: string }
  | { type: 'undo' }
  | { type: 'open'; corrections: Corrections }
  | { type: 'correct'; corrections: Corrections }
  | { type: 'unclear'; problem: Explanation };

const APPROVE = new Set(['approve', 'approved', 'yes', 'ok', 'okay', 'po', 'miratoj', 'miratohet', 'miratuar']);
const REJECT = new Set(['reject', 'rejected', 'no', 'jo', 'refuzoj', 'refuzohet', 'refuzuar']);
const INFO = new Set(['info', 'pyet']);
const UNDO = new Set(['undo', 'anulo']);
/** Only for a possible request: it is a join request. Never an approval of membership. */
const OPEN = new Set(['join']);
/** After "No"/"Jo", words that turn it into agreement ("No objections", "Jo kundërshtim"). */
const NEGATED = new Set([
  'objection',
  'objections',
  'problem',
  'problems',
  'issue',
  'issues',
  'concern',
  'concerns',
  'kundershtim',
  'kundershtime',
  'problem',
  'probleme',
  'verejtje',
]);

const CORRECTION_FIELDS: Record<string, keyof Corrections> = {
  name: 'name',
  emri: 'name',
  'emri i organizates': 'name',
  organization: 'name',
  organisation: 'name',
  organizata: 'name',
  city: 'city',
  qyteti: 'city',
  acronym: 'acronym',
  akronimi: 'acronym',
  website: 'website',
  web: 'website',
  faqja: 'website',
  'faqja web': 'website',
  'faqja e internetit': 'website',
  email: 'email',
  emaili: 'email',
  kontakti: 'email',
  'adresa email': 'email',
};

const GREETING =
  /^(hi|hello|hey|dear|good (morning|afternoon|evening)|pershendetje|pershendetje te gjitheve|tung|tungjatjeta|miredita|mire dita|mirembrema|i dashur|e dashur|te dashur)\b[^.!?]{0,40}[,!:]?$/;

/** Lower case, no diacritics (ë→e, ç→c), single spaces: how words are compared. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Words of a line, folded, with surrounding punctuation and markdown (*, _, ~) removed. */
function words(line: string): string[] {
  return fold(line)
    .split(/[\s,;.!?¡¿*_~"'“”„«»()[\]{}<>/\\|:=+-]+/)
    .filter(Boolean);
}

const ATTRIBUTION_END = /(wrote|shkroi|ka shkruar|schrieb|a ecrit|escribio|ha scritto)\s*:\s*$/;
const SEPARATOR =
  /^\s*(-{2,}\s*(original message|forwarded message|mesazhi origjinal|mesazh i percjelle|mesazhi i percjelle)\s*-{2,}|_{10,}|-{10,}|begin forwarded message:?)\s*$/;
const PHONE_SIGNATURE =
  /^\s*(sent from my|sent from mail for|sent from outlook|sent from yahoo|sent with proton|get outlook for|derguar nga|dërguar nga|dërguar nga iphone|sent via|enviado desde)\b/;

/**
 * The sender's new text: everything before the first quoted block,
 * attribution line ("On … wrote:", "Më … shkroi:"), forwarded/original
 * message separator, Outlook "From:/Sent:" header block, signature ("-- ")
 * or phone footer ("Sent from my iPhone", "Dërguar nga …"). Lines starting
 * with ">" are dropped wherever they are.
 */
export function newText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const f = fold(line);
    if (/^\s*>/.test(line)) continue;
    if (line === '-- ' || line.trim() === '--') break;
    if (SEPARATOR.test(f)) break;
    if (PHONE_SIGNATURE.test(f)) break;
    // "On Mon, 1 Jan 2026 at 10:00, Ana <ana@x>\nwrote:" may wrap over up to three lines.
    if (ATTRIBUTION_END.test(f)) break;
    if (/^(on|me|më|ne|në|am|le|el|il)\b/.test(f)) {
      const joined = fold(lines.slice(i, i + 3).join(' '));
      const stop = joined.search(/(wrote|shkroi|ka shkruar|schrieb|a ecrit|escribio|ha scritto)\s*:/);
      if (stop >= 0 && /@|\d/.test(joined.slice(0, stop))) break;
    }
    // Outlook: a "From:" line followed closely by "Sent:"/"Date:" starts the quoted original.
    if (/^\s*\*?(from|nga|de|von)\s*\*?\s*:/.test(f)) {
      const next = lines.slice(i + 1, i + 5).map(fold);
      if (next.some((l) => /^\s*\*?(sent|date|data|derguar|gesendet|envoye)\s*\*?\s*:/.test(l))) break;
    }
    out.push(line);
  }
  return out.join('\n').trim();
}

function correctionOf(line: string): [keyof Corrections, string] | null {
  const m = /^\s*[*_]*([\p{L} ]{2,30}?)[*_]*\s*:\s*(.*)$/u.exec(line);
  if (!m) return null;
  const field = CORRECTION_FIELDS[fold(m[1] as string)];
  if (!field) return null;
  const value = (m[2] as string).replace(/^[*_\s]+|[*_\s]+$/g, '').trim();
  return value ? [field, value] : null;
}

function kindOf(word: string | undefined): 'approve' | 'reject' | 'info' | 'undo' | 'open' | null {
  if (word === undefined) return null;
  if (APPROVE.has(word)) return 'approve';
  if (OPEN.has(word)) return 'open';
  if (REJECT.has(word)) return 'reject';
  if (INFO.has(word)) return 'info';
  if (UNDO.has(word)) return 'undo';
  return null;
}

/**
 * The rest of a command line after its keyword: whether it starts with a
 * colon (explicit, shared), an "(internal)" marker (not shared), or plain text.
 */
function splitArgument(line: string): { marker: 'shared' | 'internal' | 'plain'; rest: string } {
  // Drop leading markdown/punctuation and the keyword itself.
  const m = /^[\s*_~"'“„«]*[\p{L}]+[*_~"'”»]*\s*(.*)$/su.exec(line);
  const after = (m?.[1] ?? '').trim();
  const internal =
    /^\(\s*(internal|intern|private|e brendshme|brendshme|i brendshem|brendshem|konfidenciale?)\s*\)/.test(fold(after));
  if (internal) {
    // Re-cut on the original text so the reason keeps its diacritics.
    const close = after.indexOf(')');
    return {
      marker: 'internal',
      rest: after
        .slice(close + 1)
        .replace(/^\s*[:\-–—]?\s*/, '')
        .trim(),
    };
  }
  if (after.startsWith(':')) return { marker: 'shared', rest: after.slice(1).trim() };
  return { marker: 'plain', rest: after.replace(/^[\s.,;!\-–—]+/, '').trim() };
}

/**
 * Field lines ("Website: …", "Qyteti: …") anywhere in the new text of a reply,
 * plus a bare web address as the website: what an organisation adds when it
 * answers a question about its request.
 */
export function readFieldLines(text: string): Corrections {
  const out: Corrections = {};
  const body = newText(text);
  for (const line of body.split('\n')) {
    const corr = correctionOf(line);
    if (corr) out[corr[0]] = corr[1];
  }
  if (!out.website) {
    const url = /\bhttps?:\/\/[^\s<>()"']+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>()"']*/i.exec(body);
    if (url) out.website = url[0].replace(/[.,;:!?]+$/, '');
  }
  return out;
}

function both(a: string | undefined, b: string | undefined): Explanation {
  return explain(`përgjigjja thotë njëkohësisht "${a}" dhe "${b}"`, `the reply says both "${a}" and "${b}"`);
}

export function parseReplyCommand(text: string): ReplyCommand {
  const body = newText(text);
  const lines = body.split('\n');
  const corrections: Corrections = {};
  let commandIndex = -1;
  let sawOtherText = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.trim()) continue;
    const corr = correctionOf(line);
    if (corr) {
      corrections[corr[0]] = corr[1];
      continue;
    }
    if (commandIndex >= 0) continue;
    const w = words(line);
    if (w.length === 0) continue; // a line of punctuation only
    if (!sawOtherText && kindOf(w[0]) === null && GREETING.test(fold(line).replace(/[*_]/g, ''))) continue;
    if (kindOf(w[0]) !== null) {
      if (!sawOtherText) commandIndex = i;
      continue;
    }
    sawOtherText = true;
  }
  const hasCorrections = Object.keys(corrections).length > 0;

  if (commandIndex < 0) {
    if (hasCorrections && !sawOtherText) return { type: 'correct', corrections };
    return {
      type: 'unclear',
      problem: body.trim()
        ? explain(
            'rreshti i parë i përgjigjes nuk fillon me një fjalë të njohur',
            'the first line of the reply does not start with a known word',
          )
        : explain(
            'përgjigjja nuk ka tekst të ri mbi mesazhin e cituar',
            'the reply has no new text above the quoted message',
          ),
    };
  }

  const line = lines[commandIndex] as string;
  const w = words(line);
  const kind = kindOf(w[0]) as 'approve' | 'reject' | 'info' | 'undo' | 'open';
  const { marker, rest } = splitArgument(line);

  if (kind === 'approve') {
    const conflicting = w.slice(1).find((x) => REJECT.has(x) || UNDO.has(x));
    if (conflicting) return { type: 'unclear', problem: both(w[0], conflicting) };
    return { type: 'approve', corrections };
  }
  if (kind === 'open') {
    const conflicting = w.slice(1).find((x) => REJECT.has(x) || UNDO.has(x));
    if (conflicting) return { type: 'unclear', problem: both(w[0], conflicting) };
    return { type: 'open', corrections };
  }
  if (kind === 'undo') {
    const conflicting = w.slice(1).find((x) => APPROVE.has(x) || REJECT.has(x));
    if (conflicting) return { type: 'unclear', problem: both(w[0], conflicting) };
    return { type: 'undo' };
  }
  // The argument continues over the following lines of the same paragraph
  // (reject) or to the end of the new text (info), corrections excluded.
  const following: string[] = [];
  for (const next of lines.slice(commandIndex + 1)) {
    if (kind === 'reject' && !next.trim()) break;
    if (correctionOf(next)) continue;
    following.push(next);
  }
  const argument = [rest, ...following].join('\n').trim();

  if (kind === 'reject') {
    if (marker !== 'shared' && marker !== 'internal') {
      // "No, yes" / "JO PO" / "No problem, OK": an approval word on the same line contradicts the rejection.
      const conflicting = w.slice(1).find((x) => APPROVE.has(x) || UNDO.has(x) || OPEN.has(x));
      if (conflicting) return { type: 'unclear', problem: both(w[0], conflicting) };
      // "No objections" / "Jo kundërshtim" is a coordinator agreeing: never read it as a rejection.
      const next = w[1];
      if ((w[0] === 'no' || w[0] === 'jo') && next && NEGATED.has(next)) {
        return {
          type: 'unclear',
          problem: explain(
            `"${w[0]} ${next}" nuk është as miratim as refuzim i qartë`,
            `"${w[0]} ${next}" is neither a clear approval nor a clear rejection`,
          ),
        };
      }
    }
    return { type: 'reject', reason: argument || null, shareReason: marker === 'shared' && argument !== '' };
  }
  // info
  if (!argument) {
    return {
      type: 'unclear',
      problem: explain(
        `pas "${w[0]}" duhet të vijë pyetja për organizatën`,
        `"${w[0]}" needs a question for the organisation after it`,
      ),
    };
  }
  return { type: 'info', question: argument };
}

// ---------------------------------------------------------------- what a reader of an HTML mail sees

/** Elements whose content no mail client shows. */
const INVISIBLE_ELEMENTS = new Set(['head', 'style', 'script', 'title', 'template', 'noscript', 'xml']);
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** display:none, visibility:hidden, zero-size text, or a box of no height that hides what overflows it. */
function hiddenStyle(style: string): boolean {
  const s = `;${style
    .toLowerCase()
    .replace(/&quot;|&#3[49];/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, '')};`;
  if (/;display:none[;!]/.test(s)) return true;
  if (/;visibility:(?:hidden|collapse)[;!]/.test(s)) return true;
  if (/;opacity:0(?:\.0*)?[;!]/.test(s)) return true;
  if (/;font-size:0(?:\.0*)?(?:[a-z]+|%)?[;!]/.test(s)) return true;
  const noHeight = /;(?:max-)?height:0(?:[a-z]+|%)?[;!]/.test(s) || /;(?:max-)?width:0(?:[a-z]+|%)?[;!]/.test(s);
  return noHeight && /;overflow(?:-[xy])?:hidden[;!]/.test(s);
}

function hiddenElement(attributes: string): boolean {
  // The bare `hidden` attribute (not aria-hidden, not a class or a value "hidden").
  if (/(?:^|\s)hidden(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?(?=\s|\/|$)/i.test(attributes)) return true;
  const style = /(?:^|\s)style\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attributes);
  return style ? hiddenStyle(style[1] ?? style[2] ?? style[3] ?? '') : false;
}

/**
 * The HTML of a mail without what its reader cannot see: elements styled display:none or
 * visibility:hidden, with the `hidden` attribute, zero-size or fully transparent text, comments, the
 * head, styles and scripts. A coordinator's decision is what she would read on her screen, not a
 * "PO" someone hid in her reply.
 */
export function visibleHtml(html: string): string {
  const tag = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  const open: { name: string; hidden: boolean }[] = [];
  let hiddenDepth = 0;
  let out = '';
  let last = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    if (hiddenDepth === 0) out += html.slice(last, m.index);
    last = tag.lastIndex;
    const name = (m[2] ?? '').toLowerCase();
    if (!name) continue; // a comment
    const attributes = m[3] ?? '';
    if (m[1]) {
      const at = open.map((e) => e.name).lastIndexOf(name);
      if (at < 0) continue;
      for (const e of open.splice(at)) if (e.hidden) hiddenDepth -= 1;
      if (hiddenDepth === 0) out += m[0];
      continue;
    }
    const selfClosing = VOID_ELEMENTS.has(name) || /\/\s*$/.test(attributes);
    const hidden = INVISIBLE_ELEMENTS.has(name) || hiddenElement(attributes);
    if (selfClosing) {
      if (hiddenDepth === 0 && !hidden) out += m[0];
      continue;
    }
    if (hiddenDepth === 0 && !hidden) out += m[0];
    open.push({ name, hidden });
    if (hidden) hiddenDepth += 1;
  }
  if (hiddenDepth === 0) out += html.slice(last);
  return out;
}
