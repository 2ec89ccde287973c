import { describe, expect, it } from 'vitest';
import { prefetchGroups, type MessageMeta } from '../../../src/adapters/imap/ingest.ts';

const meta = (uid: number, size: number): MessageMeta => ({ uid, size, internalDate: new Date(0), messageId: null, from: '', subject: '' });
const uids = (groups: MessageMeta[][]) => groups.map((g) => g.map((m) => m.uid));

describe('prefetchGroups: what one FETCH of a catch-up brings', () => {
  it('keeps UID order and cuts at the message count', () => {
    const metas = Array.from({ length: 7 }, (_, i) => meta(i + 1, 10));
    expect(uids(prefetchGroups(metas, 1000, 3))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('never holds more than the byte bound, and a message larger than it alone', () => {
    const groups = prefetchGroups([meta(1, 40), meta(2, 50), meta(3, 500), meta(4, 30), meta(5, 80)], 100, 50);
    expect(uids(groups)).toEqual([[1, 2], [3], [4], [5]]);
    for (const g of groups) if (g.length > 1) expect(g.reduce((s, m) => s + m.size, 0)).toBeLessThanOrEqual(100);
  });

  it('gives nothing for nothing', () => {
    expect(prefetchGroups([])).toEqual([]);
  });
});
