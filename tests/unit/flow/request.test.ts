import { describe, expect, it } from 'vitest';
import {
  createRequest,
  findDuplicate,
  transition,
  type Ctx,
  type Effect,
  type FlowSettings,
  type RequestRecord,
  type SendEffect,
} from '../../../src/domain/request.ts';

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const T0 = new Date('2026-11-30T10:00:00Z');
const MIN = 60_000;

function settings(o: Partial<FlowSettings> = {}): FlowSettings {
  return {
    coordinators: [ANA, BESA],
    approvalsRequired: 1,
    undoWindowMs: 15 * MIN,
    reminderAfterMs: 3 * 86_400_000,
    requestTtlMs: 30 * 86_400_000,
    ...o,
  };
}
const at = (ms: number, s = settings()): Ctx => ({ now: new Date(T0.getTime() + ms), settings: s });

function joinRequest(s = settings(), o: { lang?: 'sq' | 'en' } = {}) {
  return createRequest(
    {
      id: 'REQ-7F3K2',
      kind: 'join',
      organization: { name: 'Qendra Rinore Shkodër', acronym: 'QRSH', city: 'Shkodër', website: null },
      contact: { name: 'Arta', email: 'contact@cso.example.net', phone: null },
      replyAddress: 'contact@cso.example.net',
      senderAddress: 'contact@cso.example.net',
      language: o.lang ?? 'sq',
      originalMessageId: '<orig@cso.example.net>',
      references: [],
      originalSubject: 'Kërkesë për anëtarësim',
      excerpt: 'Dëshirojmë të bashkohemi',
      missing: ['website'],
      receivedAt: T0,
    },
    at(0, s),
  );
}
const sends = (effects: Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');
const templates = (effects: Effect[]) => sends(effects).map((e) => `${e.template}:${e.to.join(',')}`);

function run(r: RequestRecord, steps: [number, Parameters<typeof transition>[1]][], s = settings()) {
  let cur = r;
  const all: Effect[][] = [];
  for (const [ms, ev] of steps) {
    const res = transition(cur, ev, at(ms, s));
    cur = res.request;
    all.push(res.effects);
  }
  return { r: cur, effects: all };
}

describe('a new join request', () => {
  it('is acknowledged to the organisation and sent to every coordinator with their own token', () => {
    const { request, effects } = joinRequest();
    expect(request.status).toBe('pending');
    expect(templates(effects)).toEqual([
      'acknowledgement:contact@cso.example.net',
      `approval_request:${ANA}`,
      `approval_request:${BESA}`,
    ]);
    const [ack, a, b] = sends(effects);
    expect(ack?.inReplyTo).toBe('<orig@cso.example.net>');
    expect(ack?.autoSubmitted).toBe('auto-replied');
    expect(a?.token?.coordinator).toBe(ANA);
    expect(b?.token?.coordinator).toBe(BESA);
    expect(a?.attachOriginal).toBe(true);
    expect(new Set(effects.map((e) => ('key' in e ? e.key : e.type === 'schedule' ? e.jobId : e.type))).size).toBe(
      effects.length,
    );
    expect(effects.filter((e) => e.type === 'schedule').map((e) => (e.type === 'schedule' ? e.timer : ''))).toEqual([
      'reminder',
      'expiry',
    ]);
    expect(request.audit.map((a) => a.event)).toContain('approval_requested');
  });
});

describe('deciding', () => {
  it('treats a "PO" as approval that acts after the undo window', () => {
    const { request } = joinRequest();
    const res = transition(request, { type: 'decide', by: ANA, decision: 'approve', via: '<r1@coord>' }, at(MIN));
    expect(res.request.status).toBe('decided_pending_undo');
    expect(templates(res.effects)).toEqual([`decision_echo:${ANA}`, `decision_echo:${BESA}`]);
    const timer = res.effects.find((e) => e.type === 'schedule');
    expect(timer).toMatchObject({ timer: 'finalize', at: new Date(T0.getTime() + 16 * MIN).toISOString() });
    const fin = transition(
      res.request,
      { type: 'timer', timer: 'finalize', seq: res.request.decision!.seq },
      at(16 * MIN),
    );
    expect(fin.request.status).toBe('approved');
    const add = fin.effects.find((e) => e.type === 'addSignatory');
    expect(add).toMatchObject({
      requestId: 'REQ-7F3K2',
      approvedBy: [ANA],
      confirm: { template: 'approved', to: ['contact@cso.example.net'] },
    });
  });
  it('acts at once when the undo window is 0', () => {
    const s = settings({ undoWindowMs: 0 });
    const res = transition(
      joinRequest(s).request,
      { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' },
      at(MIN, s),
    );
    expect(res.request.status).toBe('approved');
    expect(res.effects.some((e) => e.type === 'addSignatory')).toBe(true);
  });
  it('lets the first decision win and tells a late coordinator who decided', () => {
    const s = settings({ undoWindowMs: 0 });
    const { r, effects } = run(
      joinRequest(s).request,
      [
        [MIN, { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' }],
        [2 * MIN, { type: 'decide', by: BESA, decision: 'reject', via: '<r2>' }],
      ],
      s,
    );
    expect(r.status).toBe('approved');
    expect(templates(effects[1]!)).toEqual([`already_decided:${BESA}`]);
    expect(sends(effects[1]!)[0]?.vars).toMatchObject({ decision: 'approve', by: ANA });
  });
  it('ignores a replayed reply', () => {
    const { request } = joinRequest();
    const once = transition(request, { type: 'decide', by: ANA, decision: 'reject', via: '<r1>' }, at(MIN));
    const again = transition(once.request, { type: 'decide', by: ANA, decision: 'reject', via: '<r1>' }, at(2 * MIN));
    expect(again.changed).toBe(false);
    expect(again.effects).toEqual([]);
  });
  it('shares a rejection reason only when marked to be shared', () => {
    const s = settings({ undoWindowMs: 0 });
    const shared = transition(
      joinRequest(s).request,
      { type: 'decide', by: ANA, decision: 'reject', reason: 'not a CSO', shareReason: true, via: '<r>' },
      at(MIN, s),
    );
    expect(sends(shared.effects).find((e) => e.template === 'rejected')?.vars).toMatchObject({ reason: 'not a CSO' });
    const internal = transition(
      joinRequest(s).request,
      { type: 'decide', by: ANA, decision: 'reject', reason: 'party', shareReason: false, via: '<r>' },
      at(MIN, s),
    );
    expect(sends(internal.effects).find((e) => e.template === 'rejected')?.vars).toMatchObject({ reason: null });
    expect(internal.request.decision?.reason).toBe('party');
  });
  it('needs two distinct coordinators when APPROVALS_REQUIRED=2', () => {
    const s = settings({ approvalsRequired: 2, undoWindowMs: 0 });
    const { r, effects } = run(
      joinRequest(s).request,
      [
        [MIN, { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' }],
        [2 * MIN, { type: 'decide', by: ANA, decision: 'approve', via: '<r1b>' }],
        [3 * MIN, { type: 'decide', by: BESA, decision: 'approve', via: '<r2>' }],
      ],
      s,
    );
    expect(effects[0]!.some((e) => e.type === 'addSignatory')).toBe(false);
    expect(sends(effects[0]!)[0]?.vars).toMatchObject({ approvalsSoFar: 1, approvalsRequired: 2 });
    expect(effects[1]).toEqual([]);
    expect(r.status).toBe('approved');
    expect(r.decision?.by).toEqual([ANA, BESA]);
  });
  it('returns to pending on UNDO within the window, and a stale timer does nothing', () => {
    const { request } = joinRequest();
    const d = transition(request, { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' }, at(MIN));
    const u = transition(d.request, { type: 'undo', by: BESA, via: '<u1>' }, at(5 * MIN));
    expect(u.request.status).toBe('pending');
    expect(templates(u.effects)).toEqual([`undone:${ANA}`, `undone:${BESA}`]);
    const stale = transition(
      u.request,
      { type: 'timer', timer: 'finalize', seq: d.request.decision!.seq },
      at(16 * MIN),
    );
    expect(stale.changed).toBe(false);
    expect(stale.request.status).toBe('pending');
  });
  it('expires a request whose decision is undone after its time ran out, instead of leaving it open for ever', () => {
    const s = settings({ requestTtlMs: 10 * MIN });
    const { request } = joinRequest(s);
    const d = transition(request, { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' }, at(8 * MIN, s));
    // The expiry timer fires while the decision waits for its window: it must do nothing then.
    const e = transition(d.request, { type: 'timer', timer: 'expiry', seq: 0 }, at(10 * MIN, s));
    expect(e.changed).toBe(false);
    const u = transition(d.request, { type: 'undo', by: BESA, via: '<u1>' }, at(12 * MIN, s));
    expect(u.request.status).toBe('expired');
    expect(templates(u.effects)).toEqual([`undone:${ANA}`, `undone:${BESA}`, 'expired:contact@cso.example.net']);
  });
  it('answers UNDO after the window with "already decided"', () => {
    const s = settings({ undoWindowMs: 0 });
    const { effects } = run(
      joinRequest(s).request,
      [
        [MIN, { type: 'decide', by: ANA, decision: 'approve', via: '<r1>' }],
        [2 * MIN, { type: 'undo', by: ANA, via: '<u1>' }],
      ],
      s,
    );
    expect(templates(effects[1]!)).toEqual([`already_decided:${ANA}`]);
  });
});

describe("information, corrections and the organisation's reply", () => {
  it('asks the organisation, keeps the request open, and takes its answer', () => {
    const { request } = joinRequest();
    const i = transition(request, { type: 'info', by: ANA, question: 'Cili është qyteti?', via: '<i1>' }, at(MIN));
    expect(i.request.status).toBe('info_requested');
    expect(sends(i.effects)[0]).toMatchObject({
      template: 'info_request',
      to: ['contact@cso.example.net'],
      inReplyTo: '<orig@cso.example.net>',
    });
    const o = transition(
      i.request,
      {
        type: 'org_reply',
        from: 'contact@cso.example.net',
        organization: { website: 'https://cso.example.net' },
        via: '<o1>',
      },
      at(2 * MIN),
    );
    expect(o.request.status).toBe('pending');
    expect(o.request.organization.website).toBe('https://cso.example.net');
    expect(o.request.missing).toEqual([]);
    expect(templates(o.effects)).toEqual([`request_updated:${ANA}`, `request_updated:${BESA}`]);
  });
  it('applies a correction before approval', () => {
    const s = settings({ undoWindowMs: 0 });
    const { r, effects } = run(
      joinRequest(s).request,
      [
        [MIN, { type: 'correct', by: ANA, corrections: { name: 'Qendra Rinore e Shkodrës' }, via: '<c1>' }],
        [2 * MIN, { type: 'decide', by: BESA, decision: 'approve', via: '<r1>' }],
      ],
      s,
    );
    expect(r.organization.name).toBe('Qendra Rinore e Shkodrës');
    expect(effects[1]!.find((e) => e.type === 'addSignatory')).toMatchObject({
      organization: { name: 'Qendra Rinore e Shkodrës' },
    });
  });
  it('answers an unclear reply with help and changes nothing', () => {
    const { request } = joinRequest();
    const u = transition(request, { type: 'unclear', by: ANA, problem: { sq: 'asnjë fjalë e njohur', en: 'no known word' }, via: '<x>' }, at(MIN));
    expect(u.request.status).toBe('pending');
    expect(templates(u.effects)).toEqual([`reply_help:${ANA}`]);
  });
});

describe('reminders and expiry', () => {
  it('reminds the coordinators who have not approved, then expires', () => {
    const { request } = joinRequest();
    const rem = transition(request, { type: 'timer', timer: 'reminder', seq: 1 }, at(3 * 86_400_000));
    expect(templates(rem.effects)).toEqual([`reminder:${ANA}`, `reminder:${BESA}`]);
    expect(rem.effects.find((e) => e.type === 'schedule')).toMatchObject({ timer: 'reminder', seq: 2 });
    const again = transition(rem.request, { type: 'timer', timer: 'reminder', seq: 1 }, at(3 * 86_400_000));
    expect(again.changed).toBe(false);
    const early = transition(rem.request, { type: 'timer', timer: 'expiry', seq: 0 }, at(86_400_000));
    expect(early.changed).toBe(false);
    const exp = transition(rem.request, { type: 'timer', timer: 'expiry', seq: 0 }, at(30 * 86_400_000));
    expect(exp.request.status).toBe('expired');
    expect(templates(exp.effects)).toEqual(['expired:contact@cso.example.net']);
    const late = transition(
      exp.request,
      { type: 'decide', by: ANA, decision: 'approve', via: '<late>' },
      at(31 * 86_400_000),
    );
    expect(sends(late.effects)[0]?.vars).toMatchObject({ decision: 'expire' });
  });
  it('does not remind or expire a decided request', () => {
    const s = settings({ undoWindowMs: 0 });
    const d = transition(
      joinRequest(s).request,
      { type: 'decide', by: ANA, decision: 'reject', via: '<r>' },
      at(MIN, s),
    );
    expect(transition(d.request, { type: 'timer', timer: 'reminder', seq: 1 }, at(3 * 86_400_000, s)).changed).toBe(
      false,
    );
    expect(transition(d.request, { type: 'timer', timer: 'expiry', seq: 0 }, at(30 * 86_400_000, s)).changed).toBe(
      false,
    );
  });
});

describe('duplicates', () => {
  const known = [
    { id: 'idm', name: 'Institute for Democracy and Mediation', acronym: 'IDM', emails: ['info@idm.example.org'] },
    { id: 'REQ-AAAAA', name: 'Qendra Rinore Shkodër', acronym: null, emails: ['x@gmail.com'] },
  ];
  it('matches the normalised name, the acronym, and a non-free-mail domain', () => {
    expect(
      findDuplicate(
        { name: 'QENDRA RINORE SHKODER', acronym: null, city: null, website: null },
        'a@b.example.net',
        known,
      )?.on,
    ).toBe('name');
    expect(
      findDuplicate({ name: 'Some Institute', acronym: 'idm', city: null, website: null }, 'a@b.example.net', known)
        ?.on,
    ).toBe('acronym');
    expect(
      findDuplicate({ name: 'Other', acronym: null, city: null, website: null }, 'new@idm.example.org', known)?.on,
    ).toBe('domain');
  });
  it('does not match on a free-mail domain', () => {
    expect(
      findDuplicate({ name: 'Other', acronym: null, city: null, website: null }, 'someone@gmail.com', known),
    ).toBeNull();
  });
});
