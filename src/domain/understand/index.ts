import { z } from 'zod';
import type { MailAddress, MailInput } from '../mail.ts';
import { domainOf, header, sameAddress } from '../mail.ts';
import { anyAutomatic, automaticSignals, autoReplyWording, isAutoReplySentence } from './automatic.ts';
import { extract, FREE_MAIL } from './extract.ts';
import { mentionsMembership, scoreIntent } from './intent.ts';
import { detectLanguage } from './language.ts';
import { looksLikePhishing } from './phishing.ts';
import { sentences } from './text.ts';
import { parseAddressText, splitMail, splitText, type Split } from './segments.ts';

/**
 * Reading one message as a careful coordinator would: what it is, in which
 * language to answer, and who is asking. Pure: no I/O, the same input always
 * gives the same reading.
 */

export const KINDS = ['join_request', 'withdrawal', 'auto_reply', 'bounce', 'other'] as const;
export type Kind = (typeof KINDS)[number];

const nullableString = z.string().min(1).nullable();

export const ReadingSchema = z.object({
  kind: z.enum(KINDS),
  language: z.enum(['sq', 'en']).nullable(),
  organization: z
    .object({ name: nullableString, acronym: nullableString, city: nullableString, website: nullableString })
    .nullable(),
  contact: z.object({ name: nullableString, email: nullableString, phone: nullableString }).nullable(),
  /** 0..1 for 'kind', 'language' and each extracted field ('organization.name', 'contact.email' ...). */
  confidence: z.record(z.string(), z.number().min(0).max(1)),
  /** Required fields that could not be found, e.g. ['organization.name'] — the acknowledgement asks for them. */
  missing: z.array(z.string()),
  attachments: z.array(z.object({ filename: z.string().nullable(), contentType: z.string(), size: z.number().int().nonnegative() })),
  /** Machine-generated (RFC 3834, DSN, list mail...): never answer it. */
  automatic: z.boolean(),
  /** True when the request was read from a forwarded message (inline or attached). */
  forwarded: z.boolean(),
  /**
   * A possible request: the mail may be a join request but the reader is not sure (weak wording,
   * no organisation found, or a human's request sent by a machine that must not be answered
   * automatically). Coordinators are shown it to open (PO/JOIN) or close (JO/NO); the sender gets
   * nothing yet. Never true for bounces and auto-replies.
   */
  possible: z.boolean(),
  /** Why it is only possible, for the coordinators ('weak_wording', 'no_organisation', 'sent_by_machine'); null otherwise. */
  possibleReason: z.enum(['weak_wording', 'no_organisation', 'sent_by_machine']).nullable(),
});
export type Reading = z.infer<typeof ReadingSchema>;

export interface UnderstandOptions {
  /** The coalition's own mailbox (info@...). Defaults to Delivered-To / X-Original-To. */
  coalitionAddress?: string;
  /** Coordinators' addresses: their mail is never the requester's. */
  knownCoordinators?: string[];
}

export { isAutomatic, automaticSignals } from './automatic.ts';
export { newText, replyLines, splitMail, splitText, type Split, type Forwarded } from './segments.ts';
export { detectLanguage } from './language.ts';
export { scoreIntent } from './intent.ts';

/** Required fields per kind: what an acknowledgement must ask for when it is missing. */
const REQUIRED: Partial<Record<Kind, string[]>> = {
  join_request: ['organization.name', 'contact.email', 'contact.name'],
  withdrawal: ['organization.name', 'contact.email'],
};

const JOIN_THRESHOLD = 2;
/** Below a clear request, at or above this a mail that leans towards one is shown to coordinators. */
const POSSIBLE_THRESHOLD = 1;

interface RequestSource {
  text: Split;
  sender: MailAddress | null;
  replyTo: MailAddress | null;
  forwarded: boolean;
}

/** Letters attached as documents (not returned messages): their text counts as given. */
function documentText(mail: MailInput): string {
  return mail.attachments
    .filter((a) => !a.isMessage && a.text && !/^message\/|^text\/rfc822/.test(a.contentType))
    .map((a) => a.text!)
    .join('\n\n')
    .slice(0, MAX_TEXT);
}

function attachedMessage(mail: MailInput): { sender: MailAddress | null; replyTo: MailAddress | null; split: Split } | null {
  const att = mail.attachments.find((a) => a.isMessage && a.contentType !== 'text/rfc822-headers' && a.text);
  if (!att?.text) return null;
  const text = att.text;
  const blank = text.search(/\n\s*\n/);
  const head = blank < 0 ? '' : text.slice(0, blank);
  const from = /^From:\s*(.+)$/im.exec(head)?.[1];
  const replyTo = /^Reply-To:\s*(.+)$/im.exec(head)?.[1];
  const subject = /^Subject:\s*(.*)$/im.exec(head)?.[1] ?? '';
  return {
    sender: from ? parseAddressText(from) : null,
    replyTo: replyTo ? parseAddressText(replyTo) : null,
    split: splitText(blank < 0 ? text : text.slice(blank), subject),
  };
}

