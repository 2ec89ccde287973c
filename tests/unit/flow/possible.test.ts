import { describe, expect, it } from 'vitest';
import {
  createPossibleRequest,
  isPossibleNonce,
  transition,
  type Ctx,
  type Effect,
  type FlowEvent,
  type FlowSettings,
  type PossibleRequestInput,
  type RequestRecord,
  type SendEffect,
} from '../../../src/domain/request.ts';

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const PERSON = 'arta@cso.example.net';
const T0 = new Date('2026-11-30T10:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

function settings(o: Partial<FlowSettings> = {}): FlowSettings {
  return {
    coordinators: [ANA, BESA],
    approvalsRequired: 1,
    undoWindowMs: 0,
    reminderAfterMs: 3 * DAY,
    requestTtlMs: 30 * DAY,
    ...o,
  };
}
const at = (ms: number, s = settings()): Ctx => ({ now: new Date(T0.getTime() + ms), settings: s });

/** A web form's relay of a person's request: sent by a machine, so only a possible request. */
function possible(o: Partial<PossibleRequestInput> = {}, s = settings()) {
  return createPossibleRequest(
    {
      id: 'REQ-P7K3M',
      organization: { name: 'Qendra për Transparencë Qytetare', acronym: null, city: 'Shkodër', website: null },
      contact: { name: 'Arta Hoxha', email: PERSON, phone: null },
      replyAddress: PERSON,
      senderAddress: 'no-reply@forms.example.net',
      language: 'sq',
      originalMessageId: '<form.1@forms.example.net>',
      references: [],
      originalSubject: 'New submission: membership form',
      excerpt: 'Organisation: Qendra për Transparencë Qytetare',
      missing: [],
      receivedAt: T0,
      reason: 'sent_by_machine',
      automatic: true,
      ...o,
    },
    at(0, s),
  );
}

const sends = (effects: Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');
const templates = (effects: Effect[]) => sends(effects).map((e) => `${e.template}:${e.to.join(',')}`);
const timers = (effects: Effect[]) =>
  effects.flatMap((e) =>
    e.type === 'schedule' ? [`${e.timer}.${e.seq}@${(new Date(e.at).getTime() - T0.getTime()) / DAY}d`] : [],
  );

function step(r: RequestRecord, ms: number, event: FlowEvent, s = settings()) {
  return transition(r, event, at(ms, s));
}

describe('a possible request', () => {
  it('is shown to every coordinator with their own token and the original, and its sender gets nothing', () => {
    const { request, effects } = possible();
    expect(request.status).toBe('unclear');
    expect(templates(effects)).toEqual([`possible_request:${ANA}`, `possible_request:${BESA}`]);
    const [a, b] = sends(effects);
    expect(a?.token?.coordinator).toBe(ANA);
    expect(b?.token?.coordinator).toBe(BESA);
    expect(isPossibleNonce(a!.token!.nonce)).toBe(true);
    expect(a?.attachOriginal).toBe(true);
    expect(a?.vars).toMatchObject({
      reason: 'sent_by_machine',
      acknowledgeTo: PERSON,
      automatic: true,
      reminder: false,
    });
    expect(sends(effects).some((e) => e.to.includes(PERSON) || e.to.includes('no-reply@forms.example.net'))).toBe(
      false,
    );
  });

  it('is reminded within REQUEST_TTL but never expires', () => {
    const { request, effects } = possible();
    expect(timers(effects)).toEqual(['reminder.1@3d']);
    const rem = step(request, 3 * DAY, { type: 'timer', timer: 'reminder', seq: 1 });
    expect(templates(rem.effects)).toEqual([`possible_request:${ANA}`, `possible_request:${BESA}`]);
    expect(sends(rem.effects)[0]?.vars).toMatchObject({ reminder: true, waitingDays: 3 });
    expect(timers(rem.effects)).toEqual(['reminder.2@6d']);
    // Tokens of a reminder are fresh, and still those of a possible request.
    expect(sends(rem.effects)[0]?.token?.nonce).not.toBe(sends(effects)[0]?.token?.nonce);
    expect(isPossibleNonce(sends(rem.effects)[0]!.token!.nonce)).toBe(true);
    const expiry = step(rem.request, 31 * DAY, { type: 'timer', timer: 'expiry', seq: 0 });
    expect(expiry.changed).toBe(false);
    const last = step(rem.request, 29 * DAY, { type: 'timer', timer: 'reminder', seq: 2 });
    expect(timers(last.effects)).toEqual([]);
    expect(last.request.status).toBe('unclear');
  });
});

describe('opening a possible request', () => {
  it('makes it a pending join request: acknowledged to its contact, put to every coordinator, not approved', () => {
    const { request } = possible();
    const o = step(request, MIN, { type: 'decide', by: ANA, decision: 'approve', via: '<po@coord>' });
    expect(o.request.status).toBe('pending');
    expect(o.request.approvals).toEqual([]);
    expect(o.request.decision).toBeNull();
    expect(templates(o.effects)).toEqual([
      `acknowledgement:${PERSON}`,
      `approval_request:${ANA}`,
      `approval_request:${BESA}`,
    ]);
    const [ack, appr] = sends(o.effects);
    expect(ack?.autoSubmitted).toBe('auto-generated');
    expect(appr?.vars).toMatchObject({ openedBy: ANA });
    expect(isPossibleNonce(appr!.token!.nonce)).toBe(false);
    expect(appr?.attachOriginal).toBe(true);
    expect(o.request.possible?.resolution).toMatchObject({ outcome: 'opened', by: ANA, via: '<po@coord>' });
    expect(o.request.expiresAt).toBe(new Date(T0.getTime() + MIN + 30 * DAY).toISOString());
    expect(o.effects.filter((e) => e.type === 'schedule').map((e) => (e.type === 'schedule' ? e.timer : ''))).toEqual([
      'reminder',
      'expiry',
    ]);
    // Approving is a second, separate reply to the approval request.
    const d = step(o.request, 2 * MIN, { type: 'decide', by: BESA, decision: 'approve', via: '<po2@coord>' });
    expect(d.request.status).toBe('approved');
    expect(d.effects.find((e) => e.type === 'addSignatory')).toMatchObject({
      contactEmail: PERSON,
      approvedBy: [BESA],
    });
  });

  it('applies the corrections written with it before anything is sent', () => {
    const { request } = possible({
      organization: { name: null, acronym: null, city: null, website: null },
      missing: ['emri i organizatës'],
      reason: 'no_organisation',
    });
    const o = step(request, MIN, {
      type: 'open',
      by: ANA,
      corrections: { name: 'Qendra për Transparencë Qytetare', city: 'Shkodër' },
      via: '<join@coord>',
    });
    expect(o.request.organization).toMatchObject({ name: 'Qendra për Transparencë Qytetare', city: 'Shkodër' });
    expect(o.request.missing).toEqual([]);
    const [ack, appr] = sends(o.effects);
    expect(ack?.vars).toMatchObject({ organizationName: 'Qendra për Transparencë Qytetare', missing: [] });
    expect(appr?.vars).toMatchObject({ organization: { name: 'Qendra për Transparencë Qytetare', city: 'Shkodër' } });
    expect(o.request.audit.map((a) => a.event)).toEqual(expect.arrayContaining(['corrected', 'opened']));
  });

  it('answers a second coordinator who opens it too that it is already open, and counts no approval', () => {
    const { request } = possible();
    const o = step(request, MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    const again = step(o.request, 2 * MIN, { type: 'open', by: BESA, via: '<b@coord>' });
    expect(again.request.status).toBe('pending');
    expect(again.request.approvals).toEqual([]);
    expect(templates(again.effects)).toEqual([`already_decided:${BESA}`]);
    expect(sends(again.effects)[0]?.vars).toMatchObject({ decision: 'open', by: ANA });
  });

  it('sends no acknowledgement when the mail names no address a person reads, and still asks for approval', () => {
    const { request } = possible({ replyAddress: null, contact: null });
    expect(sends(possible({ replyAddress: null }).effects)[0]?.vars).toMatchObject({ acknowledgeTo: null });
    const o = step(request, MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    expect(templates(o.effects)).toEqual([`approval_request:${ANA}`, `approval_request:${BESA}`]);
    expect(o.request.audit.map((a) => a.event)).toContain('mail_not_sent');
    const d = step(o.request, 2 * MIN, { type: 'decide', by: BESA, decision: 'approve', via: '<b@coord>' });
    expect(d.effects.find((e) => e.type === 'addSignatory')).toMatchObject({ contactEmail: null, confirm: null });
  });

  it('leaves the reminders of the possible request behind: a stale one does nothing', () => {
    const { request } = possible();
    const o = step(request, MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    const stale = step(o.request, 3 * DAY, { type: 'timer', timer: 'reminder', seq: 1 });
    expect(stale.changed).toBe(false);
    const next = o.effects.find((e) => e.type === 'schedule' && e.timer === 'reminder');
    const rem = step(o.request, 3 * DAY + MIN, {
      type: 'timer',
      timer: 'reminder',
      seq: next?.type === 'schedule' ? next.seq : -1,
    });
    expect(templates(rem.effects)).toEqual([`reminder:${ANA}`, `reminder:${BESA}`]);
  });
});

describe('closing a possible request', () => {
  it('makes it final as not a request, tells the coordinators, and sends its sender nothing', () => {
    const { request } = possible();
    const c = step(request, MIN, {
      type: 'decide',
      by: BESA,
      decision: 'reject',
      reason: 'a newsletter',
      via: '<jo@coord>',
    });
    expect(c.request.status).toBe('not_request');
    expect(templates(c.effects)).toEqual([`decision_echo:${ANA}`, `decision_echo:${BESA}`]);
    expect(sends(c.effects)[0]?.vars).toMatchObject({ decision: 'close', by: BESA, reason: 'a newsletter' });
    expect(c.request.possible?.resolution).toMatchObject({ outcome: 'closed', by: BESA, reason: 'a newsletter' });
    expect(c.effects.some((e) => e.type === 'schedule')).toBe(false);
    expect(step(c.request, 3 * DAY, { type: 'timer', timer: 'reminder', seq: 1 }).changed).toBe(false);
  });

  it('answers a reply on a closed one with who closed it, and changes nothing', () => {
    const { request } = possible();
    const c = step(request, MIN, { type: 'close', by: BESA, via: '<jo@coord>' });
    for (const event of [
      { type: 'open', by: ANA, via: '<late1@coord>' },
      { type: 'decide', by: ANA, decision: 'approve', via: '<late2@coord>' },
      { type: 'close', by: ANA, via: '<late3@coord>' },
    ] as FlowEvent[]) {
      const late = step(c.request, 2 * MIN, event);
      expect(late.request.status).toBe('not_request');
      expect(templates(late.effects)).toEqual([`already_decided:${ANA}`]);
      expect(sends(late.effects)[0]?.vars).toMatchObject({ decision: 'close', by: BESA });
    }
  });
});

describe('other replies to a possible request', () => {
  it('asks a coordinator who writes INFO or UNDO to open or close it first, and writes to nobody else', () => {
    const { request } = possible();
    for (const event of [
      { type: 'info', by: ANA, question: 'Who are you?', via: '<i@coord>' },
      { type: 'undo', by: ANA, via: '<u@coord>' },
    ] as FlowEvent[]) {
      const r = step(request, MIN, event);
      expect(r.request.status).toBe('unclear');
      expect(templates(r.effects)).toEqual([`reply_help:${ANA}`]);
    }
  });

  it('takes corrections alone and stays unclear', () => {
    const { request } = possible();
    const c = step(request, MIN, { type: 'correct', by: ANA, corrections: { acronym: 'QTQ' }, via: '<c@coord>' });
    expect(c.request.status).toBe('unclear');
    expect(c.request.organization.acronym).toBe('QTQ');
    expect(templates(c.effects)).toEqual([`request_updated:${ANA}`, `request_updated:${BESA}`]);
    expect(isPossibleNonce(sends(c.effects)[0]!.token!.nonce)).toBe(true);
  });

  it('applies the same reply once', () => {
    const { request } = possible();
    const o = step(request, MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    const replay = step(o.request, 2 * MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    expect(replay.changed).toBe(false);
    expect(replay.effects).toEqual([]);
  });

  it('tells a coordinator that JOIN on an ordinary request does not approve it', () => {
    const { request } = possible();
    const o = step(request, MIN, { type: 'open', by: ANA, via: '<a@coord>' });
    const plain = { ...o.request, possible: null };
    const r = step(plain, 2 * MIN, { type: 'open', by: BESA, via: '<b@coord>' });
    expect(r.request.approvals).toEqual([]);
    expect(templates(r.effects)).toEqual([`reply_help:${BESA}`]);
  });
});
