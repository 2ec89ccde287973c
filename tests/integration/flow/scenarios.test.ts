import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../harness/cli.ts';
import { deliver } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import {
  bodyOf,
  compose,
  handled,
  inbox,
  joinFrom,
  messageIdOf,
  replyTo,
  sendJoinRequest,
  settled,
  startDesk,
  subjectHas,
  waitFor,
  type Desk,
} from './desk.ts';

/** One desk (token mode, decisions act at once) for the everyday decisions. Coordinators and the list get DEFAULT_LANGUAGE (sq); organisations their own. */
describe('coordinators deciding by reply', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'token', UNDO_WINDOW: '0', UNRELATED_MAIL: 'forward' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function newRequest(org: Parameters<typeof joinFrom>[0], lang: 'sq' | 'en' = 'en') {
    const { stack } = desk;
    await sendJoinRequest(stack, joinFrom(org, lang));
    const [ack] = await waitFor(stack, org.address, () => true);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    const [forAna] = await waitFor(stack, COORDINATOR_A, subjectHas(`[${ref}]`));
    const [forBesa] = await waitFor(stack, COORDINATOR_B, subjectHas(`[${ref}]`));
    return { ref, ack: ack!, forAna: forAna!, forBesa: forBesa! };
  }

  it('sends the organisation the rejection with the shared reason, and the list nothing', async () => {
    const org = {
      name: 'Green Valley Association',
      acronym: 'GVA',
      city: 'Korça',
      person: 'Dritan Leka',
      address: 'office@gva.example.net',
    };
    const { ref, forBesa } = await newRequest(org);
    await replyTo(desk.stack, forBesa, {
      from: COORDINATOR_B,
      text: 'REJECT: the Coalition only admits organisations registered in Albania.',
    });
    const [rejection] = await waitFor(desk.stack, org.address, subjectHas(`Your join request was not approved [${ref}]`));
    expect(await bodyOf(rejection!)).toContain('registered in Albania');
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('rejected');
    expect(r?.decision).toMatchObject({ outcome: 'reject', by: [COORDINATOR_B], shareReason: true });
    expect(await inbox(desk.stack, LIST)).toHaveLength(0);
  });

  it('keeps an internal reason from the organisation', async () => {
    const org = {
      name: 'Blue River Network',
      acronym: 'BRN',
      city: 'Berat',
      person: 'Elira Doko',
      address: 'hello@brn.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'JO (e brendshme): drejtori është zyrtar partie' });
    const [rejection] = await waitFor(desk.stack, org.address, subjectHas(`[${ref}]`), 2);
    const all = await inbox(desk.stack, org.address);
    for (const m of all) expect(await bodyOf(m)).not.toContain('zyrtar partie');
    expect(rejection).toBeDefined();
    expect((await desk.processor.store.get(ref))?.decision?.reason).toBe('drejtori është zyrtar partie');
  });

  it('asks the organisation a question, takes its answer, and tells the coordinators', async () => {
    const org = {
      name: 'Civic Lab Albania',
      acronym: 'CLA',
      city: 'Tirana',
      person: 'Genta Ruci',
      address: 'genta@civiclab.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'INFO: What is your website?' });
    const [question] = await waitFor(
      desk.stack,
      org.address,
      subjectHas(`A question about your join request [${ref}]`),
    );
    expect(await bodyOf(question!)).toContain('What is your website?');
    expect((await desk.processor.store.get(ref))?.status).toBe('info_requested');

    // The organisation answers the question in the same thread.
    const answer = await compose({
      from: `${org.person} <${org.address}>`,
      subject: `Re: ${question!.subject}`,
      text: `Our website is https://civiclab.example.net\n\nGenta`,
      inReplyTo: question!.messageId,
      references: [question!.messageId],
    });
    await deliver(desk.stack.dovecot, INFO, answer);
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesa u përditësua: Civic Lab Albania [${ref}]`));
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`Kërkesa u përditësua: Civic Lab Albania [${ref}]`));
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('pending');
    expect(r?.organization.website).toContain('civiclab.example.net');
  });

  it('applies a name correction before the approval', async () => {
    const org = {
      name: 'Youth Voice Durres',
      acronym: 'YVD',
      city: 'Durrës',
      person: 'Klea Marku',
      address: 'klea@yvd.example.net',
    };
    const { ref, forAna, forBesa } = await newRequest(org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'Name: Youth Voice Durrës' });
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`Kërkesa u përditësua: Youth Voice Durrës [${ref}]`));
    await replyTo(desk.stack, forBesa, { from: COORDINATOR_B, text: 'APPROVE' });
    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`));
    const [statement] = await waitFor(desk.stack, LIST, subjectHas('u shtua Youth Voice Durrës'));
    expect(await bodyOf(statement!)).toContain('Youth Voice Durrës (YVD)');
  });

  it('answers an unclear reply with help and keeps the request pending', async () => {
    const org = {
      name: 'Open Data Shkodra',
      acronym: 'ODS',
      city: 'Shkodër',
      person: 'Luan Berisha',
      address: 'luan@ods.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'Maybe, let me think.' });
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Përgjigja juaj nuk u kuptua [${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');
  });

  it('answers a second request from the same organisation with "already pending" and creates none', async () => {
    const org = {
      name: 'Women in Governance',
      acronym: 'WIG',
      city: 'Vlorë',
      person: 'Mira Hasa',
      address: 'mira@wig.example.net',
    };
    const { ref } = await newRequest(org);
    const before = (await desk.processor.store.list()).length;
    // From its own contact address: the pending request is named.
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [pending] = await waitFor(desk.stack, org.address, subjectHas('pending'));
    expect(pending!.subject).toBe(`Your join request is pending [${ref}]`);
    // From another address: told that one is pending, but not which, nor under what name.
    await sendJoinRequest(desk.stack, joinFrom({ ...org, person: 'Other Person', address: 'board@wig.example.net' }));
    const [other] = await waitFor(desk.stack, 'board@wig.example.net', () => true);
    expect(other!.subject).toBe('A join request for this organisation is already pending');
    expect(other!.source.toString()).not.toContain(ref);
    expect((await desk.processor.store.list()).length).toBe(before);
  });

  it('answers a founding signatory with "already a signatory"', async () => {
    await sendJoinRequest(desk.stack, {
      from: 'Director <director@idm.example.net>',
      subject: 'Request to join',
      text: 'Dear Coalition,\n\nThe Institute for Democracy and Mediation (IDM) would like to join the coalition and sign the joint statement.\n\nRegards,\nDirector',
    });
    const [answer] = await waitFor(desk.stack, 'director@idm.example.net', () => true);
    expect(answer!.subject).toMatch(/already signs the Joint Statement/);
  });

  it('lets a signatory withdraw after a coordinator confirms, and reissues the statement without it', async () => {
    const org = {
      name: 'Rural Futures Albania',
      acronym: 'RFA',
      city: 'Elbasan',
      person: 'Besnik Topi',
      address: 'besnik@rfa.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'OK' });
    await waitFor(desk.stack, LIST, subjectHas('u shtua Rural Futures Albania'));

    const withdraw = await compose({
      from: `${org.person} <${org.address}>`,
      subject: 'Withdrawal from the Joint Statement',
      text: `Dear Coalition,\n\nRural Futures Albania (RFA) wishes to withdraw from the Coalition and asks that our signature be removed from the Joint Statement.\n\nBesnik Topi`,
    });
    await deliver(desk.stack.dovecot, INFO, withdraw);
    // The registered contact confirms first (issue 12 item 3), then the coordinators are asked.
    const [confirm] = await waitFor(desk.stack, org.address, subjectHas('Please confirm'));
    await deliver(
      desk.stack.dovecot,
      INFO,
      await compose({
        from: `${org.person} <${org.address}>`,
        subject: `Re: ${confirm!.subject}`,
        text: 'Yes, we asked for it.',
        inReplyTo: confirm!.messageId,
        references: [confirm!.messageId],
      }),
    );
    const [received] = await waitFor(desk.stack, org.address, subjectHas('We received your withdrawal request'));
    const wref = /\[(REQ-[A-Z0-9]+)\]/.exec(received!.subject)?.[1] as string;
    expect(wref).not.toBe(ref);
    const [ask] = await waitFor(desk.stack, COORDINATOR_B, subjectHas(`tërheqje e Rural Futures Albania [${wref}]`));
    await replyTo(desk.stack, ask!, { from: COORDINATOR_B, text: 'Yes' });
    await waitFor(desk.stack, org.address, subjectHas('Withdrawal confirmed'));
    const [left] = await waitFor(desk.stack, LIST, subjectHas('u tërhoq Rural Futures Albania'));
    expect(await bodyOf(left!)).not.toMatch(/\d+\.\s+Rural Futures Albania/);
  });

  it('never answers an auto-reply, even one that quotes an approval token', async () => {
    const org = {
      name: 'Democracy Watch Fier',
      acronym: 'DWF',
      city: 'Fier',
      person: 'Ilir Kola',
      address: 'ilir@dwf.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    const before = (await inbox(desk.stack, COORDINATOR_A)).length;
    const ooo = await compose({
      from: COORDINATOR_A,
      subject: `Automatic reply: ${forAna.subject}`,
      text: 'I am out of the office until Monday. PO',
      inReplyTo: forAna.messageId,
      references: [forAna.messageId],
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await deliver(desk.stack.dovecot, INFO, ooo);
    expect(await handled(desk.stack, messageIdOf(ooo))).toBe('automatic');
    await settled(desk.stack);
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');
    expect((await inbox(desk.stack, COORDINATOR_A)).length).toBe(before);
  });

  it('lists requests, shows one with its audit trail, and decides from the command line', async () => {
    const org = {
      name: 'Roma Rights Korca',
      acronym: 'RRK',
      city: 'Korçë',
      person: 'Sara Duka',
      address: 'sara@rrk.example.net',
    };
    const { ref } = await newRequest(org);
    const list = await runCli(['requests', '--status', 'pending'], desk.stack.env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(ref);
    const show = await runCli(['request', ref.toLowerCase()], desk.stack.env);
    expect(show.stdout).toContain('approval_requested');
    expect(show.stdout).toContain(org.name);

    const stranger = await runCli(['approve', ref, '--by', 'mallory@evil.example.com'], desk.stack.env);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr.trim().split('\n')).toHaveLength(1);

    const ok = await runCli(['approve', ref, '--by', COORDINATOR_B], desk.stack.env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`));
    const late = await runCli(['reject', ref, '--by', COORDINATOR_A, '--reason', 'too late'], desk.stack.env);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/nothing changed/);
    const after = await runCli(['request', ref], desk.stack.env);
    expect(after.stdout).toMatch(/decided_approve by besa@coord\.example\.org via cli\./);
  });

  it("forwards other mail to the coordinators, but not a coordinator's own mail", async () => {
    await deliver(
      desk.stack.dovecot,
      INFO,
      await compose({
        from: 'Journalist <press@news.example.net>',
        subject: 'Interview request',
        text: 'Could we interview a coordinator about OGP next week?',
      }),
    );
    await waitFor(desk.stack, COORDINATOR_A, subjectHas('Interview request'));
    const before = (await inbox(desk.stack, COORDINATOR_A)).length;
    const lunch = await compose({ from: COORDINATOR_B, subject: 'Lunch on Friday?', text: 'Shall we meet?' });
    await deliver(desk.stack.dovecot, INFO, lunch);
    expect(await handled(desk.stack, messageIdOf(lunch))).toBe('left');
    await settled(desk.stack);
    expect((await inbox(desk.stack, COORDINATOR_A)).length).toBe(before);
  });
});
