import { describe, expect, it } from 'vitest';
import { progress } from '../../../src/cli/progress.ts';

/** The progress line of `coalition import` and `backfill`, with a clock the test moves. */

function stream(isTTY: boolean) {
  let text = '';
  return { isTTY, write: (s: string) => void (text += s), text: () => text };
}

describe('progress on a terminal', () => {
  it('redraws one line in place, at most every 250 ms, and leaves the last count with a newline', () => {
    const s = stream(true);
    let now = 0;
    const p = progress({ stream: s, now: () => now, line: (d, t) => `restored ${d} / ${t} requests` });
    p.update(0, 4000);
    for (let i = 1; i <= 4000; i++) {
      if (i % 100 === 0) now += 50; // 100 requests every 50 ms: 2 s in all
      p.update(i, 4000);
    }
    p.end();
    const text = s.text();
    expect(text.endsWith('\rrestored 4,000 / 4,000 requests\x1b[K\n')).toBe(true);
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    const draws = text.split('\r').filter(Boolean).map((d) => d.replace('\x1b[K', '').trim());
    // The first count at once, then one draw per 250 ms (every 500 requests here): nine in 2 s, not 4,000.
    expect(draws).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000].map((n) => `restored ${n.toLocaleString('en-US')} / 4,000 requests`));
  });

  it('keeps other output on lines of its own', () => {
    const s = stream(true);
    const p = progress({ stream: s, now: () => 0, line: (d, t) => `${d}/${t}` });
    p.update(1, 2);
    p.above(() => s.write('row\n'));
    p.end();
    expect(s.text()).toBe('\r1/2\x1b[K\r\x1b[Krow\n1/2\x1b[K\n');
  });
});

describe('progress in a log (not a terminal)', () => {
  it('writes a plain line every tenth, and the last count once', () => {
    const s = stream(false);
    const p = progress({ stream: s, now: () => 0, line: (d, t) => `restored ${d} / ${t} requests` });
    for (let i = 0; i <= 25; i++) p.update(i, 25);
    p.end();
    p.end();
    const lines = s.text().split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 25].map((n) => `restored ${n} / 25 requests`));
    expect(s.text()).not.toContain('\r');
    expect(s.text()).not.toContain('\x1b');
  });

  it('also writes a line every few seconds, however slowly the count moves', () => {
    const s = stream(false);
    let now = 0;
    const p = progress({ stream: s, now: () => now, every: 1000, line: (d, t) => `${d} / ${t}` });
    for (let i = 1; i <= 10; i++) {
      now += 2_000;
      p.update(i, 5000);
    }
    expect(s.text()).toBe('3 / 5,000\n6 / 5,000\n9 / 5,000\n');
  });

  it('writes nothing when there is nothing to count', () => {
    const s = stream(false);
    const p = progress({ stream: s, line: (d, t) => `${d} / ${t}` });
    p.update(0, 0);
    p.end();
    expect(s.text()).toBe('');
  });
});
