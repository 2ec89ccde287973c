import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RequestStore } from '../../../src/adapters/redis/request-store.ts';
import { deletePrefix, startRedis, type DevRedis } from '../../../src/devstack/redis.ts';
import { createRequest, transition, type Ctx } from '../../../src/domain/request.ts';

const ANA = 'ana@coord.example.org';
const BESA = 'besa@coord.example.org';
const ctx = (): Ctx => ({
  now: new Date(),
  settings: {
    coordinators: [ANA, BESA],
    approvalsRequired: 2,
    undoWindowMs: 0,
    reminderAfterMs: 60_000,
    requestTtlMs: 3_600_000,
  },
});

function newRequest(id: string) {
  return createRequest(
    {
      id,
      kind: 'join',
      organization: { name: `Org ${id}`, acronym: null, city: null, website: null },
      contact: null,
      replyAddress: 'x@org.example.net',
      senderAddress: 'x@org.example.net',
      language: 'en',
      originalMessageId: `<${id}@org.example.net>`,
      references: [],
      originalSubject: 'Join',
      excerpt: '',
      missing: [],
      receivedAt: new Date(),
    },
    ctx(),
  );
}

describe('the request store (real Redis)', () => {
  let dev: DevRedis;
  let redis: Redis;
  let store: RequestStore;
  let other: RequestStore;
  const prefix = `t-store-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dev = await startRedis();
    redis = new Redis(dev.url, { maxRetriesPerRequest: null });
    store = new RequestStore(redis, keyspace(prefix));
    other = new RequestStore(redis, keyspace(prefix));
  });
  afterAll(async () => {
    await store?.close();
    await other?.close();
    await deletePrefix(redis, prefix);
    await redis?.quit();
    await dev?.stop();
  });

  it('creates one request per received message, however often it is handed in', async () => {
    const a = await store.create(newRequest('REQ-AAAA2'), '<m1@org.example.net>');
    const b = await other.create(newRequest('REQ-BBBB3'), '<m1@org.example.net>');
    expect(a).toEqual({ created: true, id: 'REQ-AAAA2' });
    expect(b).toEqual({ created: false, id: 'REQ-AAAA2' });
    expect(await store.get('REQ-BBBB3')).toBeNull();
    expect((await store.pendingEffects('REQ-AAAA2')).length).toBeGreaterThan(0);
  });

  it('applies a reply once: the same reply again is a replay', async () => {
    const use = { coordinator: ANA, replyMessageId: '<r1@coord.example.org>', requestId: 'REQ-AAAA2' };
    const step = (r: Parameters<typeof transition>[0]) =>
      transition(r, { type: 'decide', by: ANA, decision: 'approve', via: '<r1@coord.example.org>' }, ctx());
    const first = await store.update('REQ-AAAA2', step, { tokenUse: use });
    const again = await other.update('REQ-AAAA2', step, { tokenUse: use });
    expect(first).toMatchObject({ found: true, changed: true });
    expect(again).toMatchObject({ found: true, replay: true, changed: false });
    expect((await store.get('REQ-AAAA2'))?.approvals).toHaveLength(1);
    expect(await store.tokenUsed(ANA, '<R1@coord.example.org>')).toMatchObject({ requestId: 'REQ-AAAA2' });
  });

  it('loses no concurrent change: two stores approving at once both count', async () => {
    await store.create(newRequest('REQ-CCCC4'), '<m2@org.example.net>');
    const approve = (s: RequestStore, by: string, via: string) =>
      s.update('REQ-CCCC4', (r) => transition(r, { type: 'decide', by, decision: 'approve', via }, ctx()));
    await Promise.all([approve(store, ANA, '<a@x>'), approve(other, BESA, '<b@x>')]);
    const r = await store.get('REQ-CCCC4');
    expect(r?.status).toBe('approved');
    expect(r?.approvals.map((a) => a.by).sort()).toEqual([ANA, BESA]);
    expect((await store.pendingEffects('REQ-CCCC4')).filter((e) => e.type === 'addSignatory')).toHaveLength(1);
  });

  it('keeps effects until they are completed, and only those', async () => {
    const pending = await store.pendingEffects('REQ-CCCC4');
    await store.completeEffects('REQ-CCCC4', pending.slice(0, 2));
    expect(await store.pendingEffects('REQ-CCCC4')).toEqual(pending.slice(2));
    await store.completeEffects('REQ-CCCC4', pending);
    expect(await store.pendingEffects('REQ-CCCC4')).toEqual([]);
    expect(await store.requestsWithEffects()).not.toContain('REQ-CCCC4');
  });

  it('finds open requests through its index, which follows every change, and rebuilds it from the records', async () => {
    const created = newRequest('REQ-DDDD5');
    created.request.organization = { name: 'Qendra për Transparencë', acronym: 'QPT', city: null, website: null };
    await store.create(created, '<m3@org.example.net>');
    const ids = async (entries: string[]) => (await store.openMatching(entries)).map((r) => r.id).sort();
    expect(await ids(['name:qendra per transparence'])).toEqual(['REQ-DDDD5']);
    expect(await ids(['acronym:qpt'])).toEqual(['REQ-DDDD5']);
    expect(await ids(['domain:org.example.net'])).toEqual(['REQ-AAAA2', 'REQ-DDDD5']); // REQ-CCCC4 was approved: closed
    // A corrected name moves it in the index, in the same transaction as the record.
    await store.update('REQ-DDDD5', (r) => ({
      request: { ...r, organization: { ...r.organization, name: 'Qendra Rinore' } },
      effects: [],
      changed: true,
    }));
    expect(await ids(['name:qendra per transparence'])).toEqual([]);
    expect(await ids(['name:qendra rinore'])).toEqual(['REQ-DDDD5']);
    // Closed: out of the index.
    await store.update('REQ-DDDD5', (r) => transition(r, { type: 'decide', by: ANA, decision: 'reject', via: '<r9@x>' }, ctx()));
    await store.update('REQ-DDDD5', (r) => transition(r, { type: 'decide', by: BESA, decision: 'reject', via: '<r10@x>' }, ctx()));
    expect((await store.get('REQ-DDDD5'))?.status).toBe('rejected');
    expect(await ids(['name:qendra rinore', 'acronym:qpt'])).toEqual([]);
    // Lost (an operational key) or restored from a backup: rebuilt from the live records alone.
    const k = keyspace(prefix);
    const stale = await redis.keys(`${k.op('idx', 'open')}:*`);
    await redis.del(...stale, k.op('idx', 'built'));
    await redis.sadd(k.op('idx', 'open', 'junk'), 'REQ-GONE7');
    expect(await ids(['domain:org.example.net'])).toEqual([]);
    expect(await store.ensureIndex()).toBe(1);
    expect(await store.ensureIndex()).toBeNull(); // built once
    expect(await ids(['domain:org.example.net'])).toEqual(['REQ-AAAA2']);
    expect(await redis.exists(k.op('idx', 'open', 'junk'))).toBe(0);
  });

  it('stores a request only if no request under the entries it checked changed since', async () => {
    const entries = ['name:org race', 'domain:race.example.net'];
    const seen = await store.snapshot(entries);
    const first = newRequest('REQ-EEEE6');
    first.request.organization = { ...first.request.organization, name: 'Org Race' };
    // Another processor creates the same organisation in between: this one must check again.
    const rival = newRequest('REQ-FFFF7');
    rival.request.organization = { ...rival.request.organization, name: 'Org Race' };
    expect(await other.create(rival, '<m5@race.example.net>')).toMatchObject({ created: true });
    expect(await store.create(first, '<m4@race.example.net>', { unchangedSince: seen })).toMatchObject({ created: false, stale: true });
    // An unrelated request does not make it retry.
    const calm = await store.snapshot(['name:org calm']);
    await other.create(newRequest('REQ-GGGG8'), '<m6@elsewhere.example.net>');
    const third = newRequest('REQ-HHHH9');
    third.request.organization = { ...third.request.organization, name: 'Org Calm' };
    expect(await store.create(third, '<m7@calm.example.net>', { unchangedSince: calm })).toMatchObject({ created: true });
  });
});
