import { domainOf, normaliseAddress, type MailInput } from './mail.ts';
import { explain, type Explanation } from './explanation.ts';
import { findDigestRefs, findTokenRefs, verifyDigestToken, verifyToken, type DigestRef, type TokenRef } from './token.ts';

/**
 * "Only a real coordinator can decide." A reply counts only when ALL hold:
 *
 *  (a) exactly one From address, and it is in COORDINATORS (address compared
 *      case-insensitively; the display name is never looked at);
 *  (b) it carries a token (In-Reply-To/References) bound to this request and
 *      to this From address — checked here; "unused" and "request not expired"
 *      are checked by the caller against the store;
 *  (c) in `dkim` mode, proof that the mail comes from the coordinator's domain:
 *      - AUTHSERV_ID set: the TOPMOST Authentication-Results header whose
 *        authserv-id is ours says dmarc=pass, or dkim=pass with header.d
 *        aligned to the From domain. Lower copies, other servers' headers and
 *        anything the sender wrote are ignored (RFC 8601 §5: only our own
 *        border MTA's header is trustworthy, and it is added on top).
 *      - AUTHSERV_ID not set: our own DKIM verification (mailauth), where a
 *        signature counts only with result === 'pass' (neutral, temperror,
 *        policy … never count), an aligned signing domain, and From among
 *        the signed headers.
 *  `token` mode skips (c) (development only: anyone who sees an approval
 *  request, e.g. via a forwarded mail, could then forge the From line).
 *
 * Everything here is pure; the DKIM evidence is computed by the adapter in
 * src/adapters/auth and passed in.
 */

export type AuthMode = 'dkim' | 'token';

/** One DKIM signature as verified by the adapter. */
export interface DkimEvidence {
  /** mailauth's status.result: 'pass' | 'fail' | 'neutral' | 'temperror' | 'permerror' | 'policy' | 'none'. */
  result: string;
  signingDomain: string;
  /** Lower-case names of the header fields the signature covers (h=). */
  signedHeaders: string[];
}

export type AuthFailure =
  | 'no_from'
  | 'several_from'
  | 'not_a_coordinator'
  | 'no_token'
  | 'token_mismatch'
  | 'no_authentication_results'
  | 'authentication_results_fail'
  | 'dkim_missing'
  | 'dkim_not_pass'
  | 'dkim_not_aligned';

const AUTH_FAILURE_SQ: Record<AuthFailure, string> = {
  no_from: 'mesazhi nuk ka adresë dërguesi (From)',
  several_from: 'mesazhi ka më shumë se një adresë dërguesi (From)',
  not_a_coordinator: 'dërguesi nuk është në listën e koordinatorëve',
  no_token: 'përgjigjja nuk i përgjigjet një emaili të kërkesës për miratim (mungon shenja e sigurisë)',
  token_mismatch: 'shenja e sigurisë nuk i përket këtij koordinatori ose kësaj kërkese',
  no_authentication_results: 'serveri ynë i postës nuk e ka vërtetuar mesazhin',
  authentication_results_fail: 'serveri ynë i postës nuk e vërtetoi domenin e dërguesit (DMARC/DKIM)',
  dkim_missing: 'mesazhi nuk ka nënshkrim DKIM',
  dkim_not_pass: 'nënshkrimi DKIM i mesazhit nuk u verifikua',
  dkim_not_aligned: 'nënshkrimi DKIM nuk është i domenit të dërguesit',
};

/** Why a reply was refused, for the coordinators' warning mail, in both languages. */
export function explainAuthFailure(reason: AuthFailure, detail: string): Explanation {
  return explain(AUTH_FAILURE_SQ[reason], detail);
}

export type AuthVerdict =
  | { ok: true; coordinator: string; ref: TokenRef; via: 'token' | 'authentication-results' | 'dkim' }
  | { ok: false; reason: AuthFailure; detail: string; coordinator: string | null; requestId: string | null };

