import type { MailAddress } from '../mail.ts';
import { domainOf, sameAddress } from '../mail.ts';
import {
  hasOrgWord,
  isAcronym,
  isDeclinedHead,
  mentionsCoalition,
  nameAfter,
  nameBefore,
  normalCase,
  plausibleName,
  sameOrganisation,
  toNominative,
} from './organisation.ts';
import { findTowns, townForm } from './places.ts';
import { collapse, fold, isAllCaps, nameKey, sentences } from './text.ts';

/**
 * Organisation and contact details of a join request or withdrawal. Every
 * finder returns candidates with a weight; the best one wins and its weight
 * becomes the field's confidence.
 */
export interface ExtractInput {
  /** The request's text without signature (for a forward: the forwarded text). */
  body: string;
  signature: string;
  /** Text of attached letters (PDF/DOCX), lower priority. */
  attachments: string;
  /** The requester: From (or the forwarded From). */
  sender: MailAddress | null;
  replyTo: MailAddress | null;
  /** The request's own subject (not a reply's), or ''. */
  subject?: string;
  /** The "Organization:" header some clients add. */
  organizationHeader: string | null;
  /** Addresses and domains that are the coalition's own, never the requester's. */
  ownAddresses: string[];
  ownDomains: string[];
}

export interface Extracted {
  organization: { name: string | null; acronym: string | null; city: string | null; website: string | null };
  contact: { name: string | null; email: string | null; phone: string | null };
  confidence: Record<string, number>;
}

interface Candidate {
  name: string;
  acronym: string | null;
  weight: number;
  source: string;
}

const EMAIL = /(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+/;
const ACR_PAREN = /\(\s*([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\)/gu;
const HONORIFIC = /^(?:(?:ms|mrs|mr|mx|dr|prof|z|znj|zj|zonja|zoti|zt|sig|sra|sr|mme|m)\.?\s+)+/i;
export const FREE_MAIL = /(?:^|\.)(?:gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|aol|icloud|me\.com|mail\.com|gmx|protonmail|proton|yandex|zoho|abv|posta)\./i;
/** Mailboxes of a machine or of a role shared by several people (office@, info@, zyra@, sekretaria@ ...): nobody's personal address. */
const ROLE_LOCAL =
  /^(?:no-?reply|do-?not-?reply|noreply|mailer-daemon|postmaster|bounces?|notifications?|newsletter|list|lists|admin|administrator|administrata|root|support|helpdesk|office|offices|info|information|informacion|contact|contacts|contact-?us|kontakt|kontakti|secretariat|secretary|sekretari|sekretaria|sekretariati|zyra|zyrtar|general|hello|mail|post|posta|team|ekipi|staff|stafi|communications?|komunikim|media|press|programs?|projects?|office[.-]\w+|\w+[.-]office|info[.-]\w+|\w+[.-]info)$/i;

// ---- structured "Label: value" lines ---------------------------------------------

type Field = 'org' | 'acronym' | 'city' | 'address' | 'website' | 'contactName' | 'phone' | 'email';

const LABELS: [RegExp, Field][] = [
  [/^(?:emri i (?:plote i )?(?:organizates|oshc-se|shoqates|institucionit)|emri zyrtar|organizata|organizate|organi[sz]ation(?: name)?|name of (?:the )?organi[sz]ation|org(?:ani[sz]ation)?\.? name|institution|institucioni|oshc|cso|ngo)$/, 'org'],
  [/^(?:akronim(?:i)?|shkurtim(?:i)?|acronym|abbreviation|short name|emri i shkurter)$/, 'acronym'],
  [/^(?:qytet(?:i)?|city|town|vendndodhja|location|selia|seat|bashkia|municipality|city\/town)$/, 'city'],
  [/^(?:adres(?:a)?|address|adresa e zyres|postal address|selia qendrore)$/, 'address'],
  [/^(?:web(?:site| site|faqe|faqja)?|faqja(?: e internetit| zyrtare| web)?|faqe(?: interneti| e internetit| web)?|uebfaqja|url|internet|site|w)$/, 'website'],
  [/^(?:person(?:i)? (?:i )?kontakt(?:it)?|personi kontaktues|kontakt(?:i)?|contact(?: person| name)?|focal point|pika e kontaktit|perfaqesues(?:i)?|representative|emri dhe mbiemri|emer(?: e)? mbiemer|full name|name|emri)$/, 'contactName'],
  [/^(?:tel(?:efon(?:i)?)?\.?|telephone|phone|mobile|mob\.?|cel(?:ular)?\.?|cell|gsm|nr\.? (?:i )?tel(?:efonit)?|t|m|numri i telefonit|phone number|telefon(?:i)? celular)$/, 'phone'],
  [/^(?:e-?mail|email(?:i)?|mail|adresa e (?:e-?mail|emailit|postes elektronike)|posta elektronike|e-?posta)$/, 'email'],
];

type Structured = Partial<Record<Field, string>>;

/** The lines of a text that carry a phone label ("Tel: ... | Cel: ..."), for choosing among numbers. */
function structuredPhoneLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => /(?:^|\s|\|)(?:tel|telefon\w*|phone|mob\w*|cel\w*|cell|gsm|m|t|fax|faks|nr\.? tel\w*)\.?\s*:/i.test(fold(line)))
    .join('\n');
}

function structuredLines(text: string): Structured {
  const out: Structured = {};
  for (const line of text.split('\n')) {
    for (const part of line.split(/\s+\|\s+|\s{3,}/)) {
      const m = /^\s*(?:[-*•·]|\d{1,2}[.)])?\s*([\p{L}][\p{L} ./()-]{0,50}?)\s*:\s*(\S.*?)\s*$/u.exec(part);
      if (!m) continue;
      const label = fold(m[1]!)
        .replace(/\([^)]*\)/g, ' ')
        .replace(/\b(?:suaj|tuaj|your|juaj|e plote|full)\b/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      for (const [re, field] of LABELS) {
        if (re.test(label)) {
          if (out[field] === undefined) out[field] = m[2]!;
          break;
        }
      }
    }
  }
  return out;
}

