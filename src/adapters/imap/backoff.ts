/**
 * Reconnect delays: exponential growth with "full jitter" (AWS Architecture
 * blog, "Exponential Backoff and Jitter"), so several watchers that lost the
 * same server do not reconnect in lock-step. Pure: the random source is injected.
 */
export interface BackoffOptions {
  /** Delay ceiling of the first retry (ms). */
  baseMs: number;
  /** Upper bound of any delay (ms). */
  maxMs: number;
  /** Part of the delay that is random, 0..1 (1 = full jitter, 0 = none). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 60_000, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (0 = first retry): the ceiling
 * base·2^attempt (capped at maxMs), of which a `jitter` share is random.
 */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  const exp = Math.min(30, Math.max(0, Math.floor(attempt))); // 2^30 already exceeds any sane cap
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** exp);
  const fixed = ceiling * (1 - jitter);
  return Math.round(fixed + random() * ceiling * jitter);
}