/** Well-known two-label public suffixes, so "mail.partners.org.al" aligns with "partners.org.al" but not "org.al". */
const SECOND_LEVEL = new Set([
  'com.al',
  'org.al',
  'net.al',
  'edu.al',
  'gov.al',
  'mil.al',
  'co.uk',
  'org.uk',
  'ac.uk',
  'gov.uk',
  'com.mk',
  'org.mk',
  'org.rs',
  'co.rs',
  'com.gr',
  'org.gr',
  'com.au',
  'org.au',
  'co.nz',
  'com.br',
  'co.jp',
  'com.tr',
  'org.tr',
  'co.za',
  'com.cn',
  'co.in',
  'org.in',
]);

/** Second-level labels that country registries use as public suffixes. */
const GENERIC_SECOND = new Set([
  'ac',
  'co',
  'com',
  'edu',
  'gob',
  'gov',
  'go',
  'gv',
  'ltd',
  'me',
  'mil',
  'ne',
  'net',
  'nic',
  'or',
  'org',
  'plc',
  'sch',
]);

/** A reasonable organisational domain (RFC 7489 §3.2 without the full Public Suffix List): the last two labels, three under a known second-level suffix. */
export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  if (labels.length <= 2) return labels.join('.');
  const lastTwo = labels.slice(-2).join('.');
  const [second, tld] = labels.slice(-2) as [string, string];
  // Without the full list, a country TLD's generic second level (co.ke, edu.mk, com.ua …) is taken as a public
  // suffix too: otherwise anyone registering evil.co.ke would "align" with a coordinator at ngo.co.ke.
  const publicSecond = SECOND_LEVEL.has(lastTwo) || (tld.length === 2 && GENERIC_SECOND.has(second));
  return publicSecond ? labels.slice(-3).join('.') : lastTwo;
}

/** Relaxed alignment (RFC 7489 §3.1.1): same organisational domain. */
export function aligned(fromDomain: string, signingDomain: string): boolean {
  if (!fromDomain || !signingDomain) return false;
  return organisationalDomain(fromDomain) === organisationalDomain(signingDomain);
}

export interface ResInfo {
  method: string;
  result: string;
  props: Record<string, string>;
}

export interface AuthenticationResults {
  authservId: string;
  results: ResInfo[];
}

/**
 * Splits a header value on the ";" that separate results, with comments
 * removed. Quoted strings and comments (nested, with backslash escapes) are
 * honoured (RFC 5322 §3.2.2–3.2.4): our server copies sender-controlled text
 * (a quoted MAIL FROM local part, a HELO name) into its header, and a ";"
 * inside it must not start a new, forged result.
 */
function splitResults(value: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\' && (quoted || depth > 0)) {
      const next = value[i + 1] ?? '';
      if (depth === 0) cur += ch + next;
      i++;
      continue;
    }
    if (depth > 0) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      if (depth === 0) cur += ' ';
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') {
      depth = 1;
      continue;
    } else if (!quoted && ch === ';') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Parses one Authentication-Results header value (RFC 8601). Null when unreadable. */