// ---- organisation name -----------------------------------------------------------

const SUBJECT_VERBS =
  /\s(?:would|wishes|wants|is (?:glad|pleased|writing|happy|keen|interested|ready)|asks|requests|hereby|has decided|kindly|d[eë]shiron|k[eë]rkon|ka vendosur|shpreh|do t[eë] (?:donte|d[eë]shironte)|[eë]sht[eë] e gatshme|[eë]sht[eë] i gatsh[eë]m|nuk d[eë]shiron|vendosi|mb[eë]shtet)\b/giu;
const ON_BEHALF =
  /(?:on behalf of|in the name of|representing|i represent|we represent|n[eë] em[eë]r t[eë]|n[eë] cil[eë]sin[eë] e|p[eë]rfaq[eë]soj|p[eë]rfaq[eë]sojm[eë])\s+((?:the|our organi[sz]ation|my organi[sz]ation|organizat[eë]s(?: son[eë])?|shoqat[eë]s(?: son[eë])?)\s*,?\s+)?/giu;
const WORK_FOR = /(?:i work (?:at|for|with)|i am (?:the )?[\p{Ll} ]{0,30}(?:of|at) (?:the )?|jam (?:nga|pjes[eë] e|p[eë]rfaq[eë]suese? e)|punoj (?:n[eë]|p[eë]r|pran[eë])|from (?:the )?)\s*/giu;
const OUR_ORG = /(?:organizata jon[eë]|shoqata jon[eë]|our organi[sz]ation|my organi[sz]ation|we are|ne jemi|jemi)\s*,?\s+/giu;

