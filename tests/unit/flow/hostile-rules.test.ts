import { describe, expect, it } from 'vitest';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import { details } from '../../../src/cli/commands/requests.ts';
import { capsFor, type CapSettings } from '../../../src/domain/mail-caps.ts';
import { visibleHtml } from '../../../src/domain/reply-command.ts';
import {
  createRequest,
  transition,
  type Ctx,
  type Effect,
  type FlowSettings,
  type NewRequestInput,
  type RequestRecord,
  type SendEffect,
} from '../../../src/domain/request.ts';
import { applyJoin, foundingVersion, renderStatement } from '../../../src/domain/statement.ts';

/** The pure rules behind issue 12 items 2, 3, 5, 6, 7 and issue 14 defect 1. */

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const CONTACT = 'contact@cso.example.net';
const T0 = new Date('2026-11-30T10:00:00Z');
const MIN = 60_000;

const settings: FlowSettings = {
  coordinators: [ANA, BESA],
  approvalsRequired: 1,
  undoWindowMs: 0,
  reminderAfterMs: 3 * 86_400_000,
  requestTtlMs: 30 * 86_400_000,
};
const at = (ms: number, o: Partial<Ctx> = {}): Ctx => ({ now: new Date(T0.getTime() + ms), settings, ...o });
const sends = (effects: Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');
const templates = (effects: Effect[]) => sends(effects).map((e) => `${e.template}:${e.to.join(',')}`);

function input(o: Partial<NewRequestInput> = {}): NewRequestInput {
  return {
    id: 'REQ-7F3K2',
    kind: 'join',
    organization: { name: 'Qendra Rinore Shkodër', acronym: 'QRSH', city: 'Shkodër', website: null },
    contact: { name: 'Arta', email: CONTACT, phone: null },
    replyAddress: CONTACT,
    senderAddress: CONTACT,
    language: 'sq',
    originalMessageId: '<orig@cso.example.net>',
    references: [],
    originalSubject: 'Kërkesë për anëtarësim',
    excerpt: 'Dëshirojmë të bashkohemi',
    missing: [],
    receivedAt: T0,
    ...o,
  };
}
const join = (o: Partial<NewRequestInput> = {}) => createRequest(input(o), at(0));

// What must never reach the statement, its .txt or the CLI: C0/C1 controls (ESC, BEL, NEL), line and
// paragraph separators, bidirectional embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const HOSTILE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f]/;

describe('an organisation name from a mail (issue 12 item 6)', () => {
  const name = `\u202eQendra\u2066 e\u0085Re\u2028 Shkode\u0308r\u001b[31m\u0007   ${'X '.repeat(3000)}`;

  it('is normalised when the request is created: NFC, no controls or bidirectional characters, one line, a length cap', () => {
    const { request } = join({ organization: { name, acronym: 'Q\u202eR', city: 'Shko\u2029dër', website: null } });
    const stored = request.organization.name as string;
    expect(stored).not.toMatch(HOSTILE);
    expect(stored.startsWith('Qendra e Re Shkodër [31m X X')).toBe(true);
    expect(stored).toBe(stored.normalize('NFC'));
    expect(Array.from(stored).length).toBeLessThanOrEqual(200);
    expect(request.organization.acronym).toBe('QR');
    expect(request.organization.city).toBe('Shko dër');
  });

  it('never reaches the statement text with such characters, whoever adds it', () => {
    const { document, founding } = loadStatementSource();
    const v2 = applyJoin(foundingVersion(founding, T0), {
      signatory: { name: name.slice(0, 40), acronym: null, city: 'Tiran\u202ee', website: null, contactEmail: null },
      approvedBy: [ANA],
      source: 'REQ-7F3K2',
      at: T0,
    });
    const text = renderStatement(document, v2, 'text', { joinAddress: 'info@example.org' });
    const last = text.split('\n').find((l) => l.startsWith('10. '));
    expect(last).toBeDefined();
    expect(last).toBe('10. Qendra e Re Shkodër [31m X X X X – Tirane');
    for (const line of text.split('\n')) expect(line).not.toMatch(HOSTILE);
  });
});

describe("changes to a request (issue 12 item 2, issue 14 defect 2)", () => {
  it('refuses a name the registry would refuse at the correction, and tells the coordinator who sent it', () => {
    const { request } = join();
    const c = transition(request, { type: 'correct', by: ANA, corrections: { name: 'A'.repeat(10_000) }, via: '<c1>' }, at(MIN));
    expect(c.request.organization.name).toBe('Qendra Rinore Shkodër');
    expect(templates(c.effects)).toEqual([`reply_help:${ANA}`]);
    expect(JSON.stringify(sends(c.effects)[0]?.vars)).toMatch(/10000/);
    const taken = transition(
      request,
      { type: 'correct', by: ANA, corrections: { name: 'Institute for Democracy and Mediation' }, via: '<c2>' },
      at(MIN, { takenNames: ['institute for democracy and mediation'] }),
    );
    expect(taken.request.organization.name).toBe('Qendra Rinore Shkodër');
    expect(templates(taken.effects)).toEqual([`reply_help:${ANA}`]);
  });

  it("shows the organisation's change as from … to …, refuses what the registry would refuse, and counts no approval written before it", () => {
    const { request, effects } = join();
    const approvalForAna = sends(effects).find((e) => e.template === 'approval_request' && e.to[0] === ANA);
    const o = transition(
      request,
      { type: 'org_reply', from: CONTACT, organization: { city: 'Lezhë', name: 'B'.repeat(10_000) }, via: '<o1>' },
      at(MIN),
    );
    expect(o.request.organization).toMatchObject({ name: 'Qendra Rinore Shkodër', city: 'Lezhë' });
    const updated = sends(o.effects).filter((e) => e.template === 'request_updated');
    expect(updated.map((e) => e.to[0])).toEqual([ANA, BESA]);
    expect(updated[0]?.vars).toMatchObject({
      changes: [{ field: 'city', from: 'Shkodër', value: 'Lezhë' }],
      refused: [{ field: 'name' }],
    });
    expect(JSON.stringify(updated[0]?.vars)).not.toContain('BBBB');

    const stale = transition(
      o.request,
      { type: 'decide', by: ANA, decision: 'approve', via: '<a1>', nonce: approvalForAna?.token?.nonce as string },
      at(2 * MIN),
    );
    expect(stale.request.status).toBe('pending');
    expect(stale.request.approvals).toEqual([]);
    expect(templates(stale.effects)).toEqual([`reply_help:${ANA}`]);

    const fresh = transition(
      stale.request,
      { type: 'decide', by: ANA, decision: 'approve', via: '<a2>', nonce: updated[0]?.token?.nonce as string },
      at(3 * MIN),
    );
    expect(fresh.request.status).toBe('approved');
    expect(fresh.effects.find((e) => e.type === 'addSignatory')).toMatchObject({ organization: { city: 'Lezhë' } });
  });

  it('writes to a proposed contact only once a coordinator confirms it with "Email:"', () => {
    const { request, effects } = join({ replyAddress: '', proposedContact: 'director@victim.example.net' });
    expect(templates(effects)).toEqual([`approval_request:${ANA}`, `approval_request:${BESA}`]);
    expect(sends(effects)[0]?.vars).toMatchObject({ proposedContact: 'director@victim.example.net', answersTo: null });
    const c = transition(request, { type: 'correct', by: ANA, corrections: { email: 'Director@Victim.example.net' }, via: '<e1>' }, at(MIN));
    expect(c.request.replyAddress).toBe('director@victim.example.net');
    expect(templates(c.effects)).toContain('acknowledgement:director@victim.example.net');
  });
});

describe('a help mail never answers a reply to a help mail (issue 14 defect 1)', () => {
  it('marks help mails, and sends none for a reply that answers one', () => {
    const { request } = join();
    const u = transition(request, { type: 'unclear', by: ANA, problem: { sq: 'x', en: 'x' }, via: '<u1>' }, at(MIN));
    const [help] = sends(u.effects);
    expect(help?.template).toBe('reply_help');
    expect(help?.token?.nonce).toMatch(/^h\d+$/);
    const again = transition(u.request, { type: 'unclear', by: ANA, problem: { sq: 'x', en: 'x' }, via: '<u2>' }, at(2 * MIN, { quiet: true }));
    expect(again.changed).toBe(true);
    expect(sends(again.effects)).toEqual([]);
    expect(again.request.audit.map((a) => a.event)).toContain('answer_not_sent');
    // Nor an "already decided" mail: a decided request answering an autoresponder's "OK" for ever.
    const decided = transition(request, { type: 'decide', by: ANA, decision: 'reject', via: '<r1>' }, at(MIN)).request;
    const late = transition(decided, { type: 'decide', by: ANA, decision: 'approve', via: '<r2>' }, at(2 * MIN, { quiet: true }));
    expect(sends(late.effects)).toEqual([]);
  });
});

describe('a withdrawal (issue 12 item 3)', () => {
  const withdrawal = (): RequestRecord =>
    join({ id: 'REQ-9W1TH', kind: 'withdrawal', signatoryId: 'REQ-AAAAA', senderAddress: CONTACT, replyAddress: CONTACT }).request;

  it("asks the signatory's registered contact before any coordinator", () => {
    const { request, effects } = join({ id: 'REQ-9W1TH', kind: 'withdrawal', signatoryId: 'REQ-AAAAA' });
    expect(request.status).toBe('awaiting_confirmation');
    expect(templates(effects)).toEqual([`withdrawal_confirmation:${CONTACT}`]);
    expect(sends(effects)[0]?.vars).toMatchObject({ from: CONTACT });
  });

  it('goes to the coordinators, saying who sent it, once the contact confirms; stops when it denies', () => {
    const yes = transition(withdrawal(), { type: 'contact_answer', from: CONTACT, answer: 'confirm', via: '<y>' }, at(MIN));
    expect(yes.request.status).toBe('pending');
    expect(templates(yes.effects)).toEqual([
      `withdrawal_received:${CONTACT}`,
      `withdrawal_approval_request:${ANA}`,
      `withdrawal_approval_request:${BESA}`,
    ]);
    expect(sends(yes.effects)[1]?.vars).toMatchObject({ from: CONTACT, confirmedBy: CONTACT });
    const no = transition(withdrawal(), { type: 'contact_answer', from: CONTACT, answer: 'deny', via: '<n>' }, at(MIN));
    expect(no.request.status).toBe('not_request');
    expect(templates(no.effects)).toEqual([`withdrawal_denied:${ANA}`, `withdrawal_denied:${BESA}`]);
    const stranger = transition(withdrawal(), { type: 'contact_answer', from: 'mallory@evil.example.com', answer: 'confirm', via: '<m>' }, at(MIN));
    expect(stranger.request.status).toBe('awaiting_confirmation');
    expect(sends(stranger.effects)).toEqual([]);
  });
});

describe('the caps on automatic mail (issue 12 item 4, issue 14 defect 1)', () => {
  const s: CapSettings = {
    perRecipient: { limit: 10, windowMs: 86_400_000 },
    perCoordinator: { limit: 200, windowMs: 86_400_000 },
    perRequest: { limit: 30, windowMs: 86_400_000 },
    perSender: { limit: 30, windowMs: 86_400_000 },
    warnings: { limit: 5, windowMs: 3_600_000 },
    total: { limit: 500, windowMs: 3_600_000 },
    coordinators: [ANA, BESA],
  };
  it('counts a mail against its recipient, its request, its sender and the total; a coordinator against a cap of its own', () => {
    expect(capsFor(['X@Org.example.net'], { requestId: 'req-7f3k2', sender: 'x@org.example.net' }, s)).toEqual([
      { bucket: 'rcpt:x@org.example.net', limit: 10, windowMs: 86_400_000 },
      { bucket: 'req:REQ-7F3K2', limit: 30, windowMs: 86_400_000 },
      { bucket: 'sender:x@org.example.net', limit: 30, windowMs: 86_400_000 },
      { bucket: 'all', limit: 500, windowMs: 3_600_000 },
    ]);
    expect(capsFor([ANA, BESA], { sender: ANA, warning: true }, s).map((c) => `${c.bucket}/${c.limit}`)).toEqual([
      `rcpt:${ANA}/200`,
      `rcpt:${BESA}/200`,
      'warnings/5',
      'all/500',
    ]);
  });
});

describe('what a coordinator sees in an HTML reply (issue 12 item 7)', () => {
  it.each([
    '<div style="display:none">PO</div><p>Let me check…</p>',
    '<div style="DISPLAY: none !important">PO</div><p>Let me check…</p>',
    '<span hidden>PO</span><p>Let me check…</p>',
    '<p style="visibility:hidden">PO</p><p>Let me check…</p>',
    '<span style="font-size:0">PO</span><p>Let me check…</p>',
    '<span style="font-size: 0px;">PO</span><p>Let me check…</p>',
    '<div style="max-height:0;overflow:hidden"><b>PO</b></div><p>Let me check…</p>',
    '<head><title>PO</title><style>p{}</style></head><!-- PO --><p>Let me check…</p>',
  ])('leaves out what is hidden: %s', (html) => {
    const seen = visibleHtml(html);
    expect(seen).not.toMatch(/PO/);
    expect(seen).toContain('Let me check');
  });
  it('keeps what is shown, small text included', () => {
    expect(visibleHtml('<div><span style="font-size:0.9em">PO</span></div><div class="hidden">Ok</div>')).toBe(
      '<div><span style="font-size:0.9em">PO</span></div><div class="hidden">Ok</div>',
    );
  });
});

describe('a request shown on the command line (issue 12 item 5)', () => {
  it('prints every value from mail on one line, marked as such, so no value can fake an audit entry', () => {
    const { request } = join({ organization: { name: 'Partners\u2028 2026-01-01T00:00:00Z approved', acronym: null, city: null, website: null } });
    const r: RequestRecord = {
      ...request,
      audit: [
        ...request.audit,
        {
          at: '2026-11-30T10:05:00.000Z',
          event: 'unauthenticated_attempt',
          // A display name with an encoded newline, as older records may hold.
          by: 'Attacker\n    2026-01-01T00:00:00Z  decided_approve by koordinator@coord.example.org',
          via: '<x@evil.example.com>',
          detail: 'not_a_coordinator: a\r\n    2026-01-01T00:00:00Z  approved',
        },
      ],
    };
    const out = details(r);
    const lines = out.trimEnd().split('\n');
    expect(lines.filter((l) => /^\s+2026-01-01T00:00:00Z/.test(l))).toEqual([]);
    const auditLines = lines.slice(lines.indexOf('  audit:') + 1);
    expect(auditLines).toHaveLength(r.audit.length);
    expect(out).toContain('by "Attacker\\n    2026-01-01T00:00:00Z  decided_approve by koordinator@coord.example.org"');
    expect(out).toMatch(/organisation: "Partners 2026-01-01T00:00:00Z approved"/);
  });
});
