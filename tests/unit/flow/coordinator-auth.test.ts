import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { verifyDkim } from '../../../src/adapters/auth/dkim.ts';
import { rawHeaderValues } from '../../../src/adapters/auth/headers.ts';
import {
  aligned,
  authorizeReply,
  checkAuthenticationResults,
  checkDkimEvidence,
  organisationalDomain,
  parseAuthenticationResults,
} from '../../../src/domain/coordinator-auth.ts';
import { tokenMessageIdLocal } from '../../../src/domain/token.ts';
import { mail } from './support/builders.ts';

const SECRET = 's'.repeat(64);
const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const COORDINATORS = [ANA, BESA];
const REQ = 'REQ-7F3K2';
const tokenId = (coordinator: string, req = REQ) =>
  `<${tokenMessageIdLocal(SECRET, req, coordinator, 'a0')}@example.org>`;

describe('who may decide (token mode)', () => {
  const base = { coordinators: COORDINATORS, mode: 'token' as const, secret: SECRET };
  it('accepts a coordinator replying to her own approval request', () => {
    const v = authorizeReply({ ...base, mail: mail({ inReplyTo: tokenId(ANA), references: [tokenId(ANA)] }) });
    expect(v).toMatchObject({ ok: true, coordinator: ANA, via: 'token' });
  });
  it('compares the address case-insensitively', () => {
    const v = authorizeReply({
      ...base,
      mail: mail({ fromAddress: 'Ana@COORD.example.org', inReplyTo: tokenId(ANA) }),
    });
    expect(v.ok).toBe(true);
  });
  it('refuses a spoofed coordinator From with no token', () => {
    expect(authorizeReply({ ...base, mail: mail({ inReplyTo: null }) })).toMatchObject({
      ok: false,
      reason: 'no_token',
    });
  });
  it('refuses the right token from someone who is not a coordinator', () => {
    const v = authorizeReply({
      ...base,
      mail: mail({ fromAddress: 'mallory@evil.example.com', inReplyTo: tokenId(ANA) }),
    });
    expect(v).toMatchObject({ ok: false, reason: 'not_a_coordinator', requestId: REQ });
  });
  it('refuses a token forwarded from one coordinator to the other', () => {
    const v = authorizeReply({ ...base, mail: mail({ fromAddress: BESA, inReplyTo: tokenId(ANA) }) });
    expect(v).toMatchObject({ ok: false, reason: 'token_mismatch' });
  });
  it('refuses a display name that looks like a coordinator over another address', () => {
    const v = authorizeReply({
      ...base,
      mail: mail({
        from: [{ name: 'ana@coord.example.org', address: 'koordinator@evil.example.com' }],
        inReplyTo: tokenId(ANA),
      }),
    });
    expect(v).toMatchObject({ ok: false, reason: 'not_a_coordinator' });
  });
  it('refuses several From addresses', () => {
    const v = authorizeReply({
      ...base,
      mail: mail({
        from: [
          { name: '', address: ANA },
          { name: '', address: 'x@evil.example.com' },
        ],
        inReplyTo: tokenId(ANA),
      }),
    });
    expect(v).toMatchObject({ ok: false, reason: 'several_from' });
  });
  it('refuses a second From header line, even when the parsed From shows only the coordinator', () => {
    const v = authorizeReply({
      ...base,
      mail: mail({ inReplyTo: tokenId(ANA), headers: { from: [ANA, 'mallory@evil.example.com'] } }),
    });
    expect(v).toMatchObject({ ok: false, reason: 'several_from' });
  });
  it('refuses a token whose request id was edited', () => {
    const forged = tokenId(ANA).replace('req-7f3k2', 'req-9abcd');
    expect(authorizeReply({ ...base, mail: mail({ inReplyTo: forged }) })).toMatchObject({
      ok: false,
      reason: 'token_mismatch',
    });
  });
});

