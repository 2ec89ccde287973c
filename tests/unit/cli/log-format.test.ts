import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { chooseLogFormat, createServiceLogger } from '../../../src/adapters/log.ts';

/** LOG_FORMAT: readable lines on a terminal (pino-pretty), JSON lines elsewhere, JSON with one warning when pino-pretty is missing. */

function output(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, out: { isTTY, write: (s: string) => void lines.push(s) } };
}

const base = { COALITION_ADDRESS: 'info@example.org', COORDINATORS: 'ana@coord.example.org' };

describe('the log format', () => {
  it('is a setting: auto unless set, and nothing but auto, json or pretty', () => {
    expect(loadConfig(base, null).LOG_FORMAT).toBe('auto');
    expect(loadConfig({ ...base, LOG_FORMAT: 'json' }, null).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ ...base, LOG_FORMAT: 'fancy' }, null)).toThrow(/LOG_FORMAT/);
  });

  it('auto is pretty on a terminal only; json and pretty are what they say', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes JSON lines when the output is not a terminal', async () => {
    const o = output(false);
    const log = await createServiceLogger({ format: 'auto', output: o.out });
    log.info({ requestId: 'REQ-7F3K2', from: 'pending', to: 'approved' }, 'request transition');
    expect(o.lines).toHaveLength(1);
    expect(JSON.parse(o.lines[0]!)).toMatchObject({ level: 30, requestId: 'REQ-7F3K2', msg: 'request transition' });
  });

  it('writes one readable line per event on a terminal, with the fields, the time in UTC, and secrets still redacted', async () => {
    const o = output(true);
    const log = await createServiceLogger({ format: 'auto', output: o.out, warn: () => expect.unreachable('pino-pretty is a dependency') });
    log.info({ requestId: 'REQ-7F3K2', from: 'pending', to: 'approved', token: 'abcdefghijklmnopqrstuvwxyz234567' }, 'request transition');
    expect(o.lines).toHaveLength(1);
    const line = o.lines[0]!;
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC\] /);
    expect(line).toMatch(/INFO/);
    expect(line).toContain('request transition');
    expect(line).toContain('"requestId":"REQ-7F3K2"');
    expect(line).not.toContain('abcdefghijklmnopqrstuvwxyz234567');
    expect(line.trimEnd().split('\n')).toHaveLength(1);
  });

  it('falls back to JSON with one warning line when pino-pretty cannot be loaded', async () => {
    const o = output(true);
    const warnings: string[] = [];
    const missing = Object.assign(new Error("Cannot find package 'pino-pretty'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const log = await createServiceLogger({
      format: 'pretty',
      output: o.out,
      warn: (l) => warnings.push(l),
      load: async () => {
        throw missing;
      },
    });
    log.info({ a: 1 }, 'first');
    log.info({ a: 2 }, 'second');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/pino-pretty .*not installed.*JSON/);
    expect(o.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first', 'second']);
  });
});
