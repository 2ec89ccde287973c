import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailer } from '../../../src/adapters/smtp/mailer.ts';
import { listMessages, waitForMessages } from '../../harness/mailbox.ts';
import { CSO, LIST, startStack, type Stack } from '../../harness/stack.ts';
import { outbound, type Outbound } from './setup.ts';

let stack: Stack;
let out: Outbound;
let mailer: Mailer;

beforeAll(async () => {
  stack = await startStack();
  out = outbound(stack);
  mailer = out.startMailer();
  await mailer.worker.waitUntilReady();
});
afterAll(async () => {
  stack.smtp.refuseRecipient = null;
  await out?.close();
  await stack?.stop();
});

describe('a mail to several recipients, one refused for now', () => {
  it('reaches the refused recipient later, and every recipient exactly once', async () => {
    let refusals = 0;
    // The list's server answers 451 twice, then accepts; the other recipient is accepted at once.
    stack.smtp.refuseRecipient = (rcpt) => (rcpt === LIST && refusals++ < 2 ? 451 : null);
    const id = `statement.v99.list.${Date.now()}`;
    await out.outbox.send({
      id,
      to: [LIST, CSO],
      subject: 'Deklarata e Përbashkët, versioni 99',
      text: 'text',
      html: '<p>html</p>',
      autoSubmitted: 'auto-generated',
    });
    const messageId = `<${id}@example.org>`;
    await waitForMessages(stack.dovecot, CSO, { match: (m) => m.messageId === messageId });
    await waitForMessages(stack.dovecot, LIST, { match: (m) => m.messageId === messageId, timeoutMs: 20_000 });
    expect(refusals).toBeGreaterThanOrEqual(2);
    // Give a wrong second delivery time to show up before counting.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listMessages(stack.dovecot, CSO)).filter((m) => m.messageId === messageId)).toHaveLength(1);
    expect((await listMessages(stack.dovecot, LIST)).filter((m) => m.messageId === messageId)).toHaveLength(1);
  });
});
