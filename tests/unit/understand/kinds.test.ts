import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { ReadingSchema, understand, type Reading } from '../../../src/domain/understand/index.ts';
import { bounce, message, type MessageSpec } from './builders.ts';

async function read(spec: MessageSpec | Buffer): Promise<Reading> {
  const raw = Buffer.isBuffer(spec) ? spec : message(spec);
  const reading = understand(await parseRaw(raw), { coalitionAddress: 'info@coalition.example.org' });
  ReadingSchema.parse(reading);
  return reading;
}

describe('join requests', () => {
  it('reads a short English wish to join as a join request', async () => {
    const r = await read({
      from: 'Arben Lika <arben@greenvalley.example.net>',
      subject: 'Membership',
      text: 'Hello,\n\nThe Green Valley Association would like to become a member of the coalition and sign the joint statement.\n\nBest regards,\nArben Lika\nGreen Valley Association\nElbasan',
    });
    expect(r.kind).toBe('join_request');
    expect(r.language).toBe('en');
    expect(r.organization?.name).toBe('Green Valley Association');
    expect(r.organization?.city).toBe('Elbasan');
    expect(r.contact).toEqual({ name: 'Arben Lika', email: 'arben@greenvalley.example.net', phone: null });
    expect(r.automatic).toBe(false);
  });

  it('reads "please add our organisation to the signatories" as a join request', async () => {
    const r = await read({
      from: 'Mira Dedja <mira@civicnet.example.org>',
      subject: 'Joint statement',
      text: 'Dear colleagues,\n\nCould you please add our organisation, Civic Network Lezha (CNL), to the list of signatories of the joint statement?\n\nThanks,\nMira',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Civic Network Lezha');
    expect(r.organization?.acronym).toBe('CNL');
  });

  it('reads "we endorse the statement and wish to be listed" as a join request', async () => {
    const r = await read({
      from: 'Ema Kola <ema@youthlab.example.net>',
      subject: 'Endorsement',
      text: 'Hi,\n\nYouth Lab Fier hereby endorses the joint statement and asks to be listed among its signatories.\n\nEma Kola\nYouth Lab Fier\nFier',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Youth Lab Fier');
  });

  it('reads an Albanian request written with diacritics', async () => {
    const r = await read({
      from: 'Besa Hoxha <besa@qendra-ligjore.example.org>',
      subject: 'Kërkesë për anëtarësim',
      text: 'Të nderuar,\n\nQendra për Studime Ligjore dëshiron të anëtarësohet në Koalicionin e OShC-ve për OGP dhe të nënshkruajë Deklaratën e Përbashkët.\n\nMe respekt,\nBesa Hoxha\nQendra për Studime Ligjore\nGjirokastër',
    });
    expect(r.kind).toBe('join_request');
    expect(r.language).toBe('sq');
    expect(r.organization?.name).toBe('Qendra për Studime Ligjore');
    expect(r.organization?.city).toBe('Gjirokastër');
  });

  it('reads Albanian typed without diacritics ("anetaresohemi", "nenshkruajme")', async () => {
    const r = await read({
      from: 'Lulzim <lulzim.b@mail.example.net>',
      subject: '',
      text: 'Pershendetje,\n\nNe si Shoqata Rinore Lezha duam te anetaresohemi ne koalicion dhe te nenshkruajme deklaraten.\n\nFaleminderit,\nLulzim\nLezhe',
    });
    expect(r.kind).toBe('join_request');
    expect(r.language).toBe('sq');
    expect(r.contact?.name).toBe('Lulzim');
    expect(r.organization?.city).toBe('Lezhe');
  });

  it('reads "të aderojmë" as a wish to join', async () => {
    const r = await read({
      from: 'Drita Meta <drita@forumi.example.org>',
      subject: 'Deklarata',
      text: 'Përshëndetje,\n\nForumi i Grave Pogradec kërkon të aderojë në Deklaratën e Përbashkët të koalicionit.\n\nDrita Meta',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Forumi i Grave Pogradec');
  });

  it('reads a request whose only wish is "we want to join" under a subject naming the coalition', async () => {
    const r = await read({ from: 'Ana Leka <ana@example.net>', subject: 'OGP coalition', text: 'We want to join. – Open Mind Sarande\n\nSent from my iPhone' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Open Mind Sarande');
    expect(r.contact?.name).toBe('Ana Leka');
  });
});

describe('withdrawals', () => {
  it('reads an English request to be removed from the signatories as a withdrawal', async () => {
    const r = await read({
      from: 'Petrit Dosti <petrit@budgetwatch.example.org>',
      subject: 'Joint statement',
      text: 'Dear coordinators,\n\nBudget Watch Albania (BWA) has decided to withdraw from the coalition. Please remove our name from the joint statement.\n\nRegards,\nPetrit Dosti\nBudget Watch Albania\nTirana',
    });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Budget Watch Albania');
    expect(r.organization?.acronym).toBe('BWA');
    expect(r.missing).toEqual([]);
  });

  it('reads "të tërhiqemi" and "hiqni emrin" as a withdrawal', async () => {
    const r = await read({
      from: 'Ilda Kraja <ilda@levizja.example.org>',
      subject: 'Tërheqje',
      text: 'Të nderuar,\n\nLëvizja Qytetare Shkodër ka vendosur të tërhiqet nga koalicioni. Ju lutemi hiqni emrin tonë nga lista e nënshkruesve.\n\nIlda Kraja',
    });
    expect(r.kind).toBe('withdrawal');
    expect(r.language).toBe('sq');
    expect(r.organization?.name).toBe('Lëvizja Qytetare Shkodër');
  });

  it('reads a suspension of participation as a withdrawal', async () => {
    const r = await read({
      from: 'Genti Shala <genti@rrjeti.example.org>',
      subject: 'Participation',
      text: 'Dear all,\n\nThe Network for Local Democracy will suspend its participation in the coalition from March.\n\nGenti Shala',
    });
    expect(r.kind).toBe('withdrawal');
  });
});

describe('other mail', () => {
  it('does not read "join us at our conference" as a join request', async () => {
    const r = await read({
      from: 'Events <events@forum.example.net>',
      subject: 'Invitation: Open Government Forum',
      text: 'Dear partners,\n\nWe invite the coalition to join us at our annual conference on open government in Durrës on 4 May.\n\nRegister here: https://forum.example.net/register',
    });
    expect(r.kind).toBe('other');
    expect(r.organization).toBeNull();
    expect(r.contact).toBeNull();
  });

  it('does not read a question about the conditions as a join request', async () => {
    const r = await read({
      from: 'Edi Gega <edi@example.net>',
      subject: 'Question',
      text: 'Hello,\n\nWhat are the conditions to join the coalition? Is there a membership fee?\n\nThanks,\nEdi',
    });
    expect(r.kind).toBe('other');
  });

  it('does not read an Albanian invitation "ju ftojmë të bashkoheni" as a join request', async () => {
    const r = await read({
      from: 'Qendra Rinore <info@qendra.example.org>',
      subject: 'Ftesë',
      text: 'Të nderuar,\n\nJu ftojmë të bashkoheni me ne në tryezën e rrumbullakët për qeverisjen e hapur.\n\nFaleminderit',
    });
    expect(r.kind).toBe('other');
  });

  it('reads a request for documents that mentions the coalition as other', async () => {
    const r = await read({
      from: 'Student <student@uni.example.net>',
      subject: 'Documents',
      text: 'Dear Sir/Madam,\n\nCould you please send me the OGP action plan and the coalition statement? I am writing a thesis.\n\nKind regards',
    });
    expect(r.kind).toBe('other');
    expect(r.language).toBe('en');
  });

  it('reads a person leaving the mailing list as other, not a withdrawal', async () => {
    const r = await read({
      from: 'Olsi <olsi@ngo.example.org>',
      subject: 'Unsubscribe',
      text: 'Please remove me from your mailing list, I have left the organisation. My colleagues will stay in touch with the coalition.',
    });
    expect(r.kind).toBe('other');
  });

  it('reads a request to correct a name as other', async () => {
    const r = await read({
      from: 'Rea <rea@ngo.example.org>',
      subject: 'Correction',
      text: 'Hello, our name is misspelled in the list of signatories of the statement. Please correct it to "Qendra Arsis".',
    });
    expect(r.kind).toBe('other');
  });

  it('reads an HTML-only phishing lure as other', async () => {
    const r = await read({
      from: 'Mail Admin <admin@mail-admin.example.com>',
      subject: 'Your mailbox is full',
      html: '<p>Dear user,</p><p>Your mailbox is 99% full. <a href="https://evil.example.com/">Validate your account</a> now.</p><p>This is an automated message, do not reply.</p>',
    });
    expect(r.kind).toBe('other');
    expect(r.language).toBe('en');
  });

  it('reads an empty message as other with no language', async () => {
    const r = await read({ from: 'Someone <someone@example.net>', subject: '', text: '' });
    expect(r.kind).toBe('other');
    expect(r.language).toBeNull();
    expect(r.missing).toEqual([]);
  });

  it('reads a question from a member about the next meeting as other', async () => {
    const r = await read({
      from: 'Ledi <ledi@ngo.example.org>',
      subject: 'Takimi',
      text: 'Përshëndetje,\n\nKur do të mbahet takimi i radhës i koalicionit? A mund të vijë edhe një kolege nga zyra e Vlorës?\n\nFaleminderit,\nLedi',
    });
    expect(r.kind).toBe('other');
    expect(r.language).toBe('sq');
  });
});

describe('automatic mail', () => {
  it('reads an Auto-Submitted out-of-office as an auto-reply and extracts nothing', async () => {
    const r = await read({
      from: 'Blerta <blerta@ngo.example.org>',
      subject: 'Automatic reply: Coalition meeting',
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      text: 'I am out of the office until 16 February. For urgent matters call +355 4 222 3333 or write to office@ngo.example.org.',
    });
    expect(r.kind).toBe('auto_reply');
    expect(r.automatic).toBe(true);
    expect(r.organization).toBeNull();
    expect(r.contact).toBeNull();
  });

  it('reads an auto-reply marked only by X-Autoreply that quotes a join request as an auto-reply', async () => {
    const r = await read({
      from: 'tani@qendra.example.org',
      subject: 'Re: Anëtarësim',
      headers: { 'X-Autoreply': 'yes' },
      text: 'Jam jashtë zyrës deri më 3 shkurt.\n\n> Përshëndetje,\n> Qendra Rinore Berat dëshiron të anëtarësohet në koalicion dhe të nënshkruajë deklaratën.\n> Emri i organizatës: Qendra Rinore Berat',
    });
    expect(r.kind).toBe('auto_reply');
    expect(r.organization).toBeNull();
  });

  it('reads a message whose only sign is the Albanian subject "Përgjigje automatike:" (encoded-word) as an auto-reply', async () => {
    const r = await read({
      from: 'Teuta <teuta@example.net>',
      subject: 'Përgjigje automatike: Ftesë: Deklarata e Përbashkët',
      encodeSubject: 'B',
      text: 'Përshëndetje,\n\nJam me leje deri më 2 shkurt. Emaili juaj do të lexohet pas kthimit tim.\n\nTeuta',
    });
    expect(r.kind).toBe('auto_reply');
    expect(r.language).toBe('sq');
    expect(r.automatic).toBe(true);
  });

  it('reads "Pergjigje automatike" without diacritics as an auto-reply', async () => {
    const r = await read({ from: 'x@example.net', subject: 'Pergjigje automatike: Takimi', text: 'Nuk jam ne zyre.' });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads "Jam jashtë zyrës" and "Out of Office" subjects as auto-replies', async () => {
    expect((await read({ from: 'x@example.net', subject: 'Jam jashtë zyrës', text: 'Do të kthehem të hënën.' })).kind).toBe('auto_reply');
    expect((await read({ from: 'x@example.net', subject: 'Out of Office: Joint statement', text: 'Back on Monday.' })).kind).toBe('auto_reply');
  });

  it('reads an out-of-office recognisable only by its wording as an auto-reply', async () => {
    const r = await read({
      from: 'Arta <arta@ngo.example.org>',
      subject: 'Re: Coalition meeting',
      inReplyTo: '<abc@coalition.example.org>',
      text: 'Thank you for your message. I am currently out of the office with limited access to email and will reply upon my return on 10 March.\n\nArta',
    });
    expect(r.kind).toBe('auto_reply');
  });

  it('reads Precedence: auto_reply as an auto-reply', async () => {
    const r = await read({ from: 'x@example.net', subject: 'Re: hello', headers: { Precedence: 'auto_reply' }, text: 'Your message has been received.' });
    expect(r.kind).toBe('auto_reply');
  });

  it('does not take X-Auto-Response-Suppress alone as a sign of automatic mail', async () => {
    const r = await read({
      from: 'Ina Basha <ina@qendra.example.org>',
      subject: 'Request to join',
      headers: { 'X-Auto-Response-Suppress': 'All' },
      text: 'Dear colleagues,\n\nQendra Ina would like to join the coalition and sign the joint statement.\n\nIna Basha',
    });
    expect(r.kind).toBe('join_request');
    expect(r.automatic).toBe(false);
  });

  it('marks list mail (List-Unsubscribe, Precedence: bulk) as automatic', async () => {
    const r = await read({
      from: 'Newsletter <news@example.net>',
      subject: 'Monthly news',
      headers: { 'List-Unsubscribe': '<https://example.net/u>', Precedence: 'bulk' },
      text: 'This month in open government: new reports and events.',
    });
    expect(r.kind).toBe('other');
    expect(r.automatic).toBe(true);
  });
});

describe('bounces', () => {
  it('reads a multipart/report DSN as a bounce even with Auto-Submitted', async () => {
    const r = await read(bounce({ headersOnly: true }));
    expect(r.kind).toBe('bounce');
    expect(r.automatic).toBe(true);
    expect(r.language).toBe('en');
  });

  it('reads a DSN that returns a complete join request as a bounce and extracts nothing', async () => {
    const original = message({
      from: 'Flora <flora@lumi.example.org>',
      subject: 'Kërkesë për anëtarësim',
      text: 'Të nderuar,\n\nShoqata "Lumi" nga Berati dëshiron të anëtarësohet në koalicion dhe të nënshkruajë Deklaratën.\n\nFlora',
    });
    const r = await read(bounce({ original }));
    expect(r.kind).toBe('bounce');
    expect(r.organization).toBeNull();
    expect(r.contact).toBeNull();
  });

  it('reads a plain-text bounce from MAILER-DAEMON without multipart/report as a bounce', async () => {
    const r = await read({
      from: 'MAILER-DAEMON@mail.example.net',
      subject: 'failure notice',
      text: "Hi. This is the qmail-send program at mail.example.net.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<x@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)",
    });
    expect(r.kind).toBe('bounce');
  });
});
