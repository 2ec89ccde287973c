import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../harness/cli.ts';
import { postfixDsn } from '../../harness/dsn.ts';
import { deliver, listMessages } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO } from '../../harness/stack.ts';
import { FOLDERS } from '../../harness/ingest.ts';
import { inbox, joinFrom, sendJoinRequest, startDesk, subjectHas, waitFor, type Desk } from '../flow/desk.ts';

/**
 * An acknowledgement that never arrives must not look acknowledged: a DSN coming
 * back for it, or our own SMTP server refusing the address, is recorded on the
 * request, shown by `coalition request`, and told to the coordinators once.
 */
describe('an acknowledgement that cannot be delivered', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'token', UNDO_WINDOW: '0' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  const notice = subjectHas('Adresa e kontaktit nuk merr postë');

  async function requestOf(address: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const r = (await desk.processor.store.list()).find((x) => x.replyAddress === address);
      if (r) return r.id;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no request from ${address}`);
  }

  it('a Postfix DSN returning it (5.1.1 unknown user) is recorded, shown in the CLI, and told to the coordinators once', async () => {
    const { stack } = desk;
    const org = { name: 'Shoqata Zëri i Qytetarit', acronym: 'SZQ', city: 'Elbasan', person: 'Mira Leka', address: 'mira@szq.example.net' };
    await sendJoinRequest(stack, joinFrom(org, 'sq'));
    const [ack] = await waitFor(stack, org.address, () => true);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;

    // The organisation's server later bounces the acknowledgement (here: it was delivered, then the mailbox vanished).
    const dsn = postfixDsn({ to: INFO, recipient: org.address, returned: { raw: ack!.source } });
    await deliver(stack.dovecot, INFO, dsn, '');
    const [forAna] = await waitFor(stack, COORDINATOR_A, notice);
    await waitFor(stack, COORDINATOR_B, notice);
    expect(forAna!.subject).toContain(ref);

    const r = await desk.processor.store.get(ref);
    const entry = r?.audit.find((a) => a.event === 'contact_undeliverable');
    expect(entry?.detail).toContain(org.address);
    expect(entry?.detail).toContain('5.1.1');

    const cli = await runCli(['request', ref], desk.stack.env);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/contact address undeliverable — mira@szq\.example\.net: .*5\.1\.1/);
    expect((await runCli(['requests'], desk.stack.env)).stdout).toMatch(new RegExp(`${ref}.*contact address undeliverable`));

    // A second report (over quota) is recorded; the coordinators are not told again.
    const again = postfixDsn({ to: INFO, recipient: org.address, status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full', returned: { raw: ack!.source, headersOnly: true } });
    await deliver(stack.dovecot, INFO, again, '');
    for (let i = 0; i < 200; i++) {
      const n = (await desk.processor.store.get(ref))?.audit.filter((a) => a.event === 'contact_undeliverable').length ?? 0;
      if (n === 2) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect((await desk.processor.store.get(ref))?.audit.filter((a) => a.event === 'contact_undeliverable')).toHaveLength(2);
    expect(await inbox(stack, COORDINATOR_A, notice)).toHaveLength(1);
    // Both DSNs are filed as robots answering our mail, never answered.
    expect((await listMessages(stack.dovecot, INFO, FOLDERS.ignored)).filter((m) => /Undelivered Mail/.test(m.subject))).toHaveLength(2);
  });

  it('our SMTP server refusing the address at RCPT TO (a 550) is recorded the same way, its reason written once', async () => {
    const { stack } = desk;
    const org = { name: 'Qendra Ura e Dialogut', acronym: 'QUD', city: 'Fier', person: 'Ilir Doda', address: 'nobody@qud.example.net' };
    stack.smtp.refuseRecipient = (a) => (a === org.address ? 550 : null);
    try {
      await sendJoinRequest(stack, joinFrom(org, 'sq'));
      const ref = await requestOf(org.address);
      await waitFor(stack, COORDINATOR_A, (m) => notice(m) && m.subject.includes(ref));
      await waitFor(stack, COORDINATOR_B, (m) => notice(m) && m.subject.includes(ref));
      const entry = (await desk.processor.store.get(ref))?.audit.find((a) => a.event === 'contact_undeliverable');
      expect(entry?.detail).toContain(org.address);
      expect(entry?.detail).toMatch(/550/);
      expect(entry?.detail).not.toMatch(/550 550/);
      expect(await inbox(stack, org.address)).toHaveLength(0);
    } finally {
      stack.smtp.refuseRecipient = null;
    }
  });
});
