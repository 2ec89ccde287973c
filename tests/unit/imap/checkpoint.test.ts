import { describe, expect, it } from 'vitest';
import { advance, planScan, uidsFrom } from '../../../src/adapters/imap/checkpoint.ts';

describe('checkpoint logic', () => {
  it('scans a mailbox it has never seen from UID 1', () => {
    expect(planScan(null, '1700000000')).toEqual({ fromUid: 1, reason: 'first-run' });
  });

  it('resumes after the last UID it dealt with', () => {
    expect(planScan({ uidValidity: '1700000000', lastUid: 41 }, '1700000000')).toEqual({ fromUid: 42, reason: 'resume' });
  });

  it('rescans from UID 1 when UIDVALIDITY changed, instead of skipping mail', () => {
    expect(planScan({ uidValidity: '1700000000', lastUid: 41 }, '1700009999')).toEqual({ fromUid: 1, reason: 'uidvalidity-changed' });
  });

  it('ignores the last message a "UID n:*" search returns when n is past every UID', () => {
    expect(uidsFrom([41], 42)).toEqual([]);
    expect(uidsFrom([44, 42, 43, 42], 42)).toEqual([42, 43, 44]);
  });

  it('never moves the checkpoint backwards within one UIDVALIDITY', () => {
    const cp = { uidValidity: '7', lastUid: 10 };
    expect(advance(cp, '7', 9)).toBe(cp);
    expect(advance(cp, '7', 11)).toEqual({ uidValidity: '7', lastUid: 11 });
  });

  it('starts over with the new UIDVALIDITY, even at a lower UID', () => {
    expect(advance({ uidValidity: '7', lastUid: 10 }, '8', 1)).toEqual({ uidValidity: '8', lastUid: 1 });
    expect(advance(null, '8', 3)).toEqual({ uidValidity: '8', lastUid: 3 });
  });
});
