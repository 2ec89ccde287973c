import { describe, expect, it } from 'vitest';
import { authorizeDigestReply } from '../../../src/domain/coordinator-auth.ts';
import { digestRoute, lineOutcome, parseDigestReply, parseDigestSetting } from '../../../src/domain/digest.ts';
import type { MailInput } from '../../../src/domain/mail.ts';
import type { RequestRecord } from '../../../src/domain/request.ts';
import { digestMessageIdLocal, findDigestRefs, findTokenRefs, verifyDigestToken } from '../../../src/domain/token.ts';

const GMAIL_QUOTE = [
  '',
  'On Mon, 30 Nov 2026 at 10:00, Koalicioni <info@example.org> wrote:',
  '> Si të vendosni: përgjigjuni këtij emaili',
  '> REQ-7F3K2 PO',
  '> REQ-7F3K2 JO',
].join('\n');

const SQ_QUOTE = [
  '',
  'Më 30 nëntor 2026, në 10:00, Koalicioni <info@example.org> shkroi:',
  '> REQ-9HX4M PO',
].join('\n');

/** A client that quotes without ">" (the original below the attribution only). */
const UNMARKED_QUOTE = ['', 'On Mon, 30 Nov 2026 at 10:00, Koalicioni <info@example.org>', 'wrote:', 'REQ-4KQ2P PO', 'REQ-4KQ2P JO'].join('\n');

function decisions(text: string) {
  return parseDigestReply(text).lines.map((l) => [l.reference, l.command]);
}

