import { EN } from './cues/en.ts';
import { SQ } from './cues/sq.ts';
import { compile, type LanguageCues } from './cues/types.ts';
import { fold, sentences } from './text.ts';

/**
 * Does the sender ask to join (sign, endorse, be added to) the coalition or
 * its joint statement, or to be removed? Read sentence by sentence on folded
 * text with the cues of src/domain/understand/cues (data, one file per
 * language). A sentence is a request when it has a join cue that the sender
 * says of itself (a wish or decision cue, a first-person form, or "add us"),
 * a membership object, and nothing that turns it around: a negation in front
 * of the verb, deliberation or a question about conditions, an invitation to
 * the reader, or being a member already. Cue words inside a proper name
 * ("Lëvizja Bashkohu", "Qendra Largohet") are masked first: a name is not a wish.
 */

const LANGS: LanguageCues[] = [SQ, EN];
type Role = keyof LanguageCues;
const role = (r: Role, flags = ''): RegExp => compile(LANGS.flatMap((l) => l[r]), flags);

const JOIN = role('join', 'g');
const JOIN_US = role('joinUs', 'g');
const WISH = role('wish');
const OBJECT = role('object');
const FIRST = role('firstPerson');
const READER = role('readerJoins');
const OTHER_OBJECT = role('otherObject');
const NEGATION = role('negation', 'g');
const DELIBERATION = role('deliberation');
const CONDITION_QUESTION = role('conditionQuestion');
const ALREADY = role('already');
const NOT_REQUIRED = role('notRequired');
const WITHDRAW = role('withdraw');
const WITHDRAW_NOT = role('withdrawNot');

/** A first-person form of the verb itself: "bashkohemi", "nënshkruajmë", "aderojmë", "firmosnim". */
const FIRST_PERSON_VERB = /(?:emi|eshim|ajme|ojme|ejme|anim|onim|nim|sim|uam|hem|esha|oj)$/;
/** The nouns among the join cues ("anëtarësim", "nënshkrim"): no person to read from them. */
const NOMINAL = /^(?:anetaresim|nenshkrim|bashkim|aderim)/;
/** "We (hereby, fully, also) endorse", "our organisation signs": the sender declares it. */
const DECLARES = /\b(?:we|i|our organi[sz]ation|our (?:association|centre|center|foundation|network|board))(?: (?:hereby|fully|also|gladly|formally|officially|herewith))* (?:join|sign|endorse|co-?sign|adhere|support|subscribe|accept)\b/;
/** A question asking the reader to act for the sender: "could you add us?", "a mund të na shtoni?" */
const POLITE_REQUEST =
  /\b(?:could|can|would|may|will) (?:you|we|our (?:organi[sz]ation|association|ngo|group|network|centre|center|foundation)) (?:please |kindly |also )?(?:add|include|list|register|sign|join|accept|count|become|be added)\b|\ba (?:mund|mundeni|mundesh|do te mundeshit|do te ishte e mundur) (?:te |me )?na (?:shtoni|perfshini|regjistroni|pranoni|listoni|shtu|shtuar|perfshi|regjistru|pranu)\b/;