describe('Authentication-Results (AUTHSERV_ID set)', () => {
  const OURS = 'mx.example.org';
  const withAr = (values: string[]) =>
    authorizeReply({
      coordinators: COORDINATORS,
      mode: 'dkim',
      secret: SECRET,
      authservId: OURS,
      mail: mail({ inReplyTo: tokenId(ANA), headers: { 'authentication-results': values } }),
    });
  it('parses methods, results and properties, ignoring comments', () => {
    const ar = parseAuthenticationResults(
      'mx.example.org 1; dkim=pass (2048-bit key) header.d=coord.example.org header.s=sel; spf=pass smtp.mailfrom=ana@coord.example.org; dmarc=pass (p=reject) header.from=coord.example.org',
    );
    expect(ar?.authservId).toBe('mx.example.org');
    expect(ar?.results.map((r) => `${r.method}=${r.result}`)).toEqual(['dkim=pass', 'spf=pass', 'dmarc=pass']);
    expect(ar?.results[0]?.props['header.d']).toBe('coord.example.org');
  });
  it('accepts dmarc=pass from our server', () => {
    expect(withAr([`${OURS}; dmarc=pass header.from=coord.example.org`]).ok).toBe(true);
  });
  it('accepts an aligned dkim=pass from our server, also from a subdomain', () => {
    expect(withAr([`${OURS}; dkim=pass header.d=coord.example.org; dmarc=none`]).ok).toBe(true);
    expect(withAr([`${OURS}; dkim=pass header.d=mail.example.org`]).ok).toBe(true);
  });
  it('refuses a dkim=pass of an unrelated domain', () => {
    expect(withAr([`${OURS}; dkim=pass header.d=evil.example.com; dmarc=fail`])).toMatchObject({
      ok: false,
      reason: 'authentication_results_fail',
    });
  });
  it('reads only the topmost header carrying our authserv-id', () => {
    // Our server says fail on top; a lower copy (written by the sender, or an earlier hop) says pass.
    expect(withAr([`${OURS}; dkim=fail header.d=coord.example.org; dmarc=fail`, `${OURS}; dmarc=pass`]).ok).toBe(false);
    // Foreign servers' passes do not count.
    expect(withAr([`mx.evil.example.com; dmarc=pass header.from=coord.example.org`])).toMatchObject({
      ok: false,
      reason: 'no_authentication_results',
    });
    // A foreign header on top does not hide ours below it.
    expect(withAr([`other.example.net; dmarc=fail`, `${OURS}; dmarc=pass header.from=coord.example.org`]).ok).toBe(
      true,
    );
  });
  it('refuses a reply without any Authentication-Results', () => {
    expect(withAr([])).toMatchObject({ ok: false, reason: 'no_authentication_results' });
  });
  it('checks the authserv-id exactly, not as a substring', () => {
    expect(
      checkAuthenticationResults([`mx.example.org.evil.example.com; dmarc=pass`], OURS, 'coord.example.org').ok,
    ).toBe(false);
  });
});

describe('DKIM alignment', () => {
  it('uses the organisational domain', () => {
    expect(organisationalDomain('mail.partners.org.al')).toBe('partners.org.al');
    expect(organisationalDomain('a.b.coord.example.org')).toBe('example.org');
    expect(aligned('coord.example.org', 'example.org')).toBe(true);
    expect(aligned('coord.example.org', 'example.com')).toBe(false);
    expect(aligned('partners.org.al', 'other.org.al')).toBe(false);
  });
  it('counts only result === "pass" with From signed and aligned', () => {
    expect(
      checkDkimEvidence(
        [{ result: 'pass', signingDomain: 'coord.example.org', signedHeaders: ['from', 'to'] }],
        'coord.example.org',
      ).ok,
    ).toBe(true);
    expect(
      checkDkimEvidence(
        [{ result: 'neutral', signingDomain: 'coord.example.org', signedHeaders: ['from'] }],
        'coord.example.org',
      ).ok,
    ).toBe(false);
    expect(
      checkDkimEvidence(
        [{ result: 'temperror', signingDomain: 'coord.example.org', signedHeaders: ['from'] }],
        'coord.example.org',
      ).ok,
    ).toBe(false);
    expect(
      checkDkimEvidence(
        [{ result: 'pass', signingDomain: 'coord.example.org', signedHeaders: ['to'] }],
        'coord.example.org',
      ).ok,
    ).toBe(false);
    expect(
      checkDkimEvidence(
        [{ result: 'pass', signingDomain: 'evil.example.com', signedHeaders: ['from'] }],
        'coord.example.org',
      ),
    ).toMatchObject({
      ok: false,
      reason: 'dkim_not_aligned',
    });
    expect(checkDkimEvidence([], 'coord.example.org')).toMatchObject({ ok: false, reason: 'dkim_missing' });
  });
});

