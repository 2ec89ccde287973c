import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../harness/stack.ts';
import { appendMany, configOf, countIn, FOLDERS, mail, probeQueue, testTriage, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { spawnWatcher } from '../../harness/child.ts';
import { startWatcher, type RunningWatcher, type WatcherTuning } from '../../../workers/watcher.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { ingestKeys } from '../../../src/adapters/imap/wiring.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';

const FAST: WatcherTuning = { lockTtlMs: 1_500, lockRetryMs: 200, backoff: { baseMs: 100, maxMs: 1_000 } };
const lockKey = (): string => ingestKeys(keyspace(stackPrefix)).lock('INBOX');
let stackPrefix = '';

/** The watcher's first connection, or an error after `ms`. */
function connectedWithin(w: RunningWatcher, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the watcher did not connect within ${ms} ms`)), ms);
    w.watcher.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

const keyOf = (raw: string): string => messageKey(/Message-ID: (.+)/.exec(raw)?.[1] ?? null, Buffer.from(raw));

describe('the watcher across stops, crashes and a second instance', () => {
  let stack: Stack;
  let probe: QueueProbe;
  const running: RunningWatcher[] = [];
  const start = async (): Promise<RunningWatcher> => {
    const w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger: silentLogger, triage: testTriage, tuning: FAST });
    running.push(w);
    return w;
  };

  beforeAll(async () => {
    stack = await startStack();
    stackPrefix = stack.prefix;
    probe = probeQueue(stack);
  });
  afterAll(async () => {
    for (const w of running) await w.close();
    await probe?.close();
    await stack?.stop();
  });

  async function expectEachQueuedOnce(raws: string[], totalJobs: number): Promise<void> {
    const jobs = await probe.jobs();
    expect(jobs).toHaveLength(totalJobs);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(totalJobs);
    expect(await probe.seenCount()).toBe(totalJobs);
    const ids = new Set(jobs.map((j) => j.id));
    expect(raws.map(keyOf).filter((k) => !ids.has(k))).toEqual([]);
  }

  it('picks up messages APPENDed while it was stopped as soon as it starts', async () => {
    const raws = Array.from({ length: 20 }, (_, i) => mail({ subject: `While stopped ${i}` }));
    await appendMany(stack, raws);
    const w = await start();
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 10_000, 'INBOX empty');
    await expectEachQueuedOnce(raws, 20);
    await w.close();
  });

  it('leaves no message unqueued and none queued twice after a SIGKILL in the middle of a batch, and the standby takes over within seconds', async () => {
    const raws = Array.from({ length: 120 }, (_, i) => mail({ subject: `Crash batch ${i}` }));
    await appendMany(stack, raws);
    const child = spawnWatcher(stack.env, FAST);
    await child.waitFor((ev) => ev.some((e) => e.event === 'connected'), 15_000);
    const standby = await start(); // the instance that carries on: a restart, already waiting for the lock
    await child.waitFor((ev) => ev.filter((e) => e.event === 'filed').length >= 30, 30_000);
    child.kill('SIGKILL');
    expect(await child.exited).toBeNull();
    const filedBeforeCrash = child.events.filter((e) => e.event === 'filed').length;
    expect(await countIn(stack, 'INBOX')).toBeGreaterThan(0); // it really died mid-batch
    // The killed one's lock runs out (lockTtlMs), then the standby takes it.
    await connectedWithin(standby, FAST.lockTtlMs! + 10_000);
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 30_000, 'INBOX empty after the takeover');
    await standby.close();
    expect(filedBeforeCrash).toBeGreaterThanOrEqual(30);
    await expectEachQueuedOnce(raws, 20 + 120);
    expect(await countIn(stack, FOLDERS.processed)).toBe(20 + 120);
  });

  it('queues each message once while two watchers run at once, and the standby takes over when the active one stops', async () => {
    const a = await start();
    const b = await start();
    const raws = Array.from({ length: 40 }, (_, i) => mail({ subject: `Two watchers ${i}` }));
    await appendMany(stack, raws);
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 15_000, 'INBOX empty');
    await expectEachQueuedOnce(raws, 180);
    const [active, standby] = a.watcher.isActive ? [a, b] : [b, a];
    expect(standby.watcher.isActive).toBe(false);

    const heldByActive = await stack.redis.get(lockKey());
    expect(heldByActive).not.toBeNull();
    await active.close();
    // Released on close, not left to run out (the standby may already hold a lock of its own).
    expect(await stack.redis.get(lockKey())).not.toBe(heldByActive);
    await connectedWithin(standby, 10_000);
    const more = Array.from({ length: 5 }, (_, i) => mail({ subject: `After takeover ${i}` }));
    await appendMany(stack, more);
    await waitUntil(async () => (await countIn(stack, 'INBOX')) === 0, 10_000, 'INBOX empty after takeover');
    await expectEachQueuedOnce([...raws, ...more], 185);
    await standby.close();
  });

  it('stops gracefully on SIGTERM: exit code 0 and the lock released at once', async () => {
    const child = spawnWatcher(stack.env, { ...FAST, lockTtlMs: 30_000 });
    await child.waitFor((ev) => ev.some((e) => e.event === 'connected'), 10_000);
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    // Released before exiting: nobody has to wait out its 30 s TTL.
    expect(await stack.redis.exists(lockKey())).toBe(0);
    const next = await start();
    await connectedWithin(next, 10_000);
    await next.close();
  });
});
