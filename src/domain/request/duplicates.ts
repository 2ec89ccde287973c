import { domainOf } from '../mail.ts';
import { normaliseName } from '../statement.ts';
import type { Organization } from './schema.ts';

// ---------------------------------------------------------------- duplicates

/** Free-mail providers: a shared domain says nothing about the organisation. */
const FREEMAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'gmx.com',
  'gmx.net',
  'mail.com',
  'yandex.com',
  'zoho.com',
  'abv.bg',
  'web.de',
]);

export function isFreemail(domain: string): boolean {
  return FREEMAIL.has(domain.toLowerCase());
}

/** Lowercase, no diacritics or punctuation, single spaces (the statement's own comparison). */
export const normaliseOrgName = normaliseName;

export interface KnownOrganisation {
  id: string;
  name: string;
  acronym: string | null;
  /** Addresses known for it (signatory contact, request sender/reply). */
  emails: string[];
  /** Signatory position (1-based) or the pending request id. */
  position?: number;
}

export type DuplicateMatch = { on: 'name' | 'acronym' | 'domain'; org: KnownOrganisation } | null;

/**
 * Does this organisation already exist among `known` (signatories or open
 * requests)? Matches on the normalised name, the acronym (≥ 2 characters), or
 * the sender's domain when it is not a free-mail provider.
 */
export function findDuplicate(
  org: Organization,
  senderAddress: string,
  known: readonly KnownOrganisation[],
): DuplicateMatch {
  const name = org.name ? normaliseOrgName(org.name) : '';
  const acronym = org.acronym ? normaliseOrgName(org.acronym) : '';
  const domain = domainOf(senderAddress);
  for (const k of known) {
    if (name && normaliseOrgName(k.name) === name) return { on: 'name', org: k };
    if (acronym.length >= 2 && k.acronym && normaliseOrgName(k.acronym) === acronym) return { on: 'acronym', org: k };
    if (name && k.acronym && normaliseOrgName(k.acronym) === name) return { on: 'acronym', org: k };
  }
  if (domain && !isFreemail(domain)) {
    for (const k of known) {
      if (k.emails.some((e) => domainOf(e) === domain)) return { on: 'domain', org: k };
    }
  }
  return null;
}

// ---------------------------------------------------------------- the open-request index

/**
 * What a live request can be found by, so a new message looks up only the few
 * requests it could match instead of reading every open one (a backlog of
 * thousands made that quadratic). The store keeps one set of request ids per
 * entry. Every request `findDuplicate` could match for an organisation is in
 * one of `lookupEntries(org, sender)`.
 */
export interface Indexed {
  kind: 'join' | 'withdrawal';
  organization: Pick<Organization, 'name' | 'acronym'>;
  senderAddress: string;
  replyAddress: string;
  signatoryId?: string | null;
}

function domainEntry(address: string): string | null {
  const d = domainOf(address);
  return d && !isFreemail(d) ? `domain:${d}` : null;
}

export function indexEntries(r: Indexed): string[] {
  const out = new Set<string>();
  const name = r.organization.name ? normaliseOrgName(r.organization.name) : '';
  const acronym = r.organization.acronym ? normaliseOrgName(r.organization.acronym) : '';
  if (name) out.add(`name:${name}`);
  if (acronym) out.add(`acronym:${acronym}`);
  for (const a of [r.senderAddress, r.replyAddress]) {
    const d = a ? domainEntry(a) : null;
    if (d) out.add(d);
  }
  if (r.replyAddress) out.add(`reply:${r.replyAddress.toLowerCase()}`);
  if (r.signatoryId) out.add(`signatory:${r.signatoryId}`);
  return [...out];
}

/** The entries under which every open request `findDuplicate(org, sender, …)` could match is kept. */
export function lookupEntries(org: Pick<Organization, 'name' | 'acronym'>, senderAddress: string): string[] {
  const out = new Set<string>();
  const name = org.name ? normaliseOrgName(org.name) : '';
  const acronym = org.acronym ? normaliseOrgName(org.acronym) : '';
  if (name) {
    out.add(`name:${name}`);
    out.add(`acronym:${name}`);
  }
  if (acronym) out.add(`acronym:${acronym}`);
  const d = senderAddress ? domainEntry(senderAddress) : null;
  if (d) out.add(d);
  return [...out];
}
