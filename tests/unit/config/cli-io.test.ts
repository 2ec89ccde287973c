import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../../src/cli/io.ts';

describe('text from mail shown on a terminal', () => {
  it('makes escape sequences visible instead of letting them act', () => {
    const name = 'Acme\u001b[2J\u001b[1;1HApproved by everyone\u0007';
    const shown = terminalSafe(name);
    expect([...shown].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
    expect(shown).toBe('Acme\\u001b[2J\\u001b[1;1HApproved by everyone\\u0007');
  });

  it('keeps ordinary text, line breaks, tabs and Albanian letters as they are', () => {
    expect(terminalSafe('Qendra për Zhvillim – Korçë\n\t1. Shoqata “Zëri”')).toBe('Qendra për Zhvillim – Korçë\n\t1. Shoqata “Zëri”');
  });
});