/** "A mund të anëtarësohemi?", "Can we join?": asking to join and how, at once. */
const MAY_WE = /\b(?:can|could|may) (?:we|our organi[sz]ation) (?:also )?(?:join|sign|become|be added)\b|\ba mund (?:te|t') (?:\w+ )?(?:bashkohe|anetaresohe|nenshkruajme|aderojme|behemi|jemi)/;
/** "We invite you to join us" in a whole text: only the sender's own first-person wish counts there. */
const INVITATION =
  /\b(?:join us|come join|(?:we|i) (?:would like to |are pleased to |are happy to )?invite you|you are (?:cordially )?invited|(?:ju|t'?ju) ftoj(?:me)?|bashkohuni me ne|te bashkoheni me ne)\b/;
/** A stated wish with an anaphoric object ("We'd like X to be on it", "Duam të jemi"). */
const BARE_WISH = /^(?:(?:so |and |but |yes,? )?(?:we|i)(?:'d| would| really)? (?:like|love|want|wish|hope)|(?:ne )?(?:duam|deshirojme|do te donim|do te deshironim)\b)/;
const INFO_SEEKING = /\b(?:know|learn|understand|receive|information|details|documents?|informacion|dokument\w*|te dime|te mesojme)\b/;
const ATTACHMENT_POINTER = /\b(?:attach\w*|enclos\w*|bashkelidh\w*|ne shtojce|shtojc\w*|letter|shkres\w*|find (?:herewith|below))\b/;
/** Subjects that are titles: "Request to join", "Anëtarësim në koalicion", "Kërkesë për nënshkrim". */
const TITLE_JOIN =
  /\b(?:request|application|kerkese|aplikim|interes|deshire)\b.*\b(?:join|membership|sign|endorse|anetaresim|nenshkrim|bashkim|aderim)|^\s*(?:anetaresim|membership|joining|aderim|nenshkrim)\b/;
const TITLE_WITHDRAW = /^\s*(?:terheqje|heqje|pezullim|largim|withdrawal|removal|suspension)\b/;
const REPLY_SUBJECT = /^\s*(?:re|aw|sv|odp|r|p[eë]rgj|pergjigje|p[eë]rgjigje)\s*:/i;

/** Head words after which capitalised words are a name, in the case people write them. */
const NAME_HEAD =
  /(?<![\p{L}])(?:Shoqat\p{L}*|Qend(?:ra|rës|res|ër|er|ren|rën)|Fondacion\p{L}*|Institut\p{L}*|Forum\p{L}*|Rrjet\p{L}*|Lëvizj\p{L}*|Levizj\p{L}*|Organizat\p{L}*|Klub\p{L}*|Grup\p{L}*|Nism\p{L}*|Aleanc\p{L}*|Lidhj\p{L}*|Union\p{L}*|Komitet\p{L}*|Këshill\p{L}*|Keshill\p{L}*|Platform\p{L}*|Akademi\p{L}*|Federat\p{L}*|Association|Centre|Center|Foundation|Institute|Forum|Network|Movement|Initiative|Alliance|Group|League|Society|Club|Council|Committee|Trust|Hub|Platform)\s+/gu;
const NAME_WORD = /^(?:["“„«'‘]?[\p{Lu}][\p{L}'’-]*["”»'’]?|e|i|të|te|së|se|për|per|for|of|the)$/u;
const QUOTED = /["“„«][^"“”„«»\n]{1,80}["”»]/g;

/**
 * Replaces proper names with a neutral letter of the same length: quoted names, and the capitalised
 * words after an organisation's head word ("Lëvizja Bashkohu" → "Lëvizja qqqqqqqq"). The head word
 * stays, so "Rrjeti" or "Nisma" still name what is joined.
 */
export function maskNames(s: string): string {
  let out = s.replace(QUOTED, (m) => m[0] + 'q'.repeat(m.length - 2) + m[m.length - 1]);
  NAME_HEAD.lastIndex = 0;
  let m: RegExpExecArray | null;
  const spans: [number, number][] = [];
  while ((m = NAME_HEAD.exec(out)) !== null) {
    let i = m.index + m[0].length;
    const re = /\S+/g;
    re.lastIndex = i;
    let end = i;
    let w: RegExpExecArray | null;
    let last = i;
    while ((w = re.exec(out)) !== null && w.index === last) {
      const word = w[0].replace(/[,.;:!?)]+$/, '');
      if (!NAME_WORD.test(word)) break;
      // Linking words belong to the name only when a capitalised word follows them.
      if (/^[\p{Lu}"“„«'‘]/u.test(word)) end = w.index + word.length;
      i = w.index + w[0].length;
      if (word !== w[0]) break;
      const gap = /^\s+/.exec(out.slice(i))?.[0] ?? '';
      if (gap.includes('\n')) break;
      last = i + gap.length;
    }
    if (end > m.index + m[0].length) spans.push([m.index + m[0].length, end]);
  }
  for (const [a, b] of spans) out = out.slice(0, a) + out.slice(a, b).replace(/[\p{L}]/gu, 'q') + out.slice(b);
  return out;
}

export interface IntentScore {
  join: number;
  withdrawal: number;
  /** The sentences that counted, for the record. */
  evidence: string[];
}

/** A negation word within a few words before `at`, in the same clause. */
function negated(f: string, at: number): boolean {
  const before = f.slice(0, at);
  const clause = before.slice(Math.max(before.lastIndexOf(','), before.lastIndexOf(';'), before.lastIndexOf(':')) + 1);
  const tail = clause.trim().split(/\s+/).slice(-5).join(' ');
  NEGATION.lastIndex = 0;
  return NEGATION.test(tail);
}

interface JoinHit {
  index: number;
  text: string;
  us: boolean;
}

function joinHits(f: string): JoinHit[] {
  const hits: JoinHit[] = [];
  for (const [re, us] of [
    [JOIN, false],
    [JOIN_US, true],
  ] as const) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(f)) !== null) {
      hits.push({ index: m.index, text: m[0], us });
      if (m[0] === '') re.lastIndex++;
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}

/** Withdrawals are asked by the sender for itself, never stated about others ("unsigned organisations will be removed"). */
function speaksForItself(sentence: string, f: string): boolean {
  // Albanian drops the subject: a sentence that opens with the verb ("Heqim dorë nga ...") is the sender's.
  const at = WITHDRAW.exec(f)?.index ?? -1;
  if (at >= 0 && at <= 2) return true;
  if (FIRST.test(f) || /\b(?:please|kindly|ju lutem|lutemi|kerkes\w*|request\w*)\b/.test(f)) return true;
  const words = sentence.trim().split(/\s+/);
  return words.some((w, i) => (i > 0 && /^["“„«(]?\p{Lu}/u.test(w)) || /^[\p{Lu}]{2,}\b/u.test(w));
}

/**
 * The score of one sentence: 2 a clear request, 1–1.5 leaning towards one, 0 none. A title (the
 * subject) is the sender's own by definition.
 */
export function sentenceScores(sentence: string, opts: { title?: boolean } = {}): { join: number; withdrawal: number } {
  const f = fold(maskNames(sentence));
  let join = 0;
  let withdrawal = 0;
  const hits = joinHits(f).filter((h) => !negated(f, h.index));
  const question = /\?\s*$/.test(sentence.trim());
  const reader = READER.test(f);
  if (hits.length > 0 && !ALREADY.test(f) && !NOT_REQUIRED.test(f) && !OTHER_OBJECT.test(f) && !(reader && !hits.some((h) => h.us))) {
    const first = hits[0]!;
    // Deliberation governs the verbs after it ("how to join", "whether we should sign"); a wish stated
    // first ("we would like to join and would like to know the next steps") stands.
    const deliberation = DELIBERATION.exec(f);
    if (!(deliberation && deliberation.index <= first.index)) {
      const object = OBJECT.test(f);
      const firstPersonVerb = hits.some((h) => !h.us && !NOMINAL.test(h.text) && FIRST_PERSON_VERB.test(h.text.split(/\s/)[0]!));
      const wish = WISH.test(f) || hits.some((h) => h.us) || firstPersonVerb || DECLARES.test(f);
      if (question) {
        if (CONDITION_QUESTION.test(f) && !hits.some((h) => h.us)) join = 0;
        else if (POLITE_REQUEST.test(f) || hits.some((h) => h.us)) join = object ? 2 : 1.5;
        else if (MAY_WE.test(f)) join = 1;
      } else if (wish) {
        // A clear request is the sender's own: "we", "our", a first-person verb, "add us", or the
        // organisation wishing it ("X wishes to join"); "cities can join OGP" asks for nothing.
        const own = opts.title === true || FIRST.test(f) || hits.some((h) => h.us) || firstPersonVerb;
        join = own ? (object ? 2 : 1.5) : 1;
      } else join = object && FIRST.test(f) ? 1 : 0.5;
    }
  }
  if (WITHDRAW.test(f) && !WITHDRAW_NOT.test(f) && speaksForItself(sentence, f)) {
    withdrawal = OBJECT.test(f) || /\b(?:our|its) (?:name|signature)\b|\bemrin\b|\bnenshkrimin\b/.test(f) ? 2 : 1;
  }
  return { join, withdrawal };
}

/** "How do we join?", "si mund të anëtarësohemi?": a question about the way in, not a wish by itself. */
function isJoinQuestion(sentence: string, f: string): boolean {
  if (!/\?\s*$/.test(sentence.trim()) || !CONDITION_QUESTION.test(f) || READER.test(f)) return false;
  return joinHits(f).length > 0;
}

/** An affirmative first-person wish that is not a request for information. */
function isBareWish(sentence: string): boolean {
  const f = fold(sentence).trim();
  if (/\?\s*$/.test(f)) return false;
  return BARE_WISH.test(f) && !INFO_SEEKING.test(f) && !DELIBERATION.test(f) && !READER.test(f);
}

/** True when the text or subject speaks of joining or of the coalition, its statement or OGP at all. */
export function mentionsMembership(text: string): boolean {
  const f = fold(maskNames(text));
  return joinHits(f).length > 0 || /\b(?:koalicion\w*|coalition|deklarat\w*|(?:joint )?statement|ogp|open government|qeverisje te hapur|anetaresim\w*|membership|nenshkrues\w*|signator\w*)\b/.test(f);
}

/**
 * Scores the sender's own text (and, with a smaller weight, the subject when it
 * is not a reply, and the text of an attached letter). join/withdrawal >= 2
 * means a clear request; 1 and more leans towards one.
 */
export function scoreIntent(input: { text: string; subject?: string; attachmentText?: string }): IntentScore {
  // An attached letter counts fully when the text points to it ("please find attached", "bashkëlidhur") or says little else.
  const attachmentWeight = ATTACHMENT_POINTER.test(fold(input.text)) || input.text.trim().length < 300 ? 1 : 0.5;
  const evidence: string[] = [];
  let join = 0;
  let withdrawal = 0;
  const all = fold(input.text);
  const targetInText = OBJECT.test(all);
  // In an invitation, only the sender's own first-person wish is a request; impersonal lines
  // ("the forum is open to all, no membership is required") describe the event.
  const invitation = INVITATION.test(all);
  const list = sentences(input.text);
  const askedHow: number[] = [];
  list.forEach((s, i) => {
    const f = fold(s);
    let sc = sentenceScores(s);
    if (invitation && !FIRST.test(f)) sc = { join: 0, withdrawal: sc.withdrawal };
    if (sc.join === 0 && isJoinQuestion(s, f)) askedHow.push(i);
    if (sc.join > 0 || sc.withdrawal > 0) evidence.push(s);
    join += sc.join;
    withdrawal += sc.withdrawal;
  });
  // "How do we sign? We'd like our group to be on it." A question about the way in, next to a
  // wish stated as such, is a request: the wish carries the question's object.
  for (const i of askedHow) {
    const wish = [list[i - 1], list[i + 1]].find((n) => n !== undefined && isBareWish(n));
    if (wish && !invitation) {
      evidence.push(list[i]!, wish);
      join += 2;
      break;
    }
  }
  const subject = input.subject ?? '';
  const isReply = REPLY_SUBJECT.test(subject);
  const fs = fold(maskNames(subject));
  const subjectTarget = OBJECT.test(fs);
  if (subject.trim() !== '' && !isReply) {
    // A subject is a title the sender gives its own mail ("Request to join the coalition – X").
    const sc = sentenceScores(subject, { title: true });
    // A subject weighs half, or fully when the message says nothing else.
    const weight = input.text.trim().length < 40 ? 1 : 0.5;
    join += Math.max(sc.join, TITLE_JOIN.test(fs) ? 1 : 0) * weight;
    withdrawal += sc.withdrawal * weight + (TITLE_WITHDRAW.test(fs) ? 0.5 : 0);
  }
  // A wish with no object ("We want to join.", "Yes, we will sign.") counts when the subject (a reply's
  // too: it names what is answered) or the text names the coalition, in a short message or said by "we".
  const short = input.text.trim().length < 400;
  if (join >= 1 && join < 2 && (targetInText || subjectTarget) && (short || evidence.some((e) => FIRST.test(fold(e))))) join += 0.5;
  if (input.attachmentText) {
    for (const s of sentences(input.attachmentText.slice(0, 20_000))) {
      const sc = sentenceScores(s);
      join += sc.join * attachmentWeight;
      withdrawal += sc.withdrawal * attachmentWeight;
    }
  }
  return { join, withdrawal, evidence };
}
