import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { message, type MessageSpec } from './builders.ts';

/**
 * General rules for the kind of a message, each tested with phrasings written
 * for the rule (not taken from any corpus): auto-replies known only by their
 * words, wishes that are not stated, lures, and the many ways to leave.
 */
async function read(spec: MessageSpec): Promise<Reading> {
  return understand(await parseRaw(message(spec)), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

const reply = { inReplyTo: '<circular.7@coalition.example.org>' };

describe('auto-replies recognised by their wording alone', () => {
  it('reads a bilingual away notice that mentions our membership as an auto-reply, not a join request', async () => {
    const r = await read({
      ...reply,
      from: 'Dorina Hysi <dhysi@kodi.example.org>',
      subject: 'Re: Signatories of the Joint Statement',
      text:
        'I will be back in the office on 14 April and have only occasional access to my e-mail until then. For anything urgent concerning our membership of the coalition, please write to my colleague Arben at arben@kodi.example.org.\n\n' +
        'Do të kthehem në zyrë më 14 prill. Për çështje urgjente lidhur me anëtarësimin tonë në koalicion, ju lutem shkruani kolegut Arben.\n\nDorina',
    });
    expect(r.kind).toBe('auto_reply');
    expect(r.automatic).toBe(true);
    expect(r.organization).toBeNull();
  });

  it('reads an Albanian "me pushime" notice typed without diacritics as an auto-reply', async () => {
    const r = await read({ ...reply, from: 'Ermal <ermal@vizion.example.net>', subject: 'Re: Takimi i koalicionit', text: 'Pershendetje, jam me pushime deri me 3 gusht dhe nuk do te jem ne zyre. Do te kthehem te henen.\n\nErmal' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads an English "will be back on Monday" note that asks to contact someone else as an auto-reply', async () => {
    const r = await read({ ...reply, from: 'Lira <lira@civic.example.org>', subject: 'Re: Statement', text: 'Hello, I am currently away and will be back on Monday. In case of urgent matters please contact office@civic.example.org.' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads an Albanian "message received" acknowledgement from an organisation mailbox as an auto-reply', async () => {
    const r = await read({ ...reply, from: 'Shoqata Drita <info@drita.example.org>', subject: 'Re: Deklarata', text: 'Faleminderit që na kontaktuat. Mesazhi juaj është marrë dhe do t\'ju përgjigjemi së shpejti.\n\nShoqata Drita' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads a "no longer works here" notice that names the coalition as an auto-reply', async () => {
    const r = await read({ ...reply, from: 'Beni <beni@forum.example.org>', subject: 'RE: Joint statement', text: 'I no longer work at the Civic Forum. For our membership in the coalition please contact info@forum.example.org.' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads a parental-leave notice that mentions coalition membership as an auto-reply', async () => {
    const r = await read({ from: 'Jona <jona@ngo.example.org>', subject: 'Re: Coalition meeting', text: "I'm on parental leave until September and will not be reading e-mail. For matters related to our coalition membership please write to my colleague Dritan." });
    expect(r.kind).toBe('auto_reply');
  });

  it('still reads a join request whose writer only mentions one future absence as a join request', async () => {
    const r = await read({
      from: 'Gerti Lala <gerti@rrjetiuje.example.org>',
      subject: 'Anëtarësim',
      text: 'Përshëndetje,\n\nRrjeti për Ujërat e Pastra dëshiron të anëtarësohet në koalicion dhe të nënshkruajë Deklaratën e Përbashkët. Për çështje urgjente mund të më telefononi.\n\nGerti Lala\nRrjeti për Ujërat e Pastra',
    });
    expect(r.kind).toBe('join_request');
  });
});

describe('a wish to join must be stated by the sender for itself', () => {
  it('reads a request for documents from a board that has not decided yet as other', async () => {
    const r = await read({
      from: 'Teuta <teuta@example.com>',
      subject: 'Some questions',
      text: 'Dear coordinators,\n\nWe are still considering whether our association should sign the joint statement. Before we decide, could you send us the coalition rules?\n\nPlease do not include us in the list of signatories yet.\n\nTeuta',
    });
    expect(r.kind).toBe('other');
  });

  it('reads "we would like to know how to join the coalition" as other', async () => {
    const r = await read({ from: 'Ilda <ilda@example.net>', subject: 'Coalition', text: 'Good morning, we would like to know how an organisation can join the coalition and what documents are needed.\nIlda' });
    expect(r.kind).toBe('other');
  });

  it('reads an Albanian "nëse vendosim të anëtarësohemi" question as other', async () => {
    const r = await read({ from: 'Besa <besa@example.net>', subject: 'Pyetje', text: 'Përshëndetje, nëse vendosim të anëtarësohemi në koalicion, cilat dokumente duhen? Nuk kemi marrë ende vendim.\nBesa' });
    expect(r.kind).toBe('other');
  });

  it('reads "mos na shtoni ende në listë" as other', async () => {
    const r = await read({ from: 'Arbri <arbri@example.net>', subject: 'Deklarata', text: 'Pershendetje, ju lutem mos na shtoni ende ne listen e nenshkruesve te deklarates.\nArbri' });
    expect(r.kind).toBe('other');
  });

  it('reads "our organisation is thinking about joining" with a question about duties as other', async () => {
    const r = await read({ from: 'Dita <dita@example.net>', subject: 'Coalition', text: 'Dear team, our organisation is thinking about joining the coalition. What are the obligations of members?\nRegards, Dita' });
    expect(r.kind).toBe('other');
  });

  it('reads "po shqyrtojmë mundësinë të anëtarësohemi" as other', async () => {
    const r = await read({ from: 'Dita <dita@example.net>', subject: 'Koalicioni', text: 'Përshëndetje, po shqyrtojmë mundësinë të anëtarësohemi në koalicion. Cilat janë detyrimet e anëtarëve?\nDita' });
    expect(r.kind).toBe('other');
  });

  it('reads "we have decided not to sign" as other', async () => {
    const r = await read({ from: 'Alban <alban@example.net>', subject: 'Statement', text: 'Dear colleagues, we have decided not to sign the joint statement this year.\nAlban' });
    expect(r.kind).toBe('other');
  });

  it('reads "ju shkruaj që të na shtoni në listë" on behalf of an organisation as a join request', async () => {
    const r = await read({ from: 'Blerta <blerta@sgr.example.org>', subject: 'Kërkesë', text: 'Përshëndetje,\n\nNë emër të Shoqatës së Gazetarëve të Rinj, ju shkruaj që të na shtoni në listën e nënshkruesve të Deklaratës.\n\nBlerta' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Shoqata e Gazetarëve të Rinj');
  });

  it('keeps a join request that also asks about a fee as a join request', async () => {
    const r = await read({ from: 'Mira Dode <mira@greenlab.example.org>', subject: 'Joining', text: 'Dear colleagues,\n\nGreen Lab Shkodra would like to join the coalition and sign the joint statement. Is there a membership fee?\n\nMira Dode\nGreen Lab Shkodra' });
    expect(r.kind).toBe('join_request');
  });

  it('keeps a stated wish followed by a question about next steps as a join request', async () => {
    const r = await read({ from: 'Ervin <ervin@arka.example.org>', subject: 'Coalition', text: 'Hello,\n\nWe would like to join the coalition and would like to know what documents are needed.\n\nErvin\nArka Foundation' });
    expect(r.kind).toBe('join_request');
  });

  it('keeps "please let us join" as a join request', async () => {
    const r = await read({ from: 'Ervin <ervin@arka.example.org>', subject: 'Coalition', text: 'Dear coordinators, please let us join the coalition and sign the statement.\nErvin, Arka Foundation' });
    expect(r.kind).toBe('join_request');
  });

  it('does not read "please sign the statement" addressed to the reader as a join request', async () => {
    const r = await read({ from: 'Campaign <campaign@example.net>', subject: 'Statement', text: 'Dear partner, please sign the statement on clean rivers before Friday. The text is online.' });
    expect(r.kind).toBe('other');
  });
});

describe('lures that borrow the coalition words are other', () => {
  const lure = {
    from: 'Coalition Secretariat via SignPortal <notify@signportal.test>',
    replyTo: 'secretariat.coalition@lookalike.test',
    subject: 'Action required: sign the Joint Statement',
    text: 'You have been sent a document to review and sign: Joint_Statement_2026.pdf.\n\nWe kindly ask all organisations to sign before 30 April to remain listed as signatories; organisations that do not sign will be removed from the list automatically.\n\nAccess code: 7731',
  };

  it('reads an e-signature lure with a threat as other', async () => {
    const r = await read(lure);
    expect(r.kind).toBe('other');
    expect(r.organization).toBeNull();
  });

  it('reads a lure whose sender failed authentication as other even with a plain wish', async () => {
    const r = await read({
      from: 'Alba Civic <alba@civic.example.org>',
      headers: { 'Authentication-Results': 'mx.coalition.example.org; spf=fail smtp.mailfrom=civic-mail.test; dkim=none' },
      subject: 'Membership',
      html: '<p>We would like to join the coalition. Please log in to your account to verify your identity and confirm our membership: <a href="https://login.civic-mail.test/x">civic.example.org</a></p>',
    });
    expect(r.kind).toBe('other');
  });

  it('reads "confirm your membership by logging in within 24 hours" with a disguised link as other', async () => {
    const r = await read({
      from: 'Coalition <members@coalition-verify.test>',
      subject: 'Membership',
      html: '<p>Dear member, please confirm your membership in the Coalition by logging in to the portal within 24 hours.</p><p><a href="https://portal.coalition-verify.test/login">coalition.example.org</a></p>',
    });
    expect(r.kind).toBe('other');
  });

  it('keeps a genuine request whose only oddity is a failed SPF check', async () => {
    const r = await read({
      from: 'Klodi Marku <klodi@zeri.example.org>',
      headers: { 'Authentication-Results': 'mx.coalition.example.org; spf=fail smtp.mailfrom=relay.example.net' },
      subject: 'Kërkesë',
      text: 'Shoqata Zëri i Qytetarit dëshiron të nënshkruajë Deklaratën e Përbashkët.\n\nKlodi Marku',
    });
    expect(r.kind).toBe('join_request');
  });
});

describe('the ways a signatory leaves', () => {
  it('reads "suspend our participation in the coalition" as a withdrawal', async () => {
    const r = await read({ from: 'Eda <eda@forumi.example.org>', subject: 'Coalition', text: 'Dear coordinators,\n\nOur board has decided to suspend our participation in the coalition until further notice.\n\nEda\nForum for Civic Dialogue' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads "të pezullojmë anëtarësimin" as a withdrawal', async () => {
    const r = await read({ from: 'Sidi <sidi@qendra.example.org>', subject: 'Njoftim', text: 'Të nderuar,\n\nKemi vendosur të pezullojmë anëtarësimin tonë në koalicion për gjashtë muaj.\n\nSidi' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads a withdrawal written without diacritics ("te terhiqemi", "largohemi nga koalicioni") as a withdrawal', async () => {
    const r = await read({ from: 'Alma <alma@ura.example.org>', subject: 'Koalicioni', text: 'Pershendetje, kemi vendosur te terhiqemi dhe largohemi nga koalicioni nga muaji i ardhshem.\nAlma' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads "hiqni <organisation> nga lista" with the accusative name as a withdrawal of that organisation', async () => {
    const r = await read({
      from: 'Dea Kola <dea@fmd.example.org>',
      subject: 'Lista',
      text: 'Pershendetje,\n\nJu lutem hiqni Fondacionin per Media Demokratike nga lista e nenshkruesve.\n\nDea Kola\nFondacioni per Media Demokratike\nDurres',
    });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Fondacioni per Media Demokratike');
  });

  it('reads "we will not continue as part of the coalition" as a withdrawal', async () => {
    const r = await read({ from: 'Ola <ola@ngo.example.org>', subject: 'Decision', text: 'Dear all,\n\nAfter our general assembly, we will not continue as a member of the coalition.\n\nOla' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads "ka vendosur të mos jetë më pjesë e koalicionit" as a withdrawal', async () => {
    const r = await read({ from: 'Alda <alda@ura.example.org>', subject: 'Largim', text: 'Pershendetje,\nShoqata jone ka vendosur te mos jete me pjese e koalicionit.\nAlda' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads "duam të dalim nga koalicioni" as a withdrawal', async () => {
    const r = await read({ from: 'Mimoza <mimoza@ngo.example.org>', subject: 'Koalicioni', text: 'Përshëndetje, duam të dalim nga koalicioni sepse organizata po mbyllet.\nMimoza' });
    expect(r.kind).toBe('withdrawal');
  });

  it('reads "we are resigning from the coalition" as a withdrawal', async () => {
    const r = await read({ from: 'Gezim <gezim@ngo.example.org>', subject: 'Coalition', text: 'Dear all, we are resigning from the coalition effective today.\nGezim' });
    expect(r.kind).toBe('withdrawal');
  });

  it('does not read a general warning that "organisations will be removed" as a withdrawal', async () => {
    const r = await read({ from: 'Info <news@example.net>', subject: 'Update', text: 'Inactive organisations will be removed from the list of signatories at the end of the year.' });
    expect(r.kind).toBe('other');
  });
});
