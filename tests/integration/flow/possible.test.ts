import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../harness/cli.ts';
import { deliver } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import { bodyOf, compose, inbox, replyTo, startDesk, subjectHas, waitFor, type Desk } from './desk.ts';

/**
 * The safety net: a mail the reader is not sure about reaches the coordinators
 * as a possible request (kërkesë e mundshme), its sender is told nothing, and a
 * coordinator's reply opens it (PO) as a join request or closes it (JO). DKIM
 * mode: the coordinators' replies are signed by their domain, as in production.
 */
describe('a possible request', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '0' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  /** A web form's relay: sent by a machine from a no-reply address, the person in Reply-To. */
  async function formRequest(o: { form: string; person: string; name: string; org: string; city: string }) {
    const raw = await compose({
      from: `Membership form <${o.form}>`,
      subject: 'New submission: membership form',
      text: [
        'A new form submission:',
        '',
        `Organisation: ${o.org}`,
        `City: ${o.city}`,
        `Name: ${o.name}`,
        `Email: ${o.person}`,
        '',
        'Message: Our organisation would like to join the Coalition and sign the Joint Statement.',
      ].join('\n'),
      headers: { 'Auto-Submitted': 'auto-generated', 'Reply-To': `${o.name} <${o.person}>` },
    });
    await deliver(desk.stack.dovecot, INFO, raw);
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesë e mundshme: ${o.org}`));
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(forAna!.subject)?.[1] as string;
    const [forBesa] = await waitFor(desk.stack, COORDINATOR_B, subjectHas(`[${ref}]`));
    return { ref, forAna: forAna!, forBesa: forBesa! };
  }

  /** What the desk queued for a request, from its audit trail: the evidence that nothing else was sent. */
  async function queuedFor(ref: string): Promise<string[]> {
    const r = await desk.processor.store.get(ref);
    return (r?.audit ?? []).filter((a) => a.event === 'mail_queued').map((a) => a.detail ?? '');
  }

  it('sent by a web form reaches the coordinators only, and once a coordinator opens it, the person in Reply-To is acknowledged and can be approved', async () => {
    const o = {
      form: 'no-reply@forms.example.net',
      person: 'arta@qtq.example.net',
      name: 'Arta Hoxha',
      org: 'Qendra për Transparencë Qytetare',
      city: 'Shkodër',
    };
    const { ref, forAna } = await formRequest(o);
    expect(await bodyOf(forAna)).toContain(o.person);
    expect(forAna.source.toString('utf8')).toMatch(/Content-Type: message\/rfc822/i);
    const r = await desk.processor.store.get(ref);
    expect(r).toMatchObject({ status: 'unclear', replyAddress: o.person, possible: { reason: 'sent_by_machine' } });
    // Everything the desk sent for it went to the coordinators (one transition, one outbox): nothing to the form or the person.
    expect(await queuedFor(ref)).toEqual([`possible_request to ${COORDINATOR_A}, ${COORDINATOR_B}`]);
    expect(await inbox(desk.stack, o.person)).toHaveLength(0);
    expect(await inbox(desk.stack, o.form)).toHaveLength(0);

    const listed = await runCli(['requests', '--status', 'unclear'], desk.stack.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(ref);
    expect(listed.stdout).toContain('sent_by_machine');

    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    const [ack] = await waitFor(desk.stack, o.person, subjectHas(`[${ref}]`));
    expect(ack!.subject).toBe(`We received your join request [${ref}]`);
    expect(await bodyOf(ack!)).toContain(ref);
    const opened = await desk.processor.store.get(ref);
    expect(opened?.status).toBe('pending');
    expect(opened?.approvals).toEqual([]);
    const [approvalForBesa] = await waitFor(
      desk.stack,
      COORDINATOR_B,
      subjectHas(`Kërkesë për miratim: ${o.org} [${ref}]`),
    );
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesë për miratim: ${o.org} [${ref}]`));

    await replyTo(desk.stack, approvalForBesa!, { from: COORDINATOR_B, text: 'PO' });
    await waitFor(desk.stack, o.person, subjectHas(`[${ref}]`), 2);
    const [statement] = await waitFor(desk.stack, LIST, subjectHas(`u shtua ${o.org}`));
    expect(await bodyOf(statement!)).toMatch(new RegExp(`\\d+\\.\\s+${o.org}`));
    expect((await desk.processor.store.get(ref))?.status).toBe('approved');
    expect(await inbox(desk.stack, o.form)).toHaveLength(0);
  });

  it('is closed by a JO, and nothing is sent to its sender', async () => {
    const sender = 'besnik@mail.example.net';
    await deliver(
      desk.stack.dovecot,
      INFO,
      await compose({
        from: `Besnik Leka <${sender}>`,
        subject: 'Joining',
        text: 'Hello,\n\nWe would like to join the Coalition and sign the Joint Statement.\n\nRegards,\nBesnik',
      }),
    );
    const [forBesa] = await waitFor(
      desk.stack,
      COORDINATOR_B,
      subjectHas(/Kërkesë e mundshme: .*besnik@mail\.example\.net/),
    );
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(forBesa!.subject)?.[1] as string;
    expect((await desk.processor.store.get(ref))?.possible?.reason).toBe('no_organisation');

    await replyTo(desk.stack, forBesa!, { from: COORDINATOR_B, text: 'JO: a private person, not an organisation' });
    // The echo of the closing is queued in the same transition as anything for the sender would be.
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Mbyllur si jo-kërkesë nga ${COORDINATOR_B}`));
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('not_request');
    expect(r?.possible?.resolution).toMatchObject({ outcome: 'closed', by: COORDINATOR_B });
    expect((await queuedFor(ref)).filter((d) => d.includes(sender))).toEqual([]);
    expect(await inbox(desk.stack, sender)).toHaveLength(0);
  });

  it('can be opened from the command line', async () => {
    const o = {
      form: 'forms@crm.example.net',
      person: 'elira@vlora.example.net',
      name: 'Elira Doko',
      org: 'Rrjeti i Grave të Vlorës',
      city: 'Vlorë',
    };
    const { ref } = await formRequest(o);
    const early = await runCli(['approve', ref, '--by', COORDINATOR_A], desk.stack.env);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/possible request: open it/);
    const ok = await runCli(['open', ref, '--by', COORDINATOR_A], desk.stack.env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    await waitFor(desk.stack, o.person, subjectHas(`[${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');
    const again = await runCli(['close', ref, '--by', COORDINATOR_B], desk.stack.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/opened by ana@coord\.example\.org/);
  });
});
