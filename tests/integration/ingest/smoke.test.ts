import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, INFO, type Stack } from '../../harness/stack.ts';
import { appendMessage, listMessages } from '../../harness/mailbox.ts';
import { configOf, FOLDERS, mail, probeQueue, testTriage, waitUntil, type QueueProbe } from '../../harness/ingest.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { createLogger } from '../../../src/adapters/log.ts';

describe('smoke', () => {
  let stack: Stack;
  let probe: QueueProbe;
  let w: RunningWatcher;
  beforeAll(async () => {
    stack = await startStack();
    probe = probeQueue(stack);
  });
  afterAll(async () => {
    await w?.close();
    await probe?.close();
    await stack?.stop();
  });
  it('queues a few', async () => {
    w = await startWatcher({ config: configOf(stack), redis: stack.redis, logger: createLogger('debug'), triage: testTriage });
    for (let i = 0; i < 5; i++) await appendMessage(stack.dovecot, INFO, mail());
    await waitUntil(async () => (await probe.jobs()).length === 5, 10_000, '5 jobs');
    await waitUntil(async () => (await listMessages(stack.dovecot, INFO, 'INBOX')).length === 0, 10_000, 'empty inbox');
    expect((await listMessages(stack.dovecot, INFO, FOLDERS.processed)).length).toBe(5);
  });
});