describe('a reply to a digest', () => {
  it('applies one line per request, Albanian and English words alike', () => {
    const text = ['Përshëndetje,', '', 'REQ-7F3K2 PO', 'REQ-9HX4M JO', 'REQ-4KQ2P yes', 'REQ-5MNP7 No', '', 'Ana'].join('\n');
    expect(decisions(`${text}${GMAIL_QUOTE}`)).toEqual([
      ['REQ-7F3K2', { type: 'approve' }],
      ['REQ-9HX4M', { type: 'reject', reason: null, shareReason: false }],
      ['REQ-4KQ2P', { type: 'approve' }],
      ['REQ-5MNP7', { type: 'reject', reason: null, shareReason: false }],
    ]);
    expect(parseDigestReply(text).refused).toEqual([]);
  });

  it('reads the words without diacritics, in any case, with punctuation and markdown around them', () => {
    const text = ['req-7f3k2 miratoj', '* REQ-9HX4M: refuzoj', '- [REQ-4KQ2P] Miratohet.', '*REQ-5MNP7* - anulo', 'REQ-6QRS8 MIRATOJ!'].join('\n');
    expect(decisions(text)).toEqual([
      ['REQ-7F3K2', { type: 'approve' }],
      ['REQ-9HX4M', { type: 'reject', reason: null, shareReason: false }],
      ['REQ-4KQ2P', { type: 'approve' }],
      ['REQ-5MNP7', { type: 'undo' }],
      ['REQ-6QRS8', { type: 'approve' }],
    ]);
  });

  it('keeps a rejection reason shared only with the explicit colon form, and internal otherwise', () => {
    const text = [
      'REQ-7F3K2 JO: nuk është organizatë e shoqërisë civile',
      'REQ-9HX4M JO (e brendshme): drejtori është zyrtar partie',
      'REQ-4KQ2P NO (internal): duplicate of REQ-5MNP7',
      'REQ-6QRS8 reject not registered',
    ].join('\n');
    expect(decisions(text)).toEqual([
      ['REQ-7F3K2', { type: 'reject', reason: 'nuk është organizatë e shoqërisë civile', shareReason: true }],
      ['REQ-9HX4M', { type: 'reject', reason: 'drejtori është zyrtar partie', shareReason: false }],
      ['REQ-4KQ2P', { type: 'reject', reason: 'duplicate of REQ-5MNP7', shareReason: false }],
      ['REQ-6QRS8', { type: 'reject', reason: 'not registered', shareReason: false }],
    ]);
  });

  it('never counts quoted text: ">" lines, the original below "On … wrote:" or "Më … shkroi:"', () => {
    expect(parseDigestReply(`REQ-5MNP7 PO${GMAIL_QUOTE}`).lines.map((l) => l.reference)).toEqual(['REQ-5MNP7']);
    expect(parseDigestReply(`REQ-5MNP7 PO${SQ_QUOTE}`).lines.map((l) => l.reference)).toEqual(['REQ-5MNP7']);
    expect(parseDigestReply(`REQ-5MNP7 PO${UNMARKED_QUOTE}`).lines.map((l) => l.reference)).toEqual(['REQ-5MNP7']);
    expect(parseDigestReply(['> REQ-7F3K2 PO', '>> REQ-9HX4M PO'].join('\n'))).toEqual({ lines: [], refused: [] });
    // Everything quoted, nothing new: nothing at all.
    expect(parseDigestReply(GMAIL_QUOTE.trim())).toEqual({ lines: [], refused: [] });
  });

  it('applies the same decision named twice once, and refuses two different ones for one request', () => {
    const r = parseDigestReply(['REQ-7F3K2 PO', 'REQ-7F3K2 yes', 'REQ-9HX4M PO', 'REQ-9HX4M JO', 'REQ-9HX4M PO'].join('\n'));
    expect(r.lines.map((l) => [l.reference, l.command.type])).toEqual([['REQ-7F3K2', 'approve']]);
    expect(r.refused).toHaveLength(1);
    expect(r.refused[0]).toMatchObject({ reference: 'REQ-9HX4M' });
    expect(r.refused[0]?.problem.en).toContain('two different decisions');
  });

  it('refuses a reference the desk never gives, a command without a reference, and a reference inside a sentence', () => {
    const r = parseDigestReply(['REQ-0OIL1 PO', 'PO', 'Please approve REQ-7F3K2 too', 'REQ-9HX4M maybe', 'REQ-4KQ2P PYET: where?', 'Thanks!'].join('\n'));
    expect(r.lines).toEqual([]);
    expect(r.refused.map((x) => x.reference)).toEqual([null, null, 'REQ-7F3K2', 'REQ-9HX4M', 'REQ-4KQ2P']);
    for (const x of r.refused) {
      expect(x.problem.sq).toMatch(/[ëç]/);
      expect(x.problem.en.length).toBeGreaterThan(10);
    }
  });

  it('reads "PO JO" and "No objections" after a reference as no decision', () => {
    const r = parseDigestReply(['REQ-7F3K2 PO JO', 'REQ-9HX4M No objections'].join('\n'));
    expect(r.lines).toEqual([]);
    expect(r.refused.map((x) => x.reference)).toEqual(['REQ-7F3K2', 'REQ-9HX4M']);
  });

  it('stops at a signature and a phone footer', () => {
    const r = parseDigestReply(['REQ-7F3K2 PO', '-- ', 'REQ-9HX4M PO'].join('\n'));
    expect(r.lines.map((l) => l.reference)).toEqual(['REQ-7F3K2']);
    const s = parseDigestReply(['REQ-7F3K2 JO', 'Sent from my iPhone', 'REQ-9HX4M PO'].join('\n'));
    expect(s.lines.map((l) => l.reference)).toEqual(['REQ-7F3K2']);
  });
});

describe('APPROVAL_DIGEST', () => {
  it('reads off, always and rates', () => {
    expect(parseDigestSetting('off')).toEqual({ mode: 'off' });
    expect(parseDigestSetting('ALWAYS')).toEqual({ mode: 'always' });
    expect(parseDigestSetting('30/h')).toEqual({ mode: 'rate', limit: 30, windowMs: 3_600_000 });
    expect(parseDigestSetting('30/1h')).toEqual({ mode: 'rate', limit: 30, windowMs: 3_600_000 });
    expect(parseDigestSetting('10/15m')).toEqual({ mode: 'rate', limit: 10, windowMs: 900_000 });
    expect(parseDigestSetting('30 per hour')).toEqual({ mode: 'rate', limit: 30, windowMs: 3_600_000 });
    expect(parseDigestSetting('sometimes')).toBeNull();
    expect(parseDigestSetting('30/x')).toBeNull();
  });

  it('switches on above the rate, and stays on while a digest waits', () => {
    const rate = { mode: 'rate', limit: 30, windowMs: 3_600_000 } as const;
    expect(digestRoute(rate, { recent: 30, waiting: 0 })).toBe('single');
    expect(digestRoute(rate, { recent: 31, waiting: 0 })).toBe('digest');
    expect(digestRoute(rate, { recent: 1, waiting: 4 })).toBe('digest');
    expect(digestRoute({ mode: 'off' }, { recent: 1000, waiting: 10 })).toBe('single');
    expect(digestRoute({ mode: 'always' }, { recent: 1, waiting: 0 })).toBe('digest');
  });
});

