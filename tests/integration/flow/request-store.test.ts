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
});
