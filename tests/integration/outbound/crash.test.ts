import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { outboundJobId } from '../../../src/contracts/outbox.ts';
import { listMessages, waitForMessages } from '../../harness/mailbox.ts';
import { CSO, startStack, type Stack } from '../../harness/stack.ts';
import { FAST, outbound, until, type Outbound } from './setup.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let stack: Stack;
let out: Outbound;
const children: ReturnType<typeof spawn>[] = [];

beforeAll(async () => {
  stack = await startStack();
  out = outbound(stack);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await out?.close();
  await stack?.stop();
});

function runMailer(hangAfterSent: boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/integration/outbound/mailer-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, MAILER_CHILD: JSON.stringify({ env: { ...stack.env, ...FAST }, hangAfterSent }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const events: { event: string; [k: string]: unknown }[] = [];
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      events.push(JSON.parse(l) as (typeof events)[number]);
    } catch {
      /* not an event */
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const waitFor = (event: string) => until(`child event ${event} (stderr: ${stderr.slice(-500)})`, async () => events.find((e) => e.event === event), 30_000);
  return { child, events, exited, waitFor };
}

it('does not deliver twice when the mailer is killed between sending and completing the job', async () => {
  const mail = {
    id: 'approved.REQ-CRASH1',
    to: [CSO],
    subject: 'Crash test [REQ-CRASH1]',
    text: 'once',
    html: '<p>once</p>',
    autoSubmitted: 'auto-generated' as const,
  };
  await out.outbox.send(mail);

  const first = runMailer(true);
  await first.waitFor('sent');
  // The SMTP server has accepted it and the sent record is written; the job is not completed.
  first.child.kill('SIGKILL');
  await first.exited;
  const job = await out.outbox.queue.getJob(outboundJobId(mail.id));
  expect(await job?.getState()).toBe('active');
  expect(stack.smtp.deliveriesTo(CSO)).toHaveLength(1);

  const second = runMailer(false);
  await second.waitFor('ready');
  // The stalled job is handed out again, finds the sent record, and completes without sending.
  await until('job completed after restart', async () => (await (await out.outbox.queue.getJob(outboundJobId(mail.id)))?.getState()) === 'completed', 20_000);
  expect(second.events.filter((e) => e.event === 'sent')).toHaveLength(0);
  second.child.kill('SIGTERM');
  await second.exited;

  const inbox = (await waitForMessages(stack.dovecot, CSO)).filter((m) => m.subject === mail.subject);
  expect(inbox).toHaveLength(1);
  expect((await listMessages(stack.dovecot, CSO)).filter((m) => m.messageId === '<approved.REQ-CRASH1@example.org>')).toHaveLength(1);
  expect(stack.smtp.deliveriesTo(CSO)).toHaveLength(1);
});