describe('DKIM verified by the service (mailauth, injected resolver)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const records: Record<string, string[][]> = { 'sel._domainkey.coord.example.org': [[`v=DKIM1; k=rsa; p=${pub}`]] };
  const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
    const r = rrtype === 'TXT' ? records[name.toLowerCase()] : undefined;
    if (r) return r;
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
  async function signed(from: string, domain: string, text = 'PO'): Promise<Buffer> {
    const tx = nodemailer.createTransport({
      streamTransport: true,
      buffer: true,
      newline: 'windows',
      dkim: { domainName: domain, keySelector: 'sel', privateKey: privPem },
    });
    const { message } = await tx.sendMail({
      from,
      to: 'info@example.org',
      subject: 'Re: [REQ-7F3K2]',
      text,
      inReplyTo: tokenId(ANA),
    });
    return message as Buffer;
  }
  const decide = async (raw: Buffer) =>
    authorizeReply({
      coordinators: COORDINATORS,
      mode: 'dkim',
      secret: SECRET,
      dkim: await verifyDkim(raw, resolver),
      mail: mail({ inReplyTo: tokenId(ANA) }),
    });
  it("accepts a reply signed by the coordinator's domain", async () => {
    expect(await decide(await signed(ANA, 'coord.example.org'))).toMatchObject({ ok: true, via: 'dkim' });
  });
  it('refuses a reply whose body was changed after signing', async () => {
    const raw = (await signed(ANA, 'coord.example.org')).toString().replace(/\r\nPO/, '\r\nJO');
    expect(await decide(Buffer.from(raw))).toMatchObject({ ok: false, reason: 'dkim_not_pass' });
  });
  it('refuses an unsigned reply and one signed with an unknown key', async () => {
    const tx = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const { message } = await tx.sendMail({ from: ANA, to: 'info@example.org', subject: 'x', text: 'PO' });
    expect(await decide(message as Buffer)).toMatchObject({ ok: false, reason: 'dkim_missing' });
    expect(await decide(await signed(ANA, 'evil.example.com'))).toMatchObject({ ok: false, reason: 'dkim_not_pass' });
  });
});

describe("reading our server's Authentication-Results safely", () => {
  const OURS = 'mx.example.org';
  const FROM_DOMAIN = 'coord.example.org';
  it('does not let a quoted MAIL FROM local part with ";" add a forged result', () => {
    // Our server records the attacker's envelope sender verbatim; its quoted local part holds a fake result.
    const value = `${OURS}; spf=fail smtp.mailfrom="x;dkim=pass header.d=coord.example.org x"@evil.example.com; dkim=none; dmarc=fail header.from=coord.example.org`;
    expect(parseAuthenticationResults(value)?.results.map((r) => `${r.method}=${r.result}`)).toEqual([
      'spf=fail',
      'dkim=none',
      'dmarc=fail',
    ]);
    expect(checkAuthenticationResults([value], OURS, FROM_DOMAIN).ok).toBe(false);
  });
  it('does not let a comment with an escaped parenthesis end early', () => {
    const value = `${OURS}; dkim=fail header.d=evil.example.com (helo x\\) ; dmarc=pass ); dmarc=fail`;
    expect(checkAuthenticationResults([value], OURS, FROM_DOMAIN).ok).toBe(false);
  });
  it('reads the headers as written, without decoding encoded words a sender put in them', () => {
    const raw = Buffer.from(
      [
        `Authentication-Results: ${OURS}; spf=fail smtp.helo==?us-ascii?q?x;_dkim=3Dpass_header.d=3Dcoord.example.org?=;`,
        '\tdkim=none; dmarc=fail header.from=coord.example.org',
        'Authentication-Results: other.example.net; dmarc=pass',
        `From: Ana <${ANA}>`,
        'Subject: Re: x',
        '',
        'PO',
        'Authentication-Results: not.a.header; dmarc=pass',
        '',
      ].join('\r\n'),
    );
    const values = rawHeaderValues(raw, 'Authentication-Results');
    expect(values).toEqual([
      `${OURS}; spf=fail smtp.helo==?us-ascii?q?x;_dkim=3Dpass_header.d=3Dcoord.example.org?=; dkim=none; dmarc=fail header.from=coord.example.org`,
      'other.example.net; dmarc=pass',
    ]);
    expect(checkAuthenticationResults(values, OURS, FROM_DOMAIN).ok).toBe(false);
  });
});

describe('DKIM alignment under public suffixes the short list does not name', () => {
  it('does not align two registrants of a country second-level domain', () => {
    expect(aligned('ngo.co.ke', 'evil.co.ke')).toBe(false);
    expect(aligned('shoqata.edu.mk', 'evil.edu.mk')).toBe(false);
    expect(aligned('ojq.com.ua', 'attacker.com.ua')).toBe(false);
    expect(aligned('mail.ngo.co.ke', 'ngo.co.ke')).toBe(true);
    expect(aligned('coord.example.org', 'example.org')).toBe(true);
  });
});

describe("our server's dmarc=pass names the From domain it checked", () => {
  const OURS = 'mx.example.org';
  it('refuses a dmarc=pass without header.from, which may have judged another From than ours', () => {
    // "<ana@coord.example.org> mallory@evil.example.com": we read Ana, a DMARC filter may read evil.example.com.
    expect(checkAuthenticationResults([`${OURS}; dmarc=pass`], OURS, 'coord.example.org')).toMatchObject({
      ok: false,
      reason: 'authentication_results_fail',
    });
    expect(
      checkAuthenticationResults([`${OURS}; dmarc=pass header.from=evil.example.com`], OURS, 'coord.example.org').ok,
    ).toBe(false);
    expect(
      checkAuthenticationResults([`${OURS}; dmarc=pass header.from=Coord.Example.org`], OURS, 'coord.example.org').ok,
    ).toBe(true);
  });
});
