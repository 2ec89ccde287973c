import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/adapters/imap/backoff.ts';

describe('reconnect backoff', () => {
  const o = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

  it('doubles the delay ceiling with every failed attempt', () => {
    const top = (n: number) => backoffDelay(n, o, () => 1);
    expect([0, 1, 2, 3].map(top)).toEqual([500, 1000, 2000, 4000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(backoffDelay(50, o, () => 1)).toBe(30_000);
    expect(backoffDelay(10_000, o, () => 0.999)).toBeLessThanOrEqual(30_000);
  });

  it('spreads reconnects of several watchers with jitter, within [ceiling·(1-jitter), ceiling]', () => {
    expect(backoffDelay(3, o, () => 0)).toBe(2000);
    expect(backoffDelay(3, o, () => 0.5)).toBe(3000);
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, o)));
    expect(seen.size).toBeGreaterThan(10);
    for (const d of seen) expect(d >= 2000 && d <= 4000).toBe(true);
  });

  it('is fully random with jitter 1 and fixed with jitter 0', () => {
    expect(backoffDelay(2, { ...o, jitter: 1 }, () => 0)).toBe(0);
    expect(backoffDelay(2, { ...o, jitter: 0 }, () => 0.7)).toBe(2000);
  });
});
