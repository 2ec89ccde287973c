import { OPEN_STATUSES, type FlowSettings, type RequestRecord, type TimerEffect } from '../domain/request.ts';
import type { Flow } from './flow.ts';

/**
 * After `coalition import`: BullMQ's timers are operational data, never in a
 * backup, so every timer a restored request waits for is scheduled again from
 * the request itself, and the effects that were pending when the backup was
 * taken (saved with it) are performed. A timer whose moment has passed fires at
 * once; every timer handler checks the request's sequence numbers, so one that
 * turns out stale does nothing.
 */

/** Same ids as the state machine's own (Builder.schedule): a timer still queued is not doubled. */
function timer(r: RequestRecord, kind: TimerEffect['timer'], at: Date, seq: number): TimerEffect {
  return { type: 'schedule', timer: kind, jobId: `${r.id}.${kind}.${seq}`, at: at.toISOString(), seq };
}

/** When the last reminder went out, or the request began waiting (created, or opened from a possible request). */
function lastReminderBase(r: RequestRecord): Date {
  const base = r.audit.filter((a) => a.event === 'reminded' || a.event === 'opened').at(-1)?.at ?? r.createdAt;
  return new Date(base);
}

/** The timers a request is waiting for, read from its state. */
export function timersOf(r: RequestRecord, s: FlowSettings): TimerEffect[] {
  const out: TimerEffect[] = [];
  const waiting = OPEN_STATUSES.includes(r.status) || r.status === 'decided_pending_undo';
  if (r.status === 'decided_pending_undo' && r.decision) {
    out.push(timer(r, 'finalize', new Date(r.decision.effectiveAt), r.decision.seq));
  }
  if ((waiting || r.status === 'unclear') && s.reminderAfterMs > 0 && s.reminderAfterMs < s.requestTtlMs) {
    const next = new Date(lastReminderBase(r).getTime() + s.reminderAfterMs);
    if (next < new Date(r.expiresAt)) out.push(timer(r, 'reminder', next, r.reminders + 1));
  }
  // A possible request never expires; a decision pending its undo window may still be undone and then expire.
  if (waiting) out.push(timer(r, 'expiry', new Date(r.expiresAt), 0));
  return out;
}

export interface TimerRebuild {
  /** Schedules a timer, replacing a finished job left with the same id (a completed job would block the id). */
  reschedule(t: TimerEffect & { requestId: string }): Promise<void>;
}

export interface RestoreResult {
  requests: number;
  timers: number;
  /** Requests whose pending effects were performed. */
  effects: number;
}

/** `onProgress`: after each request whose timers are scheduled again, how many of how many (for the CLI's progress line). */
export async function rebuildAfterRestore(
  flow: Flow,
  timers: TimerRebuild,
  settings: FlowSettings,
  onProgress?: (done: number, total: number) => void,
): Promise<RestoreResult> {
  // The index duplicate detection looks requests up by is operational (never in a backup): made again first.
  await flow.d.store.reindex();
  const requests = await flow.d.store.list();
  let n = 0;
  onProgress?.(0, requests.length);
  for (const [i, r] of requests.entries()) {
    for (const t of timersOf(r, settings)) {
      await timers.reschedule({ ...t, requestId: r.id });
      n += 1;
    }
    onProgress?.(i + 1, requests.length);
  }
  const effects = await flow.recover();
  return { requests: requests.length, timers: n, effects };
}
