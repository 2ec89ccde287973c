import { describe, expect, it } from 'vitest';
import {
  findDuplicate,
  indexEntries,
  lookupEntries,
  type Indexed,
  type KnownOrganisation,
} from '../../../src/domain/request.ts';

/**
 * The processor no longer reads every open request to find a duplicate: it reads those kept under
 * lookupEntries(org, sender). That is only safe if every request findDuplicate could match over all of them
 * is among those. Checked over many generated organisations, names colliding on purpose.
 */

const NAMES = ['Qendra Rinore', 'QENDRA  RINORE', 'Qëndra Rinorë', 'Shoqata Mjedisore', 'Instituti', 'QR', 'SM', 'idm', 'IDM', null];
const ACRONYMS = [null, 'QR', 'qr', 'SM', 'IDM', 'Q', 'Instituti'];
const ADDRESSES = ['a@qr.example.org', 'b@QR.example.org', 'c@sm.example.net', 'x@gmail.com', 'y@gmail.com', 'z@idm.example.org', ''];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function request(r: () => number, i: number): Indexed & { id: string } {
  return {
    id: `REQ-${i}`,
    kind: 'join',
    organization: { name: pick(r, NAMES), acronym: pick(r, ACRONYMS) },
    senderAddress: pick(r, ADDRESSES),
    replyAddress: pick(r, ADDRESSES),
  };
}

function known(x: Indexed & { id: string }): KnownOrganisation {
  return { id: x.id, name: x.organization.name ?? '', acronym: x.organization.acronym, emails: [x.senderAddress, x.replyAddress] };
}

describe('the open-request index', () => {
  it('finds, through lookupEntries, every request findDuplicate would match among all of them', () => {
    const r = rng(7);
    let matched = 0;
    for (let round = 0; round < 400; round++) {
      const open = Array.from({ length: 12 }, (_, i) => request(r, round * 100 + i));
      const org = { name: pick(r, NAMES), acronym: pick(r, ACRONYMS), city: null, website: null };
      const sender = pick(r, ADDRESSES);
      const wanted = new Set(lookupEntries(org, sender));
      const found = open.filter((o) => indexEntries(o).some((e) => wanted.has(e)));
      const overAll = findDuplicate(org, sender, open.map(known));
      const overFound = findDuplicate(org, sender, found.map(known));
      expect(overFound?.on ?? null).toBe(overAll?.on ?? null);
      if (overAll) {
        matched++;
        expect(found.map((f) => f.id)).toContain(overAll.org.id);
      }
    }
    // The generator must make collisions happen, or the check above proves nothing.
    expect(matched).toBeGreaterThan(100);
  });

  it('keeps free-mail domains out (every gmail.com request would be a candidate of every other)', () => {
    const entries = indexEntries({ kind: 'join', organization: { name: null, acronym: null }, senderAddress: 'x@gmail.com', replyAddress: 'x@gmail.com' });
    expect(entries).toEqual(['reply:x@gmail.com']);
    expect(lookupEntries({ name: null, acronym: null }, 'y@gmail.com')).toEqual([]);
  });

  it('files a withdrawal under its signatory, and a request under its reply address', () => {
    const entries = indexEntries({
      kind: 'withdrawal',
      organization: { name: 'Qendra Rinore', acronym: 'QR' },
      senderAddress: 'a@qr.example.org',
      replyAddress: 'a@qr.example.org',
      signatoryId: 'sig-4',
    });
    expect(entries).toEqual(expect.arrayContaining(['name:qendra rinore', 'acronym:qr', 'domain:qr.example.org', 'reply:a@qr.example.org', 'signatory:sig-4']));
  });
});
