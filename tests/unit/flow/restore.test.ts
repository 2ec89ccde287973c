import { describe, expect, it } from 'vitest';
import { timersOf } from '../../../src/app/restore.ts';
import { createPossibleRequest, createRequest, transition, type Ctx, type FlowSettings, type TimerEffect } from '../../../src/domain/request.ts';

const ANA = 'ana@coord.example.org';
const T0 = new Date('2026-11-30T10:00:00Z');
const DAY = 86_400_000;
const s: FlowSettings = { coordinators: [ANA], approvalsRequired: 1, undoWindowMs: 15 * 60_000, reminderAfterMs: 3 * DAY, requestTtlMs: 30 * DAY };
const at = (ms: number): Ctx => ({ now: new Date(T0.getTime() + ms), settings: s });

const input = {
  id: 'REQ-7F3K2',
  organization: { name: 'Qendra Rinore', acronym: null, city: null, website: null },
  contact: null,
  replyAddress: 'arta@cso.example.net',
  senderAddress: 'arta@cso.example.net',
  language: 'sq' as const,
  originalMessageId: '<o@cso.example.net>',
  references: [],
  originalSubject: 'Kërkesë',
  excerpt: '',
  missing: [],
  receivedAt: T0,
};
const brief = (ts: TimerEffect[]) => ts.map((t) => `${t.jobId}@${t.at}`);

describe('the timers a restored request waits for', () => {
  it('are the ones the state machine scheduled: its reminder and its expiry, under the same ids', () => {
    const created = createRequest({ ...input, kind: 'join' }, at(0));
    const scheduled = created.effects.filter((e): e is TimerEffect => e.type === 'schedule');
    expect(brief(timersOf(created.request, s))).toEqual(brief(scheduled));
  });

  it('include the end of a pending undo window, and the next reminder after the last one sent', () => {
    const { request } = createRequest({ ...input, kind: 'join' }, at(0));
    const reminded = transition(request, { type: 'timer', timer: 'reminder', seq: 1 }, at(3 * DAY)).request;
    const decided = transition(reminded, { type: 'decide', by: ANA, decision: 'approve', via: '<p>' }, at(4 * DAY));
    const finalize = decided.effects.find((e): e is TimerEffect => e.type === 'schedule' && e.timer === 'finalize');
    expect(brief(timersOf(decided.request, s))).toEqual([
      `${finalize?.jobId}@${finalize?.at}`,
      `REQ-7F3K2.reminder.2@${new Date(T0.getTime() + 6 * DAY).toISOString()}`,
      `REQ-7F3K2.expiry.0@${decided.request.expiresAt}`,
    ]);
  });

  it('are none for a decided request, and only reminders for a possible one', () => {
    const { request } = createRequest({ ...input, kind: 'join' }, at(0));
    const rejected = transition(request, { type: 'decide', by: ANA, decision: 'reject', via: '<j>' }, { ...at(DAY), settings: { ...s, undoWindowMs: 0 } });
    expect(timersOf(rejected.request, s)).toEqual([]);
    const possible = createPossibleRequest({ ...input, replyAddress: null, reason: 'weak_wording', automatic: false }, at(0)).request;
    expect(timersOf(possible, s).map((t) => t.timer)).toEqual(['reminder']);
  });
});
