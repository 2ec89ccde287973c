import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { createLogger } from '../../../src/adapters/log.ts';
import { startService, type RunningService } from '../../../src/cli/service.ts';
import { appendMessage } from '../../harness/mailbox.ts';
import { INFO, startStack, type Stack } from '../../harness/stack.ts';

let stack: Stack;
let service: RunningService | undefined;
const lines: Record<string, unknown>[] = [];

function logged(predicate: (l: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const hit = lines.find(predicate);
      if (hit) resolve(hit);
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`not logged within ${timeoutMs} ms`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

beforeAll(async () => {
  stack = await startStack();
  const config = loadConfig({ ...stack.env, LOG_LEVEL: 'debug' }, null);
  const logger = createLogger('debug', {}, {
    write(s: string) {
      lines.push(JSON.parse(s) as Record<string, unknown>);
    },
  });
  service = await startService(config, logger);
  await logged((l) => l.msg === 'connected to the mailbox', 10_000);
});

afterAll(async () => {
  await service?.close();
  await stack?.stop();
});

describe('the service, started in-process against the real stack', () => {
  it('notices a message APPENDed to INBOX within 2 s and logs it with its UID', async () => {
    const raw = [
      'From: Someone <someone@cso.example.net>',
      `To: ${INFO}`,
      'Subject: Hello',
      'Message-ID: <smoke-1@cso.example.net>',
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      '',
      'Just saying hello.',
      '',
    ].join('\r\n');
    const uid = await appendMessage(stack.dovecot, INFO, raw);
    // The deadline is the acceptance criterion: the watcher's log line names this UID within 2 s.
    const noticed = await logged((l) => l.uid === uid && l.msg === 'noticed message', 2_000);
    expect(noticed.mailbox).toBe('INBOX');
    // And the desk goes on to deal with it, under the same UID: a hello is not its business, so it stays in INBOX.
    const left = await logged((l) => l.uid === uid && l.msg === 'message left in the mailbox', 10_000);
    expect(left.folder).toBe('INBOX');
  });

  it('runs all three workers in one process', () => {
    expect(service?.workers).toEqual(['watcher', 'processor', 'mailer']);
  });
});