function withoutAutoReplySentences(text: string): string {
  return sentences(text)
    .filter((s) => !isAutoReplySentence(s))
    .join('\n\n');
}

/** No request is longer; bounding the text bounds the time a hostile message can cost. */
const MAX_TEXT = 20_000;

/** A subject that answers one ("Re:", "AW:", "Përgj:" …): the sender's subject then names nothing new. */
const REPLY_PREFIX = /^\s*(?:re|aw|sv|odp|r|p[eë]rgj)\s*:/i;

export function understand(mail: MailInput, opts: UnderstandOptions = {}): Reading {
  if (mail.text.length > MAX_TEXT) mail = { ...mail, text: mail.text.slice(0, MAX_TEXT) };
  const coalition = opts.coalitionAddress ?? header(mail, 'delivered-to') ?? header(mail, 'x-original-to') ?? null;
  const ownAddresses = [coalition, ...(opts.knownCoordinators ?? [])].filter((a): a is string => !!a && a.includes('@'));
  // A webmail domain (a coalition on gmail.com) is everybody's, never the coalition's own.
  const ownDomains = [...new Set(ownAddresses.map(domainOf).filter((d) => d !== '' && !FREE_MAIL.test(`${d}.`)))];
  const attachments = mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size }));
  const signals = automaticSignals(mail);
  const automatic = anyAutomatic(signals);
  const split = splitMail(mail);
  const confidence: Record<string, number> = {};

  const base = { attachments, forwarded: false };
  const ownForLanguage = split.own;

  // 1. Delivery status notifications, whatever they carry (a returned join request stays a bounce).
  if (signals.dsn) {
    const lang = detectLanguage(ownForLanguage || mail.subject);
    return finish({ ...base, kind: 'bounce', language: lang.language, automatic: true, confidence: { kind: 0.97, language: lang.confidence } });
  }

  // 2. Auto-replies: by header, by localised subject, or by wording alone.
  const wording = autoReplyWording(split.own);
  const byHeader = signals.autoReplyHeader || signals.receipt || (signals.autoSubmitted && wording >= 1);
  const isReplyish = mail.inReplyTo !== null || REPLY_PREFIX.test(mail.subject);
  if (byHeader || signals.autoSubject) {
    const lang = detectLanguage(ownForLanguage || mail.subject);
    return finish({ ...base, kind: 'auto_reply', language: lang.language, automatic: true, confidence: { kind: byHeader && signals.autoSubject ? 0.98 : 0.93, language: lang.confidence } });
  }

  // 3. The request itself: own text, or the original of a human forward.
  const docs = documentText(mail);
  let source: RequestSource = { text: split, sender: mail.from[0] ?? null, replyTo: mail.replyTo[0] ?? null, forwarded: false };
  // Sentences that say "I am away" or "for urgent matters contact ..." say nothing about joining,
  // even when they name the coalition ("our membership in the Coalition").
  const intentText = wording > 0 ? withoutAutoReplySentences(split.own) : split.own;
  const ownIntent = scoreIntent({ text: intentText, subject: mail.subject, attachmentText: docs });
  let intent = ownIntent;
  const fwd = split.forward;
  const attached = fwd ? null : attachedMessage(mail);
  if (!automatic && (fwd || attached)) {
    const fText = fwd ? splitText(fwd.text, fwd.subject ?? '') : attached!.split;
    const fIntent = scoreIntent({ text: fText.own, subject: fwd?.subject ?? '' });
    const combined = { join: fIntent.join + ownIntent.join * 0.5, withdrawal: fIntent.withdrawal + ownIntent.withdrawal * 0.5, evidence: [...ownIntent.evidence, ...fIntent.evidence] };
    if (fIntent.join >= JOIN_THRESHOLD || fIntent.withdrawal >= JOIN_THRESHOLD || (combined.join >= JOIN_THRESHOLD && fIntent.join > 0) || (combined.withdrawal >= JOIN_THRESHOLD && fIntent.withdrawal > 0)) {
      intent = combined;
      source = {
        text: fText,
        sender: fwd ? fwd.from : attached!.sender,
        replyTo: fwd ? fwd.replyTo : attached!.replyTo,
        forwarded: true,
      };
    }
  }

  // Wording-only auto-replies (no header, no subject prefix): answers that say "I am away". When being
  // automatic is plausible, an auto-reply wins over a join request: answering a machine costs a loop,
  // missing a real request costs one more mail from a person who is, by its own words, not there.
  const clearRequest = intent.join >= JOIN_THRESHOLD || intent.withdrawal >= JOIN_THRESHOLD;
  const sayingAway =
    wording >= 3 ||
    (wording === 2 && (isReplyish || split.own.length < 1500 || !clearRequest)) ||
    (wording === 1 && isReplyish && split.own.length < 600 && !clearRequest);
  if (!source.forwarded && sayingAway) {
    const lang = detectLanguage(ownForLanguage);
    return finish({ ...base, kind: 'auto_reply', language: lang.language, automatic: true, confidence: { kind: 0.75, language: lang.confidence } });
  }

  // Mass mail (list headers, Precedence: bulk) is read like any other: a person's request sent through a
  // CRM is still a request, and being automatic makes it a possible one that nobody answers by machine.
  const threshold = JOIN_THRESHOLD;
  let kind: Kind = 'other';
  if (intent.withdrawal >= threshold && intent.withdrawal >= intent.join) kind = 'withdrawal';
  else if (intent.join >= threshold) kind = 'join_request';
  // A lure ("review and sign ... or be removed", failed sender authentication, disguised links) is
  // never a request, whatever its words say.
  if (kind !== 'other' && !source.forwarded && looksLikePhishing(mail, split.own)) kind = 'other';
  const strength = Math.max(intent.join, intent.withdrawal);
  confidence.kind = kind === 'other' ? (strength === 0 ? 0.9 : Math.max(0.5, 0.85 - strength * 0.15)) : Math.min(0.98, 0.6 + strength * 0.1);

  const langText = kind !== 'other' && source.forwarded ? source.text.own : ownForLanguage;
  const lang = detectLanguage(langText.trim() ? langText : mail.subject);
  confidence.language = lang.confidence;

  if (kind === 'other') {
    // Wording that leans towards a request without making it clear: the coordinators decide.
    // Never mass mail (a newsletter about OGP), never mail that speaks of neither joining, the coalition,
    // its statement nor OGP: the net stays a net, not a second inbox.
    const weak =
      intent.join >= POSSIBLE_THRESHOLD &&
      !signals.bulk &&
      mentionsMembership(`${mail.subject}\n${source.text.own}`) &&
      !looksLikePhishing(mail, split.own);
    return finish({ ...base, kind, language: lang.language, automatic, confidence, possibleReason: weak ? 'weak_wording' : null });
  }

  const sender = source.sender;
  const ext = extract({
    body: source.text.body,
    signature: source.text.signature,
    attachments: docs,
    sender,
    replyTo: source.replyTo,
    organizationHeader: source.forwarded ? null : header(mail, 'organization'),
    subject: source.forwarded ? (split.forward?.subject ?? '') : REPLY_PREFIX.test(mail.subject) ? '' : mail.subject,
    ownAddresses: ownAddresses.filter((a) => !(sender && sameAddress(a, sender.address) && source.forwarded)),
    ownDomains,
  });
  Object.assign(confidence, ext.confidence);
  // A human's request sent by a machine (a web form, a CRM) is never answered automatically at its
  // From (RFC 3834); a request with no organisation cannot be put to the coordinators as one.
  const possibleReason =
    kind !== 'join_request' ? null : automatic ? 'sent_by_machine' : !ext.organization?.name ? 'no_organisation' : null;
  return finish({
    ...base,
    possibleReason,
    kind,
    language: lang.language,
    automatic,
    forwarded: source.forwarded,
    organization: ext.organization,
    contact: ext.contact,
    confidence,
  });
}

