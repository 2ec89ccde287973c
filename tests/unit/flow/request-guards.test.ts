import { describe, expect, it } from 'vitest';
import {
  createRequest,
  missingLabel,
  transition,
  type Ctx,
  type Effect,
  type FlowSettings,
  type Organization,
  type SendEffect,
} from '../../../src/domain/request.ts';

/**
 * Rules the state machine keeps by itself, whoever calls it (a mailed reply, the
 * CLI, a future caller that forgets a check): only a coordinator decides, an
 * organisation without a name is never approved under its sender's address, and
 * what the acknowledgement asked for is no longer asked once it was given.
 */

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const SENDER = 'arta@cso.example.net';
const T0 = new Date('2026-11-30T10:00:00Z');
const MIN = 60_000;

const settings = (o: Partial<FlowSettings> = {}): FlowSettings => ({
  coordinators: [ANA, BESA],
  approvalsRequired: 1,
  undoWindowMs: 0,
  reminderAfterMs: 3 * 86_400_000,
  requestTtlMs: 30 * 86_400_000,
  ...o,
});
const at = (ms: number, s = settings()): Ctx => ({ now: new Date(T0.getTime() + ms), settings: s });

function request(organization: Partial<Organization> = {}, missing: string[] = [], s = settings()) {
  return createRequest(
    {
      id: 'REQ-7F3K2',
      kind: 'join',
      organization: { name: 'Qendra Rinore Shkodër', acronym: null, city: null, website: null, ...organization },
      contact: { name: 'Arta', email: SENDER, phone: null },
      replyAddress: SENDER,
      senderAddress: SENDER,
      language: 'sq',
      originalMessageId: '<orig@cso.example.net>',
      references: [],
      originalSubject: 'Kërkesë për anëtarësim',
      excerpt: 'Dëshirojmë të bashkohemi',
      missing,
      receivedAt: T0,
    },
    at(0, s),
  ).request;
}

const sends = (effects: Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');

describe('a decision from someone who is not a coordinator', () => {
  it('changes nothing and writes to nobody, even when a caller hands it to the state machine', () => {
    const r = request();
    const res = transition(r, { type: 'decide', by: 'mallory@example.net', decision: 'approve', via: '<m1>' }, at(MIN));
    expect(res.request.status).toBe('pending');
    expect(res.request.approvals).toEqual([]);
    expect(res.request.decision).toBeNull();
    expect(res.effects).toEqual([]);
    expect(res.request.audit.at(-1)).toMatchObject({ event: 'ignored', by: 'mallory@example.net' });
    expect(res.request.audit.at(-1)?.detail).toMatch(/not a coordinator/);
  });

  it('cannot reject either', () => {
    const r = request();
    const res = transition(r, { type: 'decide', by: 'Mallory@Example.net', decision: 'reject', reason: 'x', via: '<m2>' }, at(MIN));
    expect(res.request.status).toBe('pending');
    expect(res.effects).toEqual([]);
  });

  it('still counts when a listed coordinator writes her address in capitals', () => {
    const res = transition(request(), { type: 'decide', by: 'ANA@coord.example.org', decision: 'approve', via: '<a1>' }, at(MIN));
    expect(res.request.status).toBe('approved');
  });
});

describe('approving an organisation that has no name', () => {
  it("never makes the sender's e-mail address the signatory: the coordinator is asked for the name", () => {
    const r = request({ name: null });
    const res = transition(r, { type: 'decide', by: ANA, decision: 'approve', via: '<a1>' }, at(MIN));
    expect(res.request.status).toBe('pending');
    expect(res.request.approvals).toEqual([]);
    expect(res.effects.some((e) => e.type === 'addSignatory')).toBe(false);
    const help = sends(res.effects);
    expect(help.map((e) => `${e.template}:${e.to.join(',')}`)).toEqual([`reply_help:${ANA}`]);
    expect(JSON.stringify(help[0]?.vars)).toMatch(/Emri:/);
    expect(JSON.stringify(help[0]?.vars)).toMatch(/Name:/);
    expect(JSON.stringify(res)).not.toMatch(/"name":"arta@cso\.example\.net"/);
  });

  it('approves once the coordinator gives the name with the approval', () => {
    const r = request({ name: null });
    const res = transition(
      r,
      { type: 'decide', by: ANA, decision: 'approve', corrections: { name: 'Lidhja për Qeverisje të Hapur' }, via: '<a2>' },
      at(MIN),
    );
    expect(res.request.status).toBe('approved');
    const add = res.effects.find((e) => e.type === 'addSignatory');
    expect(add).toMatchObject({ organization: { name: 'Lidhja për Qeverisje të Hapur' } });
  });

  it('approves an organisation known by its acronym alone under the acronym', () => {
    const res = transition(request({ name: null, acronym: 'LQH' }), { type: 'decide', by: ANA, decision: 'approve', via: '<a3>' }, at(MIN));
    expect(res.request.status).toBe('approved');
  });

  it('can still be rejected', () => {
    const res = transition(request({ name: null }), { type: 'decide', by: ANA, decision: 'reject', via: '<r1>' }, at(MIN));
    expect(res.request.status).toBe('rejected');
  });
});

describe('what the acknowledgement asked for', () => {
  // The processor stores `missing` as the labels the acknowledgement showed, in the organisation's language.
  const city = missingLabel('organization.city', 'sq');
  const name = missingLabel('organization.name', 'sq');

  it("is no longer missing once the organisation's reply gives it", () => {
    const r = request({ name: null }, [name, city]);
    const res = transition(
      r,
      { type: 'org_reply', from: SENDER, organization: { name: 'Lidhja për Qeverisje të Hapur', city: 'Korçë' }, via: '<o1>' },
      at(MIN),
    );
    expect(res.request.organization.city).toBe('Korçë');
    expect(res.request.missing).toEqual([]);
  });

  it('is no longer missing once a coordinator corrects it, in English too', () => {
    const en = missingLabel('organization.city', 'en');
    const r = request({}, [en]);
    const res = transition(r, { type: 'correct', by: BESA, corrections: { city: 'Vlorë' }, via: '<c1>' }, at(MIN));
    expect(res.request.missing).toEqual([]);
  });

  it('stays missing while it was not given', () => {
    const contact = missingLabel('contact.name', 'sq');
    const r = request({}, [city, contact]);
    const res = transition(r, { type: 'org_reply', from: SENDER, organization: { website: 'https://cso.example.net' }, via: '<o2>' }, at(MIN));
    expect(res.request.missing).toEqual([city, contact]);
  });
});