const SECRET = 'b'.repeat(64);
const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';

function mailFrom(from: string, inReplyTo: string | null): MailInput {
  return {
    messageId: '<r1@coord.example.org>',
    inReplyTo,
    references: inReplyTo ? [inReplyTo] : [],
    subject: 'Re: digest',
    from: [{ name: '', address: from }],
    to: [],
    cc: [],
    replyTo: [],
    date: null,
    text: 'REQ-7F3K2 PO',
    html: null,
    headers: { from: [from] },
    attachments: [],
  } as unknown as MailInput;
}

describe('digest tokens', () => {
  it('verify only for the coordinator they were made for, and are no request token', () => {
    const id = `<${digestMessageIdLocal(SECRET, 12, ANA, 'd')}@example.org>`;
    const [ref] = findDigestRefs(id, []);
    expect(ref).toMatchObject({ digest: 12, variant: 'd' });
    expect(verifyDigestToken(SECRET, ref!, ANA)).toBe(true);
    expect(verifyDigestToken(SECRET, ref!, BESA)).toBe(false);
    expect(verifyDigestToken('c'.repeat(64), ref!, ANA)).toBe(false);
    expect(verifyDigestToken(SECRET, { ...ref!, digest: 13 }, ANA)).toBe(false);
    expect(findTokenRefs(id, [])).toEqual([]);
  });

  it('authorise a coordinator citing her own digest, and nobody else', () => {
    const base = { coordinators: [ANA, BESA], mode: 'token' as const, secret: SECRET };
    const own = `<${digestMessageIdLocal(SECRET, 3, ANA, 'd')}@example.org>`;
    expect(authorizeDigestReply({ ...base, mail: mailFrom(ANA, own) })).toMatchObject({ ok: true, coordinator: ANA });
    expect(authorizeDigestReply({ ...base, mail: mailFrom(BESA, own) })).toMatchObject({ ok: false, reason: 'token_mismatch' });
    expect(authorizeDigestReply({ ...base, mail: mailFrom('mallory@evil.example.net', own) })).toMatchObject({
      ok: false,
      reason: 'not_a_coordinator',
    });
    expect(authorizeDigestReply({ ...base, mail: mailFrom(ANA, null) })).toMatchObject({ ok: false, reason: 'no_token' });
    // dkim mode: the token alone is not enough.
    expect(authorizeDigestReply({ ...base, mode: 'dkim', dkim: [], mail: mailFrom(ANA, own) })).toMatchObject({
      ok: false,
      reason: 'dkim_missing',
    });
  });
});

describe('what a digest line did', () => {
  const record = (status: RequestRecord['status'], audit: { event: string; via: string | null; detail?: string }[]) =>
    ({ status, audit: audit.map((a) => ({ at: '', by: null, detail: null, ...a })) }) as unknown as RequestRecord;

  it('is read from the audit entries of that reply', () => {
    expect(lineOutcome(record('approved', [{ event: 'approval', via: '<r>' }, { event: 'approved', via: '<r>' }]), '<r>')).toEqual({
      applied: true,
      state: 'approved',
    });
    expect(lineOutcome(record('decided_pending_undo', [{ event: 'decided_reject', via: '<r>' }]), '<r>')).toEqual({
      applied: true,
      state: 'decided',
    });
    const late = lineOutcome(record('approved', [{ event: 'approved', via: '<a>' }, { event: 'ignored', via: '<r>', detail: 'late reply: already approved' }]), '<r>');
    expect(late).toMatchObject({ applied: false });
    expect(late.applied === false && late.problem.en).toBe('the request is already approved');
  });
});
