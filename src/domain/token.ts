import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Approval tokens: the proof that a reply answers a mail we sent to THAT
 * coordinator about THAT request.
 *
 *   token = base32(HMAC-SHA256(secret, "<REQUEST-ID>|<coordinator address, lower case>|<purpose>|<nonce>"))[:32]
 *
 * 32 base32 characters carry 160 bits (≥ 128 required). Lower-case base32
 * (a–z, 2–7) is safe in a Message-ID local part and survives clients that
 * fold case in References. The token travels in the Message-ID of each mail
 * we send a coordinator (approval request, decision echo, reminder, update):
 *
 *   Message-ID: <appr.req-7f3k2.a0.<token>@example.org>
 *
 * and comes back in the reply's In-Reply-To/References, which every ordinary
 * mail client keeps. The subject carries only the visible tag `[REQ-7F3K2]`.
 *
 * Nothing secret is stored per mail: the service recomputes the HMAC from the
 * request id and nonce in the reference and the reply's From address. A token
 * forwarded to someone else, moved to another request, or edited, does not
 * verify. Use is recorded by the caller (see TokenUse) so a reply counts once.
 */

export type TokenPurpose = 'decide' | 'digest';

/** Crockford-like alphabet without 0/O, 1/I/L, U: unambiguous when read aloud or retyped. */
export const REQUEST_ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REQUEST_ID_RE = /^REQ-[2-9A-HJKMNP-TV-Z]{5,8}$/;

/** A new request id from the CSPRNG, like REQ-7F3K2. */
export function newRequestId(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += REQUEST_ID_ALPHABET[randomInt(REQUEST_ID_ALPHABET.length)];
  return `REQ-${s}`;
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export const TOKEN_LENGTH = 32;

export function approvalToken(
  secret: string | Buffer,
  requestId: string,
  coordinator: string,
  purpose: TokenPurpose = 'decide',
  nonce = '',
): string {
  const mac = createHmac('sha256', secret)
    .update(`${requestId.toUpperCase()}|${coordinator.trim().toLowerCase()}|${purpose}|${nonce}`)
    .digest();
  return base32(mac.subarray(0, 20)).slice(0, TOKEN_LENGTH);
}

/** A token reference as found in a Message-ID we sent. */
export interface TokenRef {
  requestId: string;
  nonce: string;
  token: string;
}

const NONCE_RE = /^[a-z0-9]{1,12}$/;

/** The Message-ID local part of a mail to one coordinator about one request. */
export function tokenMessageIdLocal(
  secret: string | Buffer,
  requestId: string,
  coordinator: string,
  nonce: string,
): string {
  if (!NONCE_RE.test(nonce)) throw new Error(`bad token nonce "${nonce}"`);
  return `appr.${requestId.toLowerCase()}.${nonce}.${approvalToken(secret, requestId, coordinator, 'decide', nonce)}`;
}

const REF_RE = /appr\.(req-[2-9a-z]{5,8})\.([a-z0-9]{1,12})\.([a-z2-7]{32})@/gi;

/**
 * Every token reference in a reply's In-Reply-To and References, nearest
 * first (In-Reply-To, then References from the end).
 */
export function findTokenRefs(inReplyTo: string | null, references: readonly string[]): TokenRef[] {
  const ids = [inReplyTo ?? '', ...[...references].reverse()];
  const seen = new Set<string>();
  const out: TokenRef[] = [];
  for (const id of ids) {
    for (const m of id.matchAll(REF_RE)) {
      const ref = {
        requestId: (m[1] as string).toUpperCase(),
        nonce: (m[2] as string).toLowerCase(),
        token: (m[3] as string).toLowerCase(),
      };
      const k = `${ref.requestId}.${ref.nonce}.${ref.token}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(ref);
      }
    }
  }
  return out;
}

/** Constant-time check that `ref` was made for this request and this coordinator. */
export function verifyToken(secret: string | Buffer, ref: TokenRef, requestId: string, coordinator: string): boolean {
  if (ref.requestId.toUpperCase() !== requestId.toUpperCase()) return false;
  const expected = Buffer.from(approvalToken(secret, requestId, coordinator, 'decide', ref.nonce));
  const given = Buffer.from(ref.token.toLowerCase());
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** The `[REQ-7F3K2]` tag in a subject, if any. */
export function subjectRequestId(subject: string): string | null {
  const m = /\[(REQ-[2-9A-HJKMNP-TV-Z]{5,8})\]/i.exec(subject);
  return m ? (m[1] as string).toUpperCase() : null;
}

// ---------------------------------------------------------------- digest tokens

/**
 * A digest mail (src/domain/digest.ts) to one coordinator carries a token bound to the digest's number and that
 * coordinator, in the same way:
 *
 *   Message-ID: <dgst.12.d.<token>@example.org>        the digest itself
 *   Message-ID: <dgst.12.e<hash>.<token>@example.org>      the summary of a reply to it (same digest, same token)
 *
 *   token = base32(HMAC-SHA256(secret, "DIGEST-<n>|<coordinator>|digest|"))[:32]
 *
 * The middle part only makes each Message-ID unique. A reply citing it may decide only the requests that digest
 * listed (the caller checks them against the stored digest).
 */
export interface DigestRef {
  digest: number;
  variant: string;
  token: string;
}

const VARIANT_RE = /^[a-z0-9]{1,16}$/;

export function digestToken(secret: string | Buffer, digest: number, coordinator: string): string {
  return approvalToken(secret, `DIGEST-${digest}`, coordinator, 'digest', '');
}

/** The Message-ID local part of digest `digest` (or of a summary about it: another `variant`) to one coordinator. */
export function digestMessageIdLocal(secret: string | Buffer, digest: number, coordinator: string, variant: string): string {
  if (!Number.isInteger(digest) || digest < 1) throw new Error(`bad digest number ${digest}`);
  if (!VARIANT_RE.test(variant)) throw new Error(`bad digest variant "${variant}"`);
  return `dgst.${digest}.${variant}.${digestToken(secret, digest, coordinator)}`;
}

const DIGEST_REF_RE = /<dgst\.([1-9][0-9]{0,11})\.([a-z0-9]{1,16})\.([a-z2-7]{32})@/gi;

/** Every digest reference in a reply's In-Reply-To and References, nearest first. */
export function findDigestRefs(inReplyTo: string | null, references: readonly string[]): DigestRef[] {
  const ids = [inReplyTo ?? '', ...[...references].reverse()];
  const seen = new Set<string>();
  const out: DigestRef[] = [];
  for (const id of ids) {
    for (const m of id.matchAll(DIGEST_REF_RE)) {
      const ref = { digest: Number(m[1]), variant: (m[2] as string).toLowerCase(), token: (m[3] as string).toLowerCase() };
      const k = `${ref.digest}.${ref.variant}.${ref.token}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(ref);
      }
    }
  }
  return out;
}

/** Constant-time check that `ref` was made for this coordinator. */
export function verifyDigestToken(secret: string | Buffer, ref: DigestRef, coordinator: string): boolean {
  const expected = Buffer.from(digestToken(secret, ref.digest, coordinator));
  const given = Buffer.from(ref.token.toLowerCase());
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}