function parenCandidates(text: string, weight: number, source: string, out: Candidate[], exclude: Set<string>): void {
  ACR_PAREN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ACR_PAREN.exec(text)) !== null) {
    const acronym = m[1]!;
    if (!isAcronym(acronym) || mentionsCoalition(acronym) || exclude.has(nameKey(acronym))) continue;
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const linePrefix = fold(text.slice(lineStart, m.index));
    // The addressee of a letter is not the sender.
    if (/^\s*(?:to|drejtuar|per|dear|i nderuar|e nderuar|te nderuar)\s*[:,]?/.test(linePrefix) && !/on behalf|ne emer/.test(linePrefix)) continue;
    const name = nameBefore(text, m.index);
    if (name && plausibleName(name, exclude) && !isAcronym(name)) out.push({ name, acronym, weight, source });
  }
  // The other way round: "AULEDA (Agjencia e Zhvillimit Ekonomik Lokal)".
  const reverse = /(?<![\p{L}\d])([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\(\s*(\p{Lu}[^()\n]{3,100})\)/gu;
  while ((m = reverse.exec(text)) !== null) {
    const acronym = m[1]!;
    const inner = m[2]!.trim();
    if (!isAcronym(acronym) || mentionsCoalition(acronym) || exclude.has(nameKey(acronym))) continue;
    const name = nameAfter(inner, 0);
    if (name && name.name === inner && plausibleName(name.name, exclude) && hasOrgWord(name.name)) out.push({ name: name.name, acronym, weight, source });
  }
}

function dashAcronymCandidates(text: string, weight: number, out: Candidate[], exclude: Set<string>): void {
  // "Instituti Shqiptar i Shkencave – AIS" on a signature line.
  for (const line of text.split('\n')) {
    for (const part of line.split(/\s+\|\s+/)) {
      const m = /^(.+?)\s+[–—-]\s+([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*$/u.exec(part.trim());
      if (!m || !isAcronym(m[2]!)) continue;
      const name = nameBefore(m[1]!, m[1]!.length);
      if (name && plausibleName(name, exclude) && name === collapse(m[1]!)) out.push({ name, acronym: m[2]!, weight, source: 'signature-dash' });
    }
  }
}

function subjectCandidates(body: string, out: Candidate[], exclude: Set<string>, sender: MailAddress | null): void {
  for (const s of sentences(body)) {
    SUBJECT_VERBS.lastIndex = 0;
    const m = SUBJECT_VERBS.exec(s);
    if (!m) continue;
    let end = m.index;
    let acronym: string | null = null;
    const paren = /\(\s*([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\)\s*,?\s*$/u.exec(s.slice(0, end));
    if (paren) {
      acronym = isAcronym(paren[1]!) ? paren[1]! : null;
      end = paren.index;
    }
    const before = s.slice(0, end).replace(/[,\s]+$/, '');
    const name = nameBefore(before, before.length);
    if (!name || !plausibleName(name, exclude)) continue;
    // The name must start the sentence (or follow a dash/colon/comma), not be a tail of a longer phrase.
    const start = before.lastIndexOf(name);
    const lead = fold(before.slice(0, start)).trim();
    if (lead !== '' && !/[-:,]$/.test(lead)) continue;
    if (sender && sender.name && nameKey(sender.name).split(' ').includes(nameKey(name))) continue;
    out.push({ name, acronym, weight: isAcronym(name) ? 0.6 : 0.75, source: 'sentence-subject' });
  }
}

function introCandidates(text: string, re: RegExp, weight: number, source: string, out: Candidate[], exclude: Set<string>): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // A skipped lead-in word that is capitalised ("Shoqatës ...") is the name itself.
    const lead = m[1];
    const start = lead && /^\p{Lu}/u.test(lead) ? m.index + m[0].length - lead.length : m.index + m[0].length;
    const after = nameAfter(text, start);
    if (!after || !plausibleName(after.name, exclude)) continue;
    const paren = /^\s*\(\s*([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\)/u.exec(text.slice(after.end));
    const acronym = paren && isAcronym(paren[1]!) ? paren[1]! : null;
    out.push({ name: after.name, acronym, weight, source });
  }
}

function signatureCandidates(signature: string, out: Candidate[], exclude: Set<string>): void {
  for (const line of signature.split('\n')) {
    for (const part of line.split(/\s+[|·•]\s+|\s{3,}/)) {
      const segments = part.split(/,\s+/);
      for (const seg of segments) {
        const t = seg.trim();
        if (!t || !hasOrgWord(t) || /@|www\.|https?:|\d{3}/.test(t)) continue;
        const paren = /\(\s*([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\)\s*$/u.exec(t);
        const dash = /\s+[–—-]\s+([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*$/u.exec(t);
        const core = (paren ? t.slice(0, paren.index) : dash ? t.slice(0, dash.index) : t).trim();
        const name = nameBefore(core, core.length);
        if (!name || name !== collapse(core) || !plausibleName(name, exclude)) continue;
        const acr = paren?.[1] ?? dash?.[1] ?? null;
        out.push({ name, acronym: acr && isAcronym(acr) ? acr : null, weight: 0.7, source: 'signature' });
      }
    }
  }
}

function dashEndCandidates(body: string, out: Candidate[], exclude: Set<string>): void {
  // "We want to join. – Partners Albania"
  for (const line of body.split('\n')) {
    const m = /\s[–—-]\s+([^–—-]+?)\s*$/u.exec(line);
    if (!m) continue;
    const after = nameAfter(m[1]!, 0);
    if (after && after.name === m[1]!.trim().replace(/[.!]+$/, '') && plausibleName(after.name, exclude)) {
      out.push({ name: after.name, acronym: null, weight: 0.65, source: 'dash-end' });
    }
  }
}

/** Is `name` the sender's own name, or a part of it ("Ledio" of "Ledio Hysaj")? */
function isSenderName(name: string, sender: MailAddress | null): boolean {
  if (!sender?.name) return false;
  const own = nameKey(sender.name).split(' ');
  return nameKey(name)
    .split(' ')
    .every((w) => own.includes(w));
}

/**
 * The object of the sender's wish, when it is a proper name: "we'd like Blue Wheels to be on the list",
 * "duam që Klubi X të jetë pjesë". A name needs no organisation word when the sender says it is theirs.
 */
function wishObjectCandidates(body: string, out: Candidate[], exclude: Set<string>, sender: MailAddress | null): void {
  const re = /\b(?:we(?:'d|’d| would| really)? (?:like|love|want|wish)|(?:duam|d[eë]shirojm[eë]|do t[eë] donim)(?: q[eë])?)\s+(?=["“„]?\p{Lu})/giu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const after = nameAfter(body, m.index + m[0].length);
    if (!after || !plausibleName(after.name, exclude) || isSenderName(after.name, sender)) continue;
    const at = body.indexOf(after.name, m.index);
    const nameEnd = at < 0 ? after.end : at + after.name.length;
    // The name is the one to be let in ("X to be on it / to join"), not a person asked to act ("Ana to add us").
    if (!/^\s+(?:to (?:be|join|sign|co-?sign|become|endorse|appear)|t[eë] (?:jet[eë]|b[eë]het|an[eë]tar[eë]sohet|n[eë]nshkruaj[eë]|bashkohet|figuroj[eë]|aderoj[eë]))(?!\p{L})/iu.test(body.slice(nameEnd, nameEnd + 24))) continue;
    out.push({ name: after.name, acronym: null, weight: hasOrgWord(after.name) ? 0.8 : 0.65, source: 'wish-object' });
  }
}

/** A short closing line "Name – Town": the organisation and where it is, when the name is not the sender's. */
function nameTownLineCandidates(text: string, out: Candidate[], exclude: Set<string>, sender: MailAddress | null): void {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.length > 80) continue;
    const m = /^(.+?)\s+[–—-]\s+(\p{Lu}[\p{L}-]+(?:\s+\p{Lu}[\p{L}-]+)?)\s*$/u.exec(t);
    if (!m || !townForm(m[2]!)?.nominative) continue;
    const name = nameAfter(m[1]!, 0);
    if (!name || name.name !== m[1]!.trim() || !plausibleName(name.name, exclude) || isSenderName(name.name, sender)) continue;
    out.push({ name: name.name, acronym: null, weight: hasOrgWord(name.name) ? 0.7 : 0.6, source: 'name-town-line' });
  }
}

/** Any capitalised phrase in the body that carries an organisation word ("Shoqatës X", "the Y Association"). */
function orgPhraseCandidates(text: string, weight: number, out: Candidate[], exclude: Set<string>): void {
  const re = /(?<![\p{L}\p{N}'’"“„-])["“„]?\p{Lu}[\p{L}\p{N}'’&.!-]*/gu;
  let m: RegExpExecArray | null;
  let lastEnd = -1;
  while ((m = re.exec(text)) !== null) {
    if (m.index < lastEnd) continue;
    const after = nameAfter(text, m.index);
    if (!after) continue;
    lastEnd = after.end;
    re.lastIndex = Math.max(re.lastIndex, after.end);
    if (!hasOrgWord(after.name) || !plausibleName(after.name, exclude)) continue;
    if (after.name.split(' ').length < 2 && !isAcronym(after.name)) continue;
    const paren = /^\s*\(\s*([\p{Lu}\d][\p{L}\d&.!-]{1,15})\s*\)/u.exec(text.slice(after.end));
    out.push({ name: after.name, acronym: paren && isAcronym(paren[1]!) ? paren[1]! : null, weight, source: 'org-phrase' });
  }
}

function chooseName(cands: Candidate[], all: Candidate[]): Candidate | null {
  if (!cands.length) return null;
  const best = [...cands].sort((a, b) => b.weight - a.weight)[0]!;
  let { name, acronym } = best;
  let weight = best.weight;
  // An acronym used as the name: the full name given with that acronym elsewhere wins.
  if (isAcronym(name)) {
    const full = all.find((c) => c.acronym && nameKey(c.acronym) === nameKey(name) && !isAcronym(c.name));
    if (full) {
      acronym = name;
      name = full.name;
      weight = Math.max(weight, full.weight);
    }
  }
  // A declined head ("Qendrës për ..."): prefer the nominative written elsewhere (signature).
  const head = name.split(' ')[0] ?? '';
  if (isDeclinedHead(head)) {
    const nominative = all.find((c) => c !== best && !isDeclinedHead(c.name.split(' ')[0] ?? '') && sameOrganisation(c.name, name));
    name = nominative ? normalCase(nominative.name) : toNominative(name);
    acronym = acronym ?? nominative?.acronym ?? null;
  }
  if (isAllCaps(name) && name.includes(' ')) {
    const normal = all.find((c) => !isAllCaps(c.name) && sameOrganisation(c.name, name));
    name = normal ? normal.name : normalCase(name);
  }
  if (!acronym) {
    const same = all.find((c) => c.acronym && sameOrganisation(c.name, name));
    acronym = same?.acronym ?? null;
  }
  return { name, acronym, weight, source: best.source };
}

// ---- city, website, phone --------------------------------------------------------------

function masked(text: string, names: (string | null | undefined)[]): string {
  let t = text;
  for (const n of names) if (n && n.trim().length > 2) t = t.split(n.trim()).join(' '.repeat(n.trim().length));
  return t;
}

/** A capitalised word right before a town ("Sokol Dibra", "Arben Berati") makes it a surname, not a place. */
function surnameLike(text: string, index: number): boolean {
  const before = text.slice(Math.max(0, index - 40), index);
  const m = /(?:^|[\s(])(\p{Lu}[\p{Ll}'’-]+)[ \t]+$/u.exec(before);
  return m !== null && !STREET_WORD.test(fold(m[1]!));
}

const STREET_WORD = /^(?:rr|rruga|bulevardi|blv|lagj\w*|sheshi|street|str|qyteti|bashkia|city|town|seli\w*|adresa|address)$/;

/** Any nominative town in the text that is not part of a person's name or of the names masked out. */
function cityFrom(text: string, orgName: string | null, people: (string | null | undefined)[] = [], inName = false): string | null {
  const t = masked(text, [orgName, ...people]);
  // Inside an organisation's own name ("Vizion Plus Lushnjë") a town after a capitalised word is still a town.
  const hit = findTowns(t).find((h) => h.nominative && (inName || !surnameLike(t, h.index)));
  return hit ? hit.written : null;
}

const COUNTRY = /^(?:albania|shqiperi\w*|kosov\w*|north macedonia|maqedoni\w*(?: e veriut)?|montenegro|mal(?:i)? i zi)$/;
const DATE_TAIL = /^\d{1,2}(?:\.|\s)\s*(?:\d{1,2}\.\d{2,4}|\p{L}+\.?\s+\d{4})$/u;

/** What may follow a town in an address: nothing, a postcode, the country, a date, a district in brackets. */
function addressTail(after: string): boolean {
  const t = fold(after).trim();
  if (t === '') return true;
  if (/^[,;(–—-]/.test(t) || /^\d{4,5}\b/.test(t)) return true;
  return COUNTRY.test(t) || DATE_TAIL.test(t);
}

/**
 * The town as an address gives it: alone on its line (with a postcode, the country or a date), or
 * after a comma, dash, street number or postcode ("Rr. Kavajës 10, Tiranë", "1001 Tirana", "YIN – Fier").
 * `strict` (running text) accepts only a line that is nothing but the town and its address tail.
 */
function addressTown(text: string, names: (string | null | undefined)[], strict: boolean): string | null {
  for (const line of masked(text, names).split('\n')) {
    if (strict && line.trim().length > 60) continue;
    for (const part of line.split(/\s+[|·•]\s+/)) {
      for (const hit of findTowns(part)) {
        if (!hit.nominative) continue;
        const before = part.slice(0, hit.index).trim();
        const after = part.slice(hit.index + hit.written.length);
        const lead = strict ? before === '' || /^[\d\s-]+$/.test(before) : before === '' || /[,;–—\-\d]$/.test(before);
        if (lead && addressTail(after)) return hit.written;
      }
    }
  }
  return null;
}

const BASED_IN = /(?:based in|located in|headquartered in|from|with (?:its )?(?:seat|office|offices|headquarters) in|me seli n[eë]|me qend[eë]r n[eë]|me baz[eë] n[eë]|q[eë] vepron n[eë]|n[eë] qytetin e|nga qyteti i|nga)\s+(\p{Lu}[\p{L}-]+(?:\s+\p{Lu}[\p{L}]+)?)/gu;

function cityInBody(body: string): string | null {
  BASED_IN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BASED_IN.exec(body)) !== null) {
    const words = m[1]!.split(/\s+/);
    for (const w of [words.join(' '), words[0]!]) {
      const f = townForm(w);
      if (f?.nominative) return w;
    }
  }
  return null;
}

/** "Qendra Ora, Vlorë" / "AULEDA (…) – Vlorë": the town written right after the name. */
function townAfterName(text: string, orgName: string): string | null {
  let from = 0;
  for (;;) {
    const at = text.indexOf(orgName, from);
    if (at < 0) return null;
    from = at + orgName.length;
    const m = /^\s*(?:\([^)]*\))?\s*[,–—-]\s*(\p{Lu}[\p{L}-]+(?:\s+\p{Lu}[\p{L}]+)?)/u.exec(text.slice(from, from + 60));
    if (!m) continue;
    const words = m[1]!.split(/\s+/);
    for (const w of [words.join(' '), words[0]!]) if (townForm(w)?.nominative) return w;
  }
}

const URL_RE = /(?<![@\w.-])((?:https?:\/\/)?(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::\d+)?(?:\/[^\s<>()"'|]*)?)(?![\w-]*@)/gi;
const KNOWN_TLD = /\.(?:org|com|net|al|info|eu|io|ngo|edu|gov|int|co|uk|de|it|fr|mk|xk|rs|me|online|site|eco|world|ong|foundation|network|institute|center|media|news)$/i;
const FILE_EXT = /\.(?:pdf|docx?|xlsx?|pptx?|png|jpe?g|gif|zip|rar|txt|odt|eml|html?)$/i;

function standsAlone(text: string, index: number, length: number): boolean {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  const lineEnd = text.indexOf('\n', index + length);
  const before = text.slice(lineStart, index);
  const after = text.slice(index + length, lineEnd < 0 ? text.length : lineEnd);
  return /(?:^|[|·•]|\s{3,})\s*$/.test(before) && /^[.,;]?\s*(?:$|[|·•]|\s{3,})/.test(after);
}

function websites(text: string, ownDomains: string[], mailDomains: Set<string>): string[] {
  const out: string[] = [];
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(text)) !== null) {
    const url = m[1]!.replace(/[.,;:!?)\]]+$/, '');
    const host = url
      .replace(/^https?:\/\//i, '')
      .replace(/^www\./i, '')
      .split(/[/:]/)[0]!
      .toLowerCase();
    const tld = host.split('.').pop() ?? '';
    if (!/^[a-z]{2,}$/.test(tld) || FILE_EXT.test(host)) continue;
    const explicit = /^(?:https?:\/\/|www\.)/i.test(url);
    const before = fold(text.slice(Math.max(0, m.index - 25), m.index));
    const labelled = /(?:\bweb(?:site|faqe|faqja)?|\bw|\burl|\bfaqja(?: e internetit)?|\bsite|\binternet)\s*:\s*$/.test(before);
    if (!explicit && !labelled && !KNOWN_TLD.test(host)) continue;
    if (!explicit && !labelled && host.split('.').length < 2) continue;
    if (ownDomains.some((d) => host === d || host.endsWith(`.${d}`))) continue;
    if (FREE_MAIL.test(`${host}.`) && !explicit) continue;
    // A bare mail domain ("gmail.com") mentioned in a sentence is not a website; the same domain alone
    // on a signature line (or between separators: "Tel ... · asdr.example.org") is the organisation's site.
    if (!explicit && !labelled && mailDomains.has(host) && !standsAlone(text, m.index, m[1]!.length)) continue;
    out.push(url);
  }
  return out;
}

const PHONE_RE = /(?<![\w+/.])((?:\+|00)\d{2,3}[\s.\-/]*(?:\(0?\d{1,4}\)[\s.\-/]*)?\d{1,4}(?:[\s.\-/]?\d{2,4}){1,4}|\(?0\d{1,3}\)?(?:[\s.\-/]?\d{2,4}){2,4})(?![\w/])/g;

function phones(text: string): { phone: string; index: number }[] {
  const out: { phone: string; index: number }[] = [];
  PHONE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PHONE_RE.exec(text)) !== null) {
    const phone = m[1]!.trim();
    const digits = phone.replace(/\D/g, '').length;
    if (digits < 8 || digits > 15) continue;
    // Dates and protocol numbers: 2026-01-22, 22.01.2026
    if (/^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(phone) || /^(?:19|20)\d\d/.test(phone)) continue;
    out.push({ phone, index: m.index });
  }
  return out;
}

/** What a signature or list says a number is: a personal mobile, an office line, a fax. */
function phoneLabel(text: string, index: number): 'mobile' | 'fax' | 'other' {
  const before = fold(text.slice(Math.max(0, text.lastIndexOf('\n', index - 1) + 1, index - 30), index));
  const label = /([a-z][a-z .]*?)\.?\s*[:.]?\s*(?:\(?[a-z]+\)?\s*)?$/.exec(before)?.[1] ?? '';
  if (/\b(?:fax|faks)\b/.test(label)) return 'fax';
  if (/\b(?:cel(?:ular|l)?|mob(?:ile|il)?|gsm|m|celular(?:i)?|personal|direct|whatsapp|viber)$/.test(label.trim())) return 'mobile';
  return 'other';
}

/** The contact's number in a signature or field list: a personal mobile before an office line; never a fax. */
function bestPhone(text: string): string | null {
  const found = phones(text).map((p) => ({ ...p, label: phoneLabel(text, p.index) }));
  const usable = found.filter((p) => p.label !== 'fax');
  return (usable.find((p) => p.label === 'mobile') ?? usable[0])?.phone ?? null;
}

// ---- contact designation ---------------------------------------------------------------

const DESIGNATION =
  /(?:focal point|contact person|point of contact|person(?:i)? (?:i )?kontakt(?:it)?|person kontakti|pika e kontaktit|personi kontaktues|will be (?:our|the) (?:representative|contact|focal)|can be reached|please (?:contact|write to|reach)|ju lutem (?:kontaktoni|shkruani)|mund t[eë] kontaktoni|kontaktoni|for (?:all|any) (?:further )?(?:communication|correspondence|matters|follow-up|questions)|p[eë]r (?:çdo|cdo|t[eë] gjitha) (?:komunikim|informacion|pyetje)|p[eë]rfaq[eë]suesi(?:ja)? (?:yn[eë]|jon[eë])|representative)/iu;

const PERSON = /(\p{Lu}\p{Ll}+(?:[-'’]\p{Lu}?\p{Ll}+)?(?:\s+\p{Lu}\p{Ll}+(?:[-'’]\p{Lu}?\p{Ll}+)?){0,2})/u;

const HONORIFIC_PERSON = new RegExp(`\\b(?:Ms|Mrs|Mr|Mx|Dr|Prof|z|znj|zj|zonja|zoti)\\.?\\s+${PERSON.source}`, 'u');
const INTRODUCED_PERSON = new RegExp(`(?:will be|is|shall be|[eë]sht[eë]|do t[eë] jet[eë]|:|–|—)\\s+${PERSON.source}`, 'u');

function personIn(sentence: string, exclude: Set<string>): string | null {
  const honor = HONORIFIC_PERSON.exec(sentence);
  if (honor) return honor[1]!;
  const m = INTRODUCED_PERSON.exec(sentence);
  if (m && !hasOrgWord(m[1]!) && m[1]!.split(/\s+/).length >= 2 && !exclude.has(nameKey(m[1]!))) return m[1]!;
  return null;
}

export function stripHonorific(name: string): string {
  return name.replace(HONORIFIC, '').trim();
}

/** Job titles and mailbox roles that display names and signatures use instead of a person's name. */
const ROLE_WORDS =
  /\b(?:director|drejtor\w*|office|zyra|info|admin\w*|secretariat|sekretari\w*|coordinator|koordinator\w*|team|ekipi|support|contact|kontakt\w*|president\w*|chair\w*|kryetar\w*|manager|menaxher\w*|officer|oficer\w*|assistant|asistent\w*|executive|ekzekutiv\w*|programme|program|project|projekt\w*|board|bordi|staff|stafi|communications?|komunikim\w*|mailbox|newsletter|noreply|no-reply)\b/i;

function personLike(name: string): boolean {
  const t = name.trim();
  if (!t || t.includes('@') || hasOrgWord(t) || mentionsCoalition(t) || /\d/.test(t) || ROLE_WORDS.test(fold(t))) return false;
  const tokens = t.split(/\s+/);
  if (tokens.length > 4) return false;
  if (tokens.length === 1 && townForm(t)) return false;
  return tokens.every((w) => /^[\p{Lu}][\p{L}'’.-]*$/u.test(w) || /^(?:van|von|de|di|da|del)$/i.test(w));
}

function isPersonal(address: MailAddress | null, own: string[]): boolean {
  if (!address) return false;
  const local = address.address.split('@')[0] ?? '';
  if (ROLE_LOCAL.test(local)) return false;
  if (own.some((o) => sameAddress(o, address.address))) return false;
  return true;
}

// ---- the extraction ----------------------------------------------------------------

/**
 * Lines of a footer or disclaimer that name someone else: a donor ("funded by the X Foundation"), a
 * network the organisation belongs to, a partner, the confidentiality notice. Their names are never
 * the requester's.
 */
const DISCLAIMER =
  /\b(?:funded|financed|co-?funded|supported|sponsored|made possible) by\b|\bwith the (?:financial |generous )?support of\b|\bin (?:partnership|cooperation|collaboration) with\b|\bpart of the\b[^.\n]{0,60}\bnetwork\b|\bthis (?:project|publication|programme|program|e-?mail|message|activity) (?:is|was|has|does|reflects)\b|\bdisclaimer\b|\bconfidential\b|\bsole responsibility\b|\b(?:financuar|bashkefinancuar|mbeshtetur|sponsorizuar|mundesuar) (?:nga|prej)\b|\bme (?:mbeshtetjen|perkrahjen|financimin) (?:financiare )?(?:e|te)\b|\bne (?:partneritet|bashkepunim) me\b|\bpjese e rrjetit\b|\bky (?:projekt|publikim|program|email|mesazh|aktivitet)\b|\bpergjegjesi(?:a|ne)? (?:e vetme|te plote)\b|\bkonfidencial\w*/;
/** "member of the Balkan Network", "anëtare e Rrjetit ...": a network the organisation belongs to. */
const MEMBER_OF = /\b(?:is|are|as) (?:a |an )?(?:proud |active |founding )?members? of (?:the )?\p{Lu}|\b(?:[Ee]sht[eë]|[Jj]emi|[Ss]i) (?:nj[eë] )?an[eë]tar[eë]? (?:e|i|t[eë]) \p{Lu}/u;
/** Being a member of the coalition is what a request asks, never a footer. */
const OF_COALITION = /\b(?:coalition|koalicion\w*|ogp)\b/;

function withoutDisclaimers(text: string): string {
  return text
    .split('\n')
    .map((line) => (DISCLAIMER.test(fold(line)) || (MEMBER_OF.test(line) && !OF_COALITION.test(fold(line))) ? '' : line))
    .join('\n');
}

/** "Shoqata X, Lushnjë", "Qendra Y – Kukës", "Forumi Z (Shkodër)": the town after the name is where it is, not its name. */
function splitTrailingTown(name: string): { name: string; town: string | null } {
  const m = /^(.*\S)\s*(?:,|\s[–—-])\s*(\p{Lu}[\p{L}-]+(?:\s\p{Lu}[\p{L}-]+)?)\s*$|^(.*\S)\s*\(\s*(\p{Lu}[\p{L}-]+(?:\s\p{Lu}[\p{L}-]+)?)\s*\)\s*$/u.exec(name);
  if (!m) return { name, town: null };
  const head = (m[1] ?? m[3])!;
  const town = (m[2] ?? m[4])!;
  return townForm(town) && head.split(/\s+/).length >= 1 ? { name: head, town } : { name, town: null };
}

export function extract(input: ExtractInput): Extracted {
  const confidence: Record<string, number> = {};
  const { attachments } = input;
  // Names are looked for everywhere but in footers and disclaimers (a donor, a network, a partner).
  const body = withoutDisclaimers(input.body);
  const signature = withoutDisclaimers(input.signature);
  const ownText = signature ? `${body}\n\n${signature}` : body;
  const exclude = new Set<string>();
  for (const d of input.ownDomains) {
    const label = d.split('.')[0];
    if (label) exclude.add(nameKey(label));
  }

  const structured = structuredLines(ownText);
  const structuredAtt = attachments ? structuredLines(attachments) : {};

  // -- organisation name candidates
  const cands: Candidate[] = [];
  if (structured.org && plausibleName(structured.org, exclude)) {
    const paren = /^(.*?)\s*\(\s*([^)]+)\s*\)\s*$/.exec(structured.org);
    cands.push({
      name: paren ? paren[1]!.trim() : structured.org.trim(),
      acronym: paren && isAcronym(paren[2]!) ? paren[2]! : null,
      weight: 0.95,
      source: 'structured',
    });
  }
  introCandidates(body, ON_BEHALF, 0.9, 'on-behalf', cands, exclude);
  introCandidates(body, OUR_ORG, 0.85, 'our-organisation', cands, exclude);
  const workFor: Candidate[] = [];
  introCandidates(body, WORK_FOR, 0.6, 'works-for', workFor, exclude);
  cands.push(...workFor.filter((c) => hasOrgWord(c.name)));
  orgPhraseCandidates(body, 0.6, cands, exclude);
  parenCandidates(body, 0.85, 'body-acronym', cands, exclude);
  subjectCandidates(body, cands, exclude, input.sender);
  parenCandidates(signature, 0.8, 'signature-acronym', cands, exclude);
  dashAcronymCandidates(signature, 0.78, cands, exclude);
  signatureCandidates(signature, cands, exclude);
  dashEndCandidates(body, cands, exclude);
  wishObjectCandidates(body, cands, exclude, input.sender);
  nameTownLineCandidates(ownText, cands, exclude, input.sender);
  const senderName = input.sender?.name ?? '';
  if (senderName && hasOrgWord(senderName) && plausibleName(senderName, exclude)) {
    cands.push({ name: senderName.replace(/^["']|["']$/g, '').trim(), acronym: null, weight: 0.55, source: 'display-name' });
  }
  if (input.subject) {
    // "Kërkesë për anëtarësim – Shoqata Zëri i Rinisë"
    const subject = input.subject.replace(/^\s*(?:(?:re|fwd?|fw|tr|aw)\s*:\s*)+/i, '');
    const subjectCands: Candidate[] = [];
    dashEndCandidates(subject, subjectCands, exclude);
    orgPhraseCandidates(subject, 0.5, subjectCands, exclude);
    cands.push(...subjectCands.filter((c) => hasOrgWord(c.name)).map((c) => ({ ...c, weight: 0.5, source: 'subject' })));
  }
  if (input.organizationHeader && plausibleName(input.organizationHeader, exclude)) {
    cands.push({ name: input.organizationHeader.trim(), acronym: null, weight: 0.5, source: 'organization-header' });
  }
  // Attached letters: their own candidates, with lower weights.
  const attCands: Candidate[] = [];
  if (attachments) {
    if (structuredAtt.org && plausibleName(structuredAtt.org, exclude)) attCands.push({ name: structuredAtt.org, acronym: null, weight: 0.5, source: 'attachment-structured' });
    introCandidates(attachments, ON_BEHALF, 0.45, 'attachment-on-behalf', attCands, exclude);
    parenCandidates(attachments, 0.45, 'attachment-acronym', attCands, exclude);
    subjectCandidates(attachments, attCands, exclude, input.sender);
    orgPhraseCandidates(withoutDisclaimers(attachments), 0.4, attCands, exclude);
  }
  // A name that also appears in the signature or an attachment is more certain.
  const all = [...cands, ...attCands];
  const chosen = chooseName(cands.length ? cands : attCands, all);
  let orgName = chosen?.name ?? null;
  let acronym = chosen?.acronym ?? null;
  let townOfName: string | null = null;
  if (orgName) {
    orgName = orgName.replace(/\s+/g, ' ').trim();
    ({ name: orgName, town: townOfName } = splitTrailingTown(orgName));
    const corroborated = all.filter((c) => sameOrganisation(c.name, orgName!)).length;
    confidence['organization.name'] = Math.min(0.99, (chosen?.weight ?? 0.5) + (corroborated > 1 ? 0.05 : 0));
  } else confidence['organization.name'] = 0;
  if (!acronym && (structured.acronym ?? structuredAtt.acronym)) {
    const a = (structured.acronym ?? structuredAtt.acronym)!.trim();
    if (a.length <= 20) acronym = a;
  }
  if (acronym && orgName && nameKey(acronym) === nameKey(orgName)) acronym = null;
  confidence['organization.acronym'] = acronym ? 0.8 : 0.5;

  // -- city
  let city: string | null = null;
  if (structured.city) {
    const hit = findTowns(structured.city)[0];
    city = hit ? hit.written : structured.city.split(/[,;(]/)[0]!.trim() || null;
    confidence['organization.city'] = 0.95;
  }
  const people = [input.sender?.name, structured.contactName];
  if (!city && townOfName) city = townOfName;
  if (!city && structured.address) city = cityFrom(structured.address, null);
  if (!city && signature) city = addressTown(signature, [orgName, ...people], false) ?? cityFrom(signature, orgName, people);
  // A letterhead line above the text ("Kukës", "Tiranë, 3 mars 2026").
  if (!city) city = addressTown(body, [orgName, ...people], true);
  if (!city) city = cityInBody(body);
  if (!city && orgName) city = townAfterName(`${body}\n${attachments}`, orgName);
  if (!city && orgName) city = cityFrom(orgName, null, [], true);
  if (!city && attachments) {
    const head = attachments.split('\n').slice(0, 6).join('\n');
    city = addressTown(head, [orgName, ...people], false) ?? cityFrom(head, orgName, people) ?? cityInBody(attachments);
  }
  confidence['organization.city'] ??= city ? 0.75 : 0.5;

  // -- website
  const mailDomains = new Set<string>();
  for (const m of `${ownText}\n${attachments}`.matchAll(/(?<![\w.+-])[\w.+-]{1,64}@([\w-]+(?:\.[\w-]+)+)/g)) mailDomains.add(m[1]!.toLowerCase());
  if (input.sender) mailDomains.add(domainOf(input.sender.address));
  const site =
    (structured.website ? websites(structured.website, input.ownDomains, mailDomains)[0] : undefined) ??
    websites(signature, input.ownDomains, mailDomains)[0] ??
    websites(body, input.ownDomains, mailDomains)[0] ??
    (attachments ? websites(attachments, input.ownDomains, mailDomains)[0] : undefined) ??
    null;
  confidence['organization.website'] = site ? 0.85 : 0.6;

  // -- contact: a designated person, a structured list, Reply-To, From.
  const ownAddrs = input.ownAddresses;
  // The coalition's own people (its mailbox's domain, coordinators) are never the requester.
  const isOwn = (address: string): boolean =>
    ownAddrs.some((o) => sameAddress(o, address)) || input.ownDomains.some((d) => domainOf(address) === d);
  let contactEmail: string | null = null;
  let contactName: string | null = null;
  let contactPhone: string | null = null;
  let emailConf = 0.9;
  const personExclude = new Set<string>();
  if (input.sender?.name) personExclude.add(nameKey(input.sender.name));
  if (structured.contactName && personLike(stripHonorific(structured.contactName.split(/[,(]/)[0]!.trim()))) {
    contactName = structured.contactName.split(/[,(]/)[0]!.trim();
  }
  for (const s of sentences(body)) {
    if (!DESIGNATION.test(s)) continue;
    const email = EMAIL.exec(s)?.[0];
    const selfNamed = /\b(?:I will|I shall|I am|I'll|my|un[eë] do t[eë] jem|un[eë] jam)\b/i.test(s) && personIn(s, personExclude) === null;
    const mentionsMe = (/\b(?:me|myself|mua|meje|ne|us)\b(?: directly| drejtp[eë]rdrejt)?/i.test(s) || selfNamed) && !email;
    if (mentionsMe) {
      // The sender names themself ("I will be the focal point; my mobile is ..."): the number given there is theirs.
      const own = phones(s)[0];
      if (own && !contactPhone) contactPhone = own.phone;
      continue;
    }
    const person = personIn(s, personExclude);
    const roleOnly = email !== undefined && !person && /^(?:info|office|contact|admin|secretariat|sekretaria|hello|mail|post|zyra|kontakt)@/i.test(email);
    if (email && !roleOnly && !isOwn(email)) {
      contactEmail = email;
      emailConf = 0.85;
      if (person) contactName = person;
      const p = phones(s)[0];
      if (p) contactPhone = p.phone;
      break;
    }
    if (person && !contactName) {
      contactName = person;
      const p = phones(s)[0];
      if (p) contactPhone = p.phone;
    }
  }
  if (!contactEmail && attachments && !isPersonal(input.replyTo, ownAddrs) && !isPersonal(input.sender, ownAddrs)) {
    // A letter sent from a role mailbox (info@) that names its contact person with their own address.
    const list = sentences(attachments.slice(0, 20_000));
    for (const [i, line] of list.entries()) {
      if (!DESIGNATION.test(line)) continue;
      // "Personi i kontaktit:" on its own line names the person on the next.
      const sent = /:\s*$/.test(line) && list[i + 1] ? `${line} ${list[i + 1]}` : line;
      const email = EMAIL.exec(sent)?.[0];
      if (!email || isOwn(email) || ROLE_LOCAL.test(email.split('@')[0]!)) continue;
      contactEmail = email;
      emailConf = 0.8;
      const person = personIn(sent, personExclude);
      if (person && !contactName) contactName = person;
      const p = phones(sent)[0];
      if (p && !contactPhone) contactPhone = p.phone;
      break;
    }
  }
  if (!contactEmail && structured.email) {
    const e = EMAIL.exec(structured.email)?.[0];
    if (e && !isOwn(e)) {
      contactEmail = e;
      emailConf = 0.9;
    }
  }
  if (!contactName && structured.contactName && personLike(stripHonorific(structured.contactName.split(/[,(]/)[0]!))) {
    contactName = structured.contactName.split(/[,(]/)[0]!.trim();
  }
  if (!contactEmail) {
    if (isPersonal(input.replyTo, ownAddrs) && !isOwn(input.replyTo!.address)) {
      contactEmail = input.replyTo!.address;
      if (!contactName && input.replyTo!.name && personLike(stripHonorific(input.replyTo!.name))) contactName = input.replyTo!.name;
      emailConf = 0.85;
    } else if (input.sender && !isOwn(input.sender.address)) {
      contactEmail = input.sender.address;
      emailConf = 0.9;
    }
  }
  if (!contactEmail) {
    // A request passed on without its sender (pasted by a coordinator): the address it gives.
    for (const m of ownText.matchAll(new RegExp(EMAIL.source, 'g'))) {
      if (!isOwn(m[0])) {
        contactEmail = m[0];
        emailConf = 0.6;
        break;
      }
    }
  }
  if (!contactName && input.sender?.name && contactEmail && sameAddress(contactEmail, input.sender.address)) {
    const n = stripHonorific(input.sender.name.replace(/^["']|["']$/g, ''));
    if (personLike(n)) contactName = n;
  }
  if (!contactName && signature) {
    // The first line of a signature that reads like a person's name ("Ilir", "Rezarta Çela").
    for (const line of signature.split('\n').slice(0, 3)) {
      const t = stripHonorific(line.trim().replace(/[,.]$/, ''));
      if (t && personLike(t) && !(orgName && sameOrganisation(t, orgName))) {
        contactName = t;
        break;
      }
    }
  }
  if (contactName) contactName = stripHonorific(collapse(contactName));
  confidence['contact.email'] = contactEmail ? emailConf : 0;
  confidence['contact.name'] = contactName ? 0.8 : 0.5;

  if (!contactPhone) contactPhone = bestPhone(structuredPhoneLines(ownText)) ?? bestPhone(signature);
  if (!contactPhone) {
    // A number in the body only when it is introduced as one.
    for (const p of phones(body)) {
      const before = fold(body.slice(Math.max(0, p.index - 30), p.index));
      if (/(?:tel|phone|mobile|mob|cel|gsm|numr|number|call|telefon)\w*\.?\s*(?::|is|eshte|at|ne)?\s*$/.test(before)) {
        contactPhone = p.phone;
        break;
      }
    }
  }
  if (!contactPhone && attachments) {
    // A letter that names its contact person gives that person's number there; the letterhead's is the office's.
    const designated = sentences(attachments).find((s) => DESIGNATION.test(s) && phones(s).length > 0);
    contactPhone = (designated ? bestPhone(designated) : null) ?? phones(attachments)[0]?.phone ?? null;
  }
  confidence['contact.phone'] = contactPhone ? 0.8 : 0.5;

  return {
    organization: { name: orgName, acronym, city, website: site },
    contact: { name: contactName, email: contactEmail, phone: contactPhone },
    confidence,
  };
}