export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  const parts = splitResults(value.replace(/\r?\n[ \t]+/g, ' ')).map((p) => p.trim());
  const head = parts.shift();
  if (!head) return null;
  const authservId = (head.split(/\s+/)[0] ?? '').toLowerCase();
  if (!authservId) return null;
  const results: ResInfo[] = [];
  for (const part of parts) {
    if (!part) continue;
    const tokens = part.match(/[^\s="]+\s*=\s*(?:"(?:[^"\\]|\\.)*"\S*|[^\s"]+)|"(?:[^"\\]|\\.)*"\S*|\S+/g) ?? [];
    const first = tokens.shift();
    if (!first) continue;
    const mr = /^([a-z0-9_-]+)(?:\/[0-9]+)?\s*=\s*([a-z]+)$/i.exec(first);
    if (!mr) continue;
    const props: Record<string, string> = {};
    for (const t of tokens) {
      const pm = /^([a-z0-9_-]+\.[a-z0-9_.-]+)\s*=\s*"?([^"]*)"?$/i.exec(t);
      if (pm) props[(pm[1] as string).toLowerCase()] = pm[2] as string;
    }
    results.push({ method: (mr[1] as string).toLowerCase(), result: (mr[2] as string).toLowerCase(), props });
  }
  return { authservId, results };
}

/**
 * Rule (c) with our receiving server's header: only the topmost
 * Authentication-Results carrying `authservId` is read.
 */
export function checkAuthenticationResults(
  headerValues: readonly string[],
  authservId: string,
  fromDomain: string,
): { ok: true } | { ok: false; reason: AuthFailure; detail: string } {
  const ours = headerValues
    .map((v) => parseAuthenticationResults(v))
    .find((r): r is AuthenticationResults => r !== null && r.authservId === authservId.toLowerCase());
  if (!ours)
    return { ok: false, reason: 'no_authentication_results', detail: `no Authentication-Results from ${authservId}` };
  for (const r of ours.results) {
    if (r.method === 'dmarc' && r.result === 'pass') {
      // Only a verdict about OUR From domain counts: a From like "<ana@coord…> mallory@evil…" is read as Ana by us
      // and may be judged as evil.example.com by the DMARC filter (RFC 7489 §11.2: header.from names the domain).
      const hf = r.props['header.from'];
      if (hf !== undefined && hf.toLowerCase() === fromDomain) return { ok: true };
    }
    if (r.method === 'dkim' && r.result === 'pass') {
      const d = r.props['header.d'] ?? domainOf(r.props['header.i'] ?? '');
      if (d && aligned(fromDomain, d)) return { ok: true };
    }
  }
  return {
    ok: false,
    reason: 'authentication_results_fail',
    detail: `${authservId} reports no dmarc=pass and no aligned dkim=pass for ${fromDomain}`,
  };
}

/** Rule (c) with our own DKIM verification: an aligned signature over From with result exactly 'pass'. */
export function checkDkimEvidence(
  evidence: readonly DkimEvidence[],
  fromDomain: string,
): { ok: true } | { ok: false; reason: AuthFailure; detail: string } {
  if (evidence.length === 0) return { ok: false, reason: 'dkim_missing', detail: 'the reply has no DKIM signature' };
  const passing = evidence.filter((e) => e.result === 'pass' && e.signedHeaders.includes('from'));
  if (passing.length === 0) {
    return {
      ok: false,
      reason: 'dkim_not_pass',
      detail: `DKIM result ${evidence.map((e) => `${e.signingDomain}=${e.result}`).join(', ')}`,
    };
  }
  if (!passing.some((e) => aligned(fromDomain, e.signingDomain))) {
    return {
      ok: false,
      reason: 'dkim_not_aligned',
      detail: `DKIM passes for ${passing.map((e) => e.signingDomain).join(', ')}, not aligned with ${fromDomain}`,
    };
  }
  return { ok: true };
}

export interface AuthorizeInput {
  mail: MailInput;
  coordinators: readonly string[];
  mode: AuthMode;
  secret: string | Buffer;
  authservId?: string | undefined;
  /**
   * The Authentication-Results values exactly as received (unfolded, not
   * RFC 2047-decoded), top to bottom. Without it the parsed headers are used,
   * whose encoded words are already decoded: the adapter should always pass it.
   */
  authenticationResults?: readonly string[] | undefined;
  /** Our DKIM verification of the raw message; required in dkim mode without AUTHSERV_ID. */
  dkim?: readonly DkimEvidence[] | undefined;
}

/** Rule (a) alone: the one From address, if it is a coordinator's. */
export function coordinatorSender(
  mail: MailInput,
  coordinators: readonly string[],
): { ok: true; coordinator: string } | { ok: false; reason: AuthFailure; detail: string; address: string | null } {
  const fromHeaders = mail.headers['from'] ?? [];
  if (mail.from.length === 0) return { ok: false, reason: 'no_from', detail: 'no From address', address: null };
  if (mail.from.length > 1 || fromHeaders.length > 1) {
    return { ok: false, reason: 'several_from', detail: 'more than one From address', address: null };
  }
  const address = normaliseAddress((mail.from[0] as { address: string }).address);
  const coordinator = coordinators.map(normaliseAddress).find((c) => c === address);
  if (!coordinator)
    return { ok: false, reason: 'not_a_coordinator', detail: `${address} is not a coordinator`, address };
  return { ok: true, coordinator };
}

/** Rules (a), (b: binding) and (c). Token use and request state are the caller's. */
export function authorizeReply(input: AuthorizeInput): AuthVerdict {
  const { mail } = input;
  const refs = findTokenRefs(mail.inReplyTo, mail.references);
  const sender = coordinatorSender(mail, input.coordinators);
  const anyRequest = refs[0]?.requestId ?? null;
  if (!sender.ok) {
    return { ok: false, reason: sender.reason, detail: sender.detail, coordinator: null, requestId: anyRequest };
  }
  const coordinator = sender.coordinator;
  if (refs.length === 0)
    return {
      ok: false,
      reason: 'no_token',
      detail: 'no approval token in In-Reply-To/References',
      coordinator,
      requestId: null,
    };
  const ref = refs.find((r) => verifyToken(input.secret, r, r.requestId, coordinator));
  if (!ref) {
    return {
      ok: false,
      reason: 'token_mismatch',
      detail: 'the token was not issued to this coordinator for this request',
      coordinator,
      requestId: anyRequest,
    };
  }
  const proof = domainProof(input, coordinator);
  if (!proof.ok)
    return { ok: false, reason: proof.reason, detail: proof.detail, coordinator, requestId: ref.requestId };
  return { ok: true, coordinator, ref, via: proof.via };
}

/** Rule (c): in `dkim` mode, our server's Authentication-Results or our own DKIM check proves the From domain. */
function domainProof(
  input: AuthorizeInput,
  coordinator: string,
): { ok: true; via: 'token' | 'authentication-results' | 'dkim' } | { ok: false; reason: AuthFailure; detail: string } {
  if (input.mode === 'token') return { ok: true, via: 'token' };
  const fromDomain = domainOf(coordinator);
  const check = input.authservId
    ? checkAuthenticationResults(
        input.authenticationResults ?? input.mail.headers['authentication-results'] ?? [],
        input.authservId,
        fromDomain,
      )
    : checkDkimEvidence(input.dkim ?? [], fromDomain);
  if (!check.ok) return check;
  return { ok: true, via: input.authservId ? 'authentication-results' : 'dkim' };
}

export type DigestVerdict =
  | { ok: true; coordinator: string; ref: DigestRef; via: 'token' | 'authentication-results' | 'dkim' }
  | { ok: false; reason: AuthFailure; detail: string; coordinator: string | null; requestId: null };

/**
 * A reply to a digest (src/domain/digest.ts): the same rules (a) and (c), and (b) with the digest's token — bound
 * to that digest and this From address. Which requests it may decide (only those the digest listed) is the caller's.
 */
export function authorizeDigestReply(input: AuthorizeInput): DigestVerdict {
  const refs = findDigestRefs(input.mail.inReplyTo, input.mail.references);
  const sender = coordinatorSender(input.mail, input.coordinators);
  if (!sender.ok) return { ok: false, reason: sender.reason, detail: sender.detail, coordinator: null, requestId: null };
  const coordinator = sender.coordinator;
  if (refs.length === 0) {
    return { ok: false, reason: 'no_token', detail: 'no digest token in In-Reply-To/References', coordinator, requestId: null };
  }
  const ref = refs.find((r) => verifyDigestToken(input.secret, r, coordinator));
  if (!ref) {
    return {
      ok: false,
      reason: 'token_mismatch',
      detail: 'the digest token was not issued to this coordinator',
      coordinator,
      requestId: null,
    };
  }
  const proof = domainProof(input, coordinator);
  if (!proof.ok) return { ok: false, reason: proof.reason, detail: proof.detail, coordinator, requestId: null };
  return { ok: true, coordinator, ref, via: proof.via };
}