function finish(r: {
  kind: Kind;
  language: 'sq' | 'en' | null;
  automatic: boolean;
  forwarded: boolean;
  attachments: Reading['attachments'];
  confidence: Record<string, number>;
  organization?: Reading['organization'];
  contact?: Reading['contact'];
  possibleReason?: Reading['possibleReason'];
}): Reading {
  const possibleReason = r.kind === 'auto_reply' || r.kind === 'bounce' ? null : (r.possibleReason ?? null);
  const organization = r.organization ?? null;
  const contact = r.contact ?? null;
  const values: Record<string, string | null> = {
    'organization.name': organization?.name ?? null,
    'organization.acronym': organization?.acronym ?? null,
    'organization.city': organization?.city ?? null,
    'organization.website': organization?.website ?? null,
    'contact.name': contact?.name ?? null,
    'contact.email': contact?.email ?? null,
    'contact.phone': contact?.phone ?? null,
  };
  const missing = (REQUIRED[r.kind] ?? []).filter((f) => !values[f]);
  const confidence: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.confidence)) confidence[k] = Math.round(Math.min(1, Math.max(0, v)) * 100) / 100;
  return {
    kind: r.kind,
    language: r.language,
    organization,
    contact,
    confidence,
    missing,
    attachments: r.attachments,
    automatic: r.automatic || r.kind === 'auto_reply' || r.kind === 'bounce',
    forwarded: r.forwarded,
    possible: possibleReason !== null,
    possibleReason,
  };
}
