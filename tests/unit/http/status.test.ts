import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../../src/adapters/http/pages.ts';
import { authorised, csrfToken, csrfValid } from '../../../src/adapters/http/status.ts';

const TOKEN = 'a-status-page-token-0123';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('the status page token', () => {
  it('is accepted as a Bearer token, or as the password of basic auth with any user name', () => {
    expect(authorised(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorised(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorised(basic('ana', TOKEN), TOKEN)).toBe(true);
    expect(authorised(basic('', TOKEN), TOKEN)).toBe(true);
  });

  it('is refused when wrong, missing, given as the user name, or cut short', () => {
    expect(authorised(undefined, TOKEN)).toBe(false);
    expect(authorised('', TOKEN)).toBe(false);
    expect(authorised(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(authorised(basic(TOKEN, 'x'), TOKEN)).toBe(false);
    expect(authorised(`Token ${TOKEN}`, TOKEN)).toBe(false);
    expect(authorised(`Basic ${Buffer.from(TOKEN).toString('base64')}`, TOKEN)).toBe(false);
  });
});

describe('the CSRF token of a form', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  it('is valid for twelve hours under the token that made it', () => {
    const t = csrfToken(TOKEN, now);
    expect(csrfValid(TOKEN, t, now)).toBe(true);
    expect(csrfValid(TOKEN, t, new Date(now.getTime() + 11 * 3600_000))).toBe(true);
    expect(csrfValid(TOKEN, t, new Date(now.getTime() + 13 * 3600_000))).toBe(false);
  });

  it('is worthless under another HTTP_TOKEN, edited, or missing', () => {
    const t = csrfToken(TOKEN, now);
    expect(csrfValid('another-status-token-0123', t, now)).toBe(false);
    expect(csrfValid(TOKEN, t.replace(/.$/, (c) => (c === '0' ? '1' : '0')), now)).toBe(false);
    expect(csrfValid(TOKEN, `${Number(t.split('.')[0]) + 1}.${t.split('.')[1]}`, now)).toBe(false);
    expect(csrfValid(TOKEN, undefined, now)).toBe(false);
    expect(csrfValid(TOKEN, '', now)).toBe(false);
  });
});

describe('the diff between two statement versions', () => {
  it('shows the signatory added at the end and the one removed from the middle', () => {
    const v1 = ['Signed:', '1. A', '2. B', '3. C', 'footer'];
    const v2 = ['Signed:', '1. A', '2. C', '3. D', 'footer'];
    const changed = lineDiff(v1, v2).filter((d) => d.op !== ' ');
    expect(changed).toEqual([
      { op: '-', line: '2. B' },
      { op: '-', line: '3. C' },
      { op: '+', line: '2. C' },
      { op: '+', line: '3. D' },
    ]);
    expect(lineDiff(v1, v1).every((d) => d.op === ' ')).toBe(true);
    expect(lineDiff([], ['x'])).toEqual([{ op: '+', line: 'x' }]);
  });
});
