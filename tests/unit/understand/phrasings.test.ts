import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { message, type MessageSpec } from './builders.ts';

async function read(spec: MessageSpec): Promise<Reading> {
  return understand(await parseRaw(message(spec)), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

describe('other ways people write', () => {
  it('reads "We, the X, would like to join" and takes X', async () => {
    const r = await read({ from: 'Arta Dema <arta@ayc.example.org>', subject: 'Coalition membership', text: 'Dear Sir/Madam,\n\nWe, the Albanian Youth Council, would like to join your coalition and endorse the joint statement.\n\nSincerely,\nArta Dema' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Albanian Youth Council');
  });

  it('reads "I represent the X" and takes X', async () => {
    const r = await read({ from: 'Blerim <blerim@example.net>', subject: 'Statement', text: 'Hello, my name is Blerim and I represent the Association for Rural Development. We wish to sign the statement.\n\nBlerim\n+355 69 111 2233' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Association for Rural Development');
    expect(r.contact?.phone).toBe('+355 69 111 2233');
  });

  it('finds an organisation named only in the genitive in the body', async () => {
    const r = await read({ from: 'Arjola <arjola@example.net>', subject: 'Kërkesë', text: 'Të nderuar,\n\nBashkëlidhur gjeni kërkesën për anëtarësim të Shoqatës për Mbrojtjen e Konsumatorit në koalicion.\n\nArjola' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Shoqata për Mbrojtjen e Konsumatorit');
  });

  it('finds an organisation named only in the subject', async () => {
    const r = await read({ from: 'Dritan <dritan@example.net>', subject: 'Kërkesë për anëtarësim – Shoqata Zëri i Rinisë', text: 'Përshëndetje,\n\nDëshirojmë të anëtarësohemi në koalicion.\n\nDritan' });
    expect(r.organization?.name).toBe('Shoqata Zëri i Rinisë');
  });

  it('reads "nuk dëshiron më të jetë pjesë" with "na hiqni" as a withdrawal', async () => {
    const r = await read({ from: 'Gent <gent@example.net>', subject: 'Koalicioni', text: 'Përshëndetje,\n\nQendra Ekologjike Tepelenë nuk dëshiron më të jetë pjesë e koalicionit. Ju lutem na hiqni nga lista e nënshkruesve.\n\nGent' });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Qendra Ekologjike Tepelenë');
  });

  it('reads "will leave the coalition" as a withdrawal', async () => {
    const r = await read({ from: 'Mark <mark@example.org>', subject: 'Leaving', text: 'Dear colleagues,\n\nAfter much discussion, our board decided that Transparency Hub Albania will leave the coalition at the end of the month.\n\nMark' });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Transparency Hub Albania');
  });

  it('does not read a campaign newsletter asking readers to sign as a join request', async () => {
    const r = await read({ from: 'Campaigns <news@campaign.example.org>', subject: 'Sign the statement for clean air!', headers: { 'List-Unsubscribe': '<https://x.example.org/u>' }, text: 'Dear friends,\n\nJoin the coalition for clean air and sign our joint statement today!\n\nThe Clean Air Network' });
    expect(r.kind).toBe('other');
    expect(r.automatic).toBe(true);
  });

  it('reads a helpdesk ticket acknowledgement as an auto-reply', async () => {
    const r = await read({ from: 'Support <support@helpdesk.example.net>', subject: 'Re: Joint statement [#4521]', headers: { 'Auto-Submitted': 'auto-generated' }, text: 'Thank you for contacting us. Your request has been received and a ticket number 4521 has been created. We will get back to you soon.' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads a one-line "on annual leave" answer to our mail as an auto-reply', async () => {
    const r = await read({ from: 'Ana <ana@example.org>', subject: 'RE: Takimi', inReplyTo: '<x@coalition.example.org>', text: 'I am on annual leave until 20 March.\nAna' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads an Albanian Gmail reply and ignores the "shkroi:" quote below it', async () => {
    const r = await read({ from: 'Erisa <erisa@example.org>', subject: 'Re: Ftesë', text: 'Po, Qendra Aktive Rinore dëshiron të nënshkruajë deklaratën.\n\nMë hën, 12 jan 2026 në 10:00 Koalicioni <info@coalition.example.org> shkroi:\n> Ju ftojmë të nënshkruani Deklaratën e Përbashkët.\n> Instituti për Demokraci (IDM)' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Qendra Aktive Rinore');
    expect(r.organization?.acronym).toBeNull();
  });

  it('reads an Apple Mail "Begin forwarded message" forward', async () => {
    const r = await read({ from: 'Helper <helper@example.org>', subject: 'Fwd: Join', text: 'Forwarding this.\n\nBegin forwarded message:\n\nFrom: Nertila Hysa <nertila@urbanlab.example.org>\nSubject: Join\nDate: 12 January 2026 at 10:00:00 CET\nTo: helper@example.org\n\nHi,\nUrban Lab Tirana wants to join the OGP coalition and sign the statement.\nNertila Hysa\nUrban Lab Tirana\nwww.urbanlab.example.org' });
    expect(r.kind).toBe('join_request');
    expect(r.contact?.email).toBe('nertila@urbanlab.example.org');
    expect(r.organization?.website).toBe('www.urbanlab.example.org');
  });

  it('reads an Albanian Outlook forward ("PËR:", "Nga:/Dërguar:/Lënda:")', async () => {
    const r = await read({ from: 'Koordinator <koordinator@coalition.example.org>', subject: 'PËR: Anëtarësim', text: 'Shih më poshtë.\n\nNga: Ledio Kasa <ledio@example.net>\nDërguar: e hënë, 12 janar 2026 10:00\nPër: koordinator@coalition.example.org\nLënda: Anëtarësim\n\nPërshëndetje, organizata Rrjeti Rinor Gramsh kërkon të bashkohet me koalicionin.\nLedio Kasa, Gramsh' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Rrjeti Rinor Gramsh');
    expect(r.contact).toMatchObject({ name: 'Ledio Kasa', email: 'ledio@example.net' });
  });

  it('does not take a role address or a job title for the contact person', async () => {
    const r = await read({ from: 'Director <dir@example.org>', subject: 'Join', text: 'The Institute for Local Governance (ILG) would like to join the coalition. For any questions please contact our office at office@ilg.example.org.\n\nRegards,\nDirector' });
    expect(r.contact).toEqual({ name: null, email: 'dir@example.org', phone: null });
    expect(r.missing).toEqual(['contact.name']);
  });

  it('reads "please add X to the signatories" as a join request of X', async () => {
    const r = await read({ from: 'Eda <eda@greenhub.example.org>', subject: 'Signatories', text: 'Hi! Please add Green Hub to the signatories list. Thanks, Eda' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Green Hub');
  });

  it('reads a short "Yes, we will sign." answer to the invitation as a join request', async () => {
    const r = await read({ from: 'Eda <eda@greenhub.example.org>', subject: 'Re: Invitation to sign the Joint Statement', inReplyTo: '<a@coalition.example.org>', text: 'Yes, we will sign.\n\nEda Murati\nGreen Hub' });
    expect(r.kind).toBe('join_request');
  });

  it('reads "Po, pranojmë ta nënshkruajmë" as a join request', async () => {
    const r = await read({ from: 'Eda <eda@greenhub.example.org>', subject: 'Re: Ftesë për nënshkrimin e Deklaratës', inReplyTo: '<a@coalition.example.org>', text: 'Po, pranojmë ta nënshkruajmë.\n\nEda\nQendra Green Hub' });
    expect(r.kind).toBe('join_request');
  });

  it('does not read a refusal to sign as a join request, in English or Albanian', async () => {
    expect((await read({ from: 'e@example.org', subject: 'Re: Invitation to sign the Joint Statement', text: 'Thank you, but we will not sign the statement this time.' })).kind).toBe('other');
    expect((await read({ from: 'e@example.org', subject: 'Re: Ftesë', text: 'Faleminderit, por nuk do të nënshkruajmë deklaratën.' })).kind).toBe('other');
  });

  it('reads only questions about how to join as other, and a stated wish with a question as a join request', async () => {
    expect((await read({ from: 'x@example.org', subject: 'Coalition', text: 'Hello, how can our organisation join the coalition? What documents are needed?' })).kind).toBe('other');
    expect((await read({ from: 'x@example.org', subject: 'Koalicioni', text: 'Përshëndetje, si mund të anëtarësohemi në koalicion? Cilat janë kriteret?' })).kind).toBe('other');
    const r = await read({ from: 'Dea <dea@example.org>', subject: 'Membership', text: 'Hello, the Forum for Civic Initiatives would like to join the coalition. What are the next steps?\n\nDea' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Forum for Civic Initiatives');
  });

  it('reads an organisation name broken by a hard line wrap', async () => {
    const r = await read({ from: 'Besnik <b@acer.example.org>', subject: 'Coalition', charset: 'us-ascii', text: 'Dear colleagues,\n\nI am writing to you today on behalf of the Albanian Center for Economic\nResearch to confirm our wish to join the coalition and sign the statement.\n\nBesnik' });
    expect(r.organization?.name).toBe('Albanian Center for Economic Research');
  });

  it('reads a request made in the subject of an otherwise empty message', async () => {
    const r = await read({ from: 'Arber <arber@cfv.example.org>', subject: 'Request to join the coalition – Civic Forum Vlora', text: '' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Civic Forum Vlora');
    expect(r.language).toBe('en');
  });

  it('does not read a thank-you for accepting the request as a new request', async () => {
    const r = await read({ from: 'Eda <eda@greenhub.example.org>', subject: 'Re: Your request to join', inReplyTo: '<a@coalition.example.org>', text: 'Thank you for accepting our request to join the coalition!\n\nEda' });
    expect(r.kind).toBe('other');
  });

  it('declines "Agjencisë" to "Agjencia"', async () => {
    const r = await read({ from: 'Ola <ola@example.org>', subject: 'Kërkesë', text: 'Në emër të Agjencisë për Zhvillim Rural, kërkojmë të anëtarësohemi në koalicion.\n\nOla' });
    expect(r.organization?.name).toBe('Agjencia për Zhvillim Rural');
  });

  it('reads numbered structured lines with a note in the label', async () => {
    const r = await read({ from: 'x@example.org', subject: 'Anëtarësim', text: 'Përshëndetje, dëshirojmë të anëtarësohemi në koalicion.\n\n1. Emri i organizatës (OJF): Shoqata Drita e Veriut\n2. Qyteti: Shkodër\n3. Personi i kontaktit: Alma Hoxha' });
    expect(r.organization).toMatchObject({ name: 'Shoqata Drita e Veriut', city: 'Shkodër' });
    expect(r.contact?.name).toBe('Alma Hoxha');
  });

  it('reads "ACRONYM (Full Name)" the other way round', async () => {
    const r = await read({ from: 'Agron <agron@example.org>', subject: 'Withdrawal', text: 'Dear coordinators,\n\nAULEDA (Agjencia e Zhvillimit Ekonomik Lokal) has decided to withdraw from the coalition.\n\nAgron' });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization).toMatchObject({ name: 'Agjencia e Zhvillimit Ekonomik Lokal', acronym: 'AULEDA' });
  });

  it('does not read "join your next meeting as an observer" as a join request', async () => {
    const r = await read({ from: 'Stud <s@uni.example.net>', subject: 'Coalition meeting', text: 'Hello, I would like to join your next meeting as an observer. I am researching the coalition.\n\nStud' });
    expect(r.kind).toBe('other');
  });

  it('reads "delete our organisation from the list" as a withdrawal and the town after the name', async () => {
    const r = await read({ from: 'x@example.org', subject: 'Statement', text: 'Please delete our organisation from the list of signatories. Qendra Ora, Vlorë.' });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization).toMatchObject({ name: 'Qendra Ora', city: 'Vlorë' });
  });

  it('takes the requester’s address from a request a coordinator pasted without a forward header', async () => {
    const r = await read({ from: 'Ana <ana@coalition.example.org>', subject: 'Kërkesë nga Shoqata Lira', text: 'Kjo erdhi me postë:\n\nShoqata Lira dëshiron të anëtarësohet në koalicion. Kontakt: drita@lira.example.org\n\nAna' });
    expect(r.kind).toBe('join_request');
    expect(r.contact?.email).toBe('drita@lira.example.org');
  });

  it('does not take a webmail domain shared with the coalition for the coalition’s own', async () => {
    const r = understand(
      await parseRaw(message({ from: 'Arta <arta.d@gmail.example.com>', subject: 'Join', text: 'Youth Forum Lezha would like to join the coalition.\n\nArta' })),
      { coalitionAddress: 'coalition.ogp@gmail.example.com' },
    );
    expect(r.contact?.email).toBe('arta.d@gmail.example.com');
  });
});
