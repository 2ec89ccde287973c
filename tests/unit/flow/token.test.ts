import { describe, expect, it } from 'vitest';
import {
  approvalToken,
  findTokenRefs,
  newRequestId,
  REQUEST_ID_RE,
  subjectRequestId,
  tokenMessageIdLocal,
  verifyToken,
} from '../../../src/domain/token.ts';

const SECRET = 'a'.repeat(64);
const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';

function refFor(requestId: string, coordinator: string, nonce = 'a0', secret = SECRET) {
  const local = tokenMessageIdLocal(secret, requestId, coordinator, nonce);
  const [ref] = findTokenRefs(`<${local}@example.org>`, []);
  if (!ref) throw new Error('no ref');
  return ref;
}

describe('approval tokens', () => {
  it('are at least 128 bits, lower-case base32, and safe in a Message-ID', () => {
    const t = approvalToken(SECRET, 'REQ-7F3K2', ANA);
    expect(t).toMatch(/^[a-z2-7]{32}$/); // 32 × 5 = 160 bits
    expect(tokenMessageIdLocal(SECRET, 'REQ-7F3K2', ANA, 'a0')).toMatch(/^[a-z0-9.-]+$/);
  });
  it('verify for the request and coordinator they were made for', () => {
    expect(verifyToken(SECRET, refFor('REQ-7F3K2', ANA), 'REQ-7F3K2', ANA)).toBe(true);
    expect(verifyToken(SECRET, refFor('REQ-7F3K2', ANA), 'REQ-7F3K2', 'ANA@Coord.Example.org')).toBe(true);
  });
  it('are worthless when forwarded to another coordinator', () => {
    expect(verifyToken(SECRET, refFor('REQ-7F3K2', ANA), 'REQ-7F3K2', BESA)).toBe(false);
  });
  it('are worthless for another request', () => {
    const ref = refFor('REQ-7F3K2', ANA);
    expect(verifyToken(SECRET, ref, 'REQ-9ABCD', ANA)).toBe(false);
    expect(verifyToken(SECRET, { ...ref, requestId: 'REQ-9ABCD' }, 'REQ-9ABCD', ANA)).toBe(false);
  });
  it('are worthless when tampered with or made with another secret', () => {
    const ref = refFor('REQ-7F3K2', ANA);
    const flipped = (ref.token[0] === 'a' ? 'b' : 'a') + ref.token.slice(1);
    expect(verifyToken(SECRET, { ...ref, token: flipped }, 'REQ-7F3K2', ANA)).toBe(false);
    expect(verifyToken(SECRET, { ...ref, token: ref.token.slice(0, 31) }, 'REQ-7F3K2', ANA)).toBe(false);
    expect(verifyToken(SECRET, { ...ref, nonce: 'a1' }, 'REQ-7F3K2', ANA)).toBe(false);
    expect(verifyToken(SECRET, refFor('REQ-7F3K2', ANA, 'a0', 'b'.repeat(64)), 'REQ-7F3K2', ANA)).toBe(false);
  });
  it('are found in In-Reply-To and References, nearest first, even when a client upper-cases them', () => {
    const a = tokenMessageIdLocal(SECRET, 'REQ-7F3K2', ANA, 'a0');
    const b = tokenMessageIdLocal(SECRET, 'REQ-7F3K2', ANA, 'e1');
    const refs = findTokenRefs(`<${b.toUpperCase()}@example.org>`, [`<orig@cso.example.net>`, `<${a}@example.org>`]);
    expect(refs.map((r) => r.nonce)).toEqual(['e1', 'a0']);
    expect(verifyToken(SECRET, refs[0]!, 'REQ-7F3K2', ANA)).toBe(true);
  });
});

describe('request ids', () => {
  it('use an unambiguous alphabet', () => {
    for (let i = 0; i < 200; i++) expect(newRequestId()).toMatch(REQUEST_ID_RE);
    for (let i = 0; i < 200; i++) expect(newRequestId().slice(4)).not.toMatch(/[01ILOU]/);
  });
  it('are read from a subject tag', () => {
    expect(subjectRequestId('Re: Konfirmim [req-7f3k2]')).toBe('REQ-7F3K2');
    expect(subjectRequestId('Re: hello')).toBeNull();
  });
});
