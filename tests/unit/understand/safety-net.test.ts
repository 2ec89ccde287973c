import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { message, type MessageSpec } from './builders.ts';

/**
 * Three outcomes: a clear request, a possible request shown to the coordinators, and mail that is
 * not the desk's business. Each case in its own words, none from a fixture.
 */
async function read(spec: MessageSpec): Promise<Reading> {
  return understand(await parseRaw(message(spec)), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

describe('a possible request', () => {
  it('is the conditional Albanian wish that names no organisation: the coordinators are asked, nobody is answered', async () => {
    const r = await read({
      from: 'Arben Kola <arben.kola@example.net>',
      subject: 'Kërkesë për anëtarësim në koalicion',
      text: 'Përshëndetje,\n\nDo të donim të bashkoheshim me koalicionin dhe ta nënshkruanim deklaratën e përbashkët.\n\nArben',
    });
    expect(r.kind).toBe('join_request');
    expect(r.possible).toBe(true);
    expect(r.possibleReason).toBe('no_organisation');
  });

  it('is a person\'s request relayed by a web form (Auto-Submitted, no-reply From): read in full, answered by nobody', async () => {
    const r = await read({
      from: 'Faqja e internetit <no-reply@web.example.org>',
      replyTo: 'Mira Gjoni <mira.gjoni@example.net>',
      subject: 'Mesazh i ri nga formulari i kontaktit',
      headers: { 'Auto-Submitted': 'auto-generated' },
      text: 'Emri: Mira Gjoni\nEmail: mira.gjoni@example.net\nOrganizata: Lidhja për Qeverisje të Hapur\nMesazhi: Organizata jonë do të donte të bëhej pjesë e koalicionit dhe të nënshkruante deklaratën.',
    });
    expect(r.kind).toBe('join_request');
    expect(r.automatic).toBe(true);
    expect(r.possibleReason).toBe('sent_by_machine');
    expect(r.contact?.email).toBe('mira.gjoni@example.net');
    expect(r.organization?.name).toBe('Lidhja për Qeverisje të Hapur');
  });

  it('is a one-to-one request sent through a mailing tool (List-Unsubscribe, Feedback-ID)', async () => {
    const r = await read({
      from: 'Ilir Hoxha <ilir@delta.example.org>',
      subject: 'Membership',
      headers: { 'List-Unsubscribe': '<https://mailer.example.com/u/1>', 'Feedback-ID': 'a1:b2:mailer' },
      text: 'Dear colleagues,\n\nOn behalf of the Delta Youth Network we kindly ask to be added to the signatories of the joint statement.\n\nIlir Hoxha',
    });
    expect(r.kind).toBe('join_request');
    expect(r.possibleReason).toBe('sent_by_machine');
  });

  it('is never a newsletter about OGP that asks its readers to join a programme', async () => {
    const r = await read({
      from: 'OGP News <news@ogp.example.org>',
      subject: 'Open government this month',
      headers: { 'List-Unsubscribe': '<https://ogp.example.org/u>', Precedence: 'bulk' },
      text: 'Dear reader,\n\nSign up for our webinar on local action plans. Cities can now join OGP Local, and civil society organisations may want to take part in the next cohort.\n\nThe OGP team',
    });
    expect(r.kind).toBe('other');
    expect(r.possible).toBe(false);
  });

  it('is never a job application that says "aplikoj" and mentions nothing of the coalition', async () => {
    const r = await read({
      from: 'Klea <klea@example.net>',
      subject: 'Aplikim për pozicionin e asistentit',
      text: 'Përshëndetje,\n\nMe anë të këtij emaili po aplikoj për pozicionin e asistentit të projektit. Do të isha e lumtur të bëhesha pjesë e ekipit tuaj.\n\nKlea',
    });
    expect(r.kind).toBe('other');
    expect(r.possible).toBe(false);
  });
});

describe('a person\'s words are read as a person\'s', () => {
  it('reads a reply whose subject carries "Automatic reply:" by its own new text', async () => {
    const r = await read({
      from: 'Sokol Dema <sokol@vlora-youth.example.org>',
      subject: 'RE: Automatic reply: Membership request',
      text: 'Hello again,\n\nI received your automatic answer, so I write once more: the Vlora Youth Centre would like to join the coalition and sign the joint statement.\n\nSokol Dema\n\n> I am out of the office until Monday.',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Vlora Youth Centre');
  });

  it('reads "yes, we would be glad to" under our quoted invitation as a request', async () => {
    const r = await read({
      from: 'Drita Prifti <drita@rrjeti-jug.example.org>',
      subject: 'Re: Ftesë për t’u bashkuar me Koalicionin e OShC-ve për OGP',
      inReplyTo: '<inv-1@coalition.example.org>',
      text: 'Po, me kënaqësi! Rrjeti i Gruas së Jugut do të bashkohet me koalicionin.\n\nDrita Prifti\n\nMë 2 mars 2026, Koalicioni <info@coalition.example.org> shkroi:\n> Ju ftojmë të bashkoheni me koalicionin dhe të nënshkruani deklaratën.',
    });
    expect(r.kind).toBe('join_request');
    expect(r.possible).toBe(false);
  });

  it('reads a staff member\'s forward of a request that reached them as the original requester\'s', async () => {
    const r = await read({
      from: 'Besa Luli <besa.luli@coalition.example.org>',
      subject: 'FW: Anëtarësim',
      text: 'Ana, kjo më erdhi mua personalisht. A mund ta shtoni organizatën në listë?\n\nBesa\n\n-----Original Message-----\nFrom: Genti Mema <genti@shoqata-drini.example.org>\nSent: Monday, March 2, 2026 10:00 AM\nTo: Besa Luli <besa.luli@coalition.example.org>\nSubject: Anëtarësim\n\nPërshëndetje Besa,\n\nShoqata Drini dëshiron të anëtarësohet në Koalicionin për OGP dhe të nënshkruajë deklaratën.\n\nGenti Mema',
    });
    expect(r.kind).toBe('join_request');
    expect(r.forwarded).toBe(true);
    expect(r.contact?.email).toBe('genti@shoqata-drini.example.org');
    expect(r.organization?.name).toBe('Shoqata Drini');
  });

  it('does not read "Qendra Largohet" asking to join as a withdrawal', async () => {
    const r = await read({ from: 'Eri <eri@largohet.example.org>', subject: 'Koalicioni', text: 'Përshëndetje,\n\nQendra Largohet dëshiron të bashkohet me koalicionin dhe të nënshkruajë deklaratën.\n\nEri' });
    expect(r.kind).toBe('join_request');
  });

  it('does not read a partner asking us to sign their own statement as a request', async () => {
    const r = await read({
      from: 'Ana Petrova <ana@mediafreedom.example.net>',
      subject: 'Invitation to endorse our statement on press freedom',
      text: 'Dear colleagues,\n\nWe would be grateful if your organisation could sign our statement on press freedom. To add your name, reply with the name of your organisation.\n\nAna',
    });
    expect(r.kind).toBe('other');
    expect(r.possible).toBe(false);
  });
});

describe('organisation fields', () => {
  it('never takes a donor or a network named in a footer', async () => {
    const r = await read({
      from: 'Lule <lule@ngo-mat.example.org>',
      subject: 'Kërkesë për anëtarësim',
      text: 'Të nderuar,\n\nQendra Mat për Zhvillim dëshiron të anëtarësohet në koalicion.\n\nMe respekt,\nLule Marku\nQendra Mat për Zhvillim\n\nKy projekt financohet nga Fondacioni Evropian për Demokraci. Jemi anëtarë të Rrjetit Ballkanik për Transparencë.',
    });
    expect(r.organization?.name).toBe('Qendra Mat për Zhvillim');
  });

  it('keeps a trailing town out of the name and gives it as the city', async () => {
    const r = await read({
      from: 'Formulari <no-reply@forms.example.org>',
      replyTo: 'Vera <vera@example.net>',
      subject: 'Formular',
      text: 'Organizata: Shoqata "Ura e Lumit", Lushnjë\nEmail: vera@example.net\nMesazhi: Duam të bëhemi pjesë e koalicionit.',
    });
    expect(r.organization?.name).toBe('Shoqata "Ura e Lumit"');
    expect(r.organization?.city).toBe('Lushnjë');
  });

  it('takes no bare generic word as a name, and asks the coordinators instead', async () => {
    const r = await read({ from: 'x@example.net', subject: 'Join', text: 'Hello,\n\nOur NGO would like to join the coalition and sign the statement.\n\nThanks' });
    expect(r.organization?.name ?? null).toBeNull();
    expect(r.possibleReason).toBe('no_organisation');
  });
});
