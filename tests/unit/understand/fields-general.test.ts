import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { message, type MessageSpec } from './builders.ts';

/**
 * General rules for the organisation and contact of a request, each tested
 * with phrasings written for the rule: names with punctuation and quotes of
 * any style, declined names, role mailboxes, the contact's own number, towns
 * only where an address names them, websites as written.
 */
async function read(spec: MessageSpec): Promise<Reading> {
  return understand(await parseRaw(message(spec)), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

describe('organisation names as the sender writes them', () => {
  it('keeps an exclamation mark inside a name in the middle of a sentence', async () => {
    const r = await read({ from: 'Redi <redi@alo.example.org>', subject: 'Joining', text: 'Dear coordinators,\n\nAfter a vote of our members, ALO! Youth Forum wants to join the coalition and sign the joint statement.\n\nRedi' });
    expect(r.organization?.name).toBe('ALO! Youth Forum');
  });

  it('keeps guillemets and the lower-case words inside them', async () => {
    const r = await read({ from: 'Ana <ana@zeri.example.org>', subject: 'Anëtarësim', text: 'Të nderuar,\n\nShoqata «Zëri i lirë i grave» dëshiron të anëtarësohet në koalicion.\n\nAna' });
    expect(r.organization?.name).toBe('Shoqata «Zëri i lirë i grave»');
  });

  it('keeps single curly quotes around a name', async () => {
    const r = await read({ from: 'Iris <iris@ura.example.org>', subject: 'Deklarata', text: 'Përshëndetje,\n\nFondacioni ‘Ura e Re’ kërkon të nënshkruajë Deklaratën e Përbashkët.\n\nIris' });
    expect(r.organization?.name).toBe('Fondacioni ‘Ura e Re’');
  });

  it('prefers the normal form of a quoted name over its all-caps letterhead', async () => {
    const r = await read({ from: 'Lindita <lindita@vatra.example.org>', subject: 'Kërkesë', text: 'SHOQATA KULTURORE "VATRA"\n\nTë nderuar,\n\nShoqata Kulturore "Vatra" dëshiron t\'i bashkohet Koalicionit.\n\nLindita' });
    expect(r.organization?.name).toBe('Shoqata Kulturore "Vatra"');
  });

  it('keeps English connecting words inside a name', async () => {
    const r = await read({ from: 'Sara <sara@csdg.example.org>', subject: 'Statement', text: 'Hello,\n\nThe Centre for the Study of Democracy and Governance would like to join the coalition.\n\nSara' });
    expect(r.organization?.name).toBe('Centre for the Study of Democracy and Governance');
  });

  it('prefers the normally capitalised name in the text over an all-caps letterhead', async () => {
    const r = await read({
      from: 'Ilir <ilir@qak.example.org>',
      subject: 'Kërkesë',
      text: 'QENDRA PËR ARSIM DHE KULTURË\n\nTë nderuar,\n\nQendra për Arsim dhe Kulturë dëshiron të nënshkruajë deklaratën e koalicionit.\n\nIlir',
    });
    expect(r.organization?.name).toBe('Qendra për Arsim dhe Kulturë');
  });

  it('turns a feminine accusative name back into the nominative', async () => {
    const r = await read({ from: 'Vesa <vesa@qaq.example.org>', subject: 'Tërheqje', text: 'Përshëndetje,\n\nJu lutem hiqni Qendrën për Arsim Qytetar nga lista e nënshkruesve të deklaratës.\n\nVesa' });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Qendra për Arsim Qytetar');
  });

  it('turns a masculine accusative name with its article back into the nominative', async () => {
    const r = await read({ from: 'Kreshnik <k@isr.example.org>', subject: 'Tërheqje', text: 'Pershendetje,\n\nJu lutem hiqni Institutin e Studimeve Rajonale nga lista e nenshkruesve.\n\nKreshnik' });
    expect(r.organization?.name).toBe('Instituti i Studimeve Rajonale');
  });
});

describe('the contact address and number', () => {
  it('answers the sender, not a shared office mailbox given as Reply-To', async () => {
    const r = await read({
      from: 'Genta Leka <genta.leka@ngo.example.org>',
      replyTo: 'Zyra NGO <zyra@ngo.example.org>',
      subject: 'Anëtarësim',
      text: 'Përshëndetje,\n\nShoqata për Zhvillim Rural dëshiron të anëtarësohet në koalicion.\n\nGenta Leka',
    });
    expect(r.contact?.email).toBe('genta.leka@ngo.example.org');
  });

  it('still answers a personal Reply-To under a shared From', async () => {
    const r = await read({ from: 'NGO <info@ngo.example.org>', replyTo: 'Genta Leka <genta.leka@ngo.example.org>', subject: 'Anëtarësim', text: 'Shoqata për Zhvillim Rural dëshiron të anëtarësohet në koalicion.' });
    expect(r.contact?.email).toBe('genta.leka@ngo.example.org');
  });

  it('takes the personal mobile over the office line when the signature gives both', async () => {
    const r = await read({
      from: 'Erion Dervishi <erion@forum.example.org>',
      subject: 'Join',
      text: 'Dear colleagues,\n\nThe Civic Forum Lezha would like to join the coalition.\n\nBest regards,\nErion Dervishi\nCivic Forum Lezha\nOffice: +355 215 22 410 | Mobile: +355 68 201 3344',
    });
    expect(r.contact?.phone).toBe('+355 68 201 3344');
  });

  it('takes an Albanian "Cel." number over "Tel. zyre"', async () => {
    const r = await read({
      from: 'Blerta Hoxha <blerta@sgr.example.org>',
      subject: 'Kërkesë',
      text: 'Përshëndetje,\n\nShoqata e Gazetarëve të Rinj dëshiron të nënshkruajë Deklaratën.\n\nBlerta Hoxha\nShoqata e Gazetarëve të Rinj\nTel. zyre: 04 223 4567\nCel. 069 123 4567',
    });
    expect(r.contact?.phone).toBe('069 123 4567');
  });

  it('answers the sender, not a secretariat mailbox given as Reply-To', async () => {
    const r = await read({
      from: 'Dorian Kasa <dorian@hwa.example.org>',
      replyTo: 'HWA Secretariat <secretariat@hwa.example.org>',
      subject: 'Join',
      text: 'Hello,\n\nThe Heritage Watch Association would like to join the coalition.\n\nDorian Kasa\nHeritage Watch Association\nWeb: www.hwa.example.org',
    });
    expect(r.contact?.email).toBe('dorian@hwa.example.org');
    expect(r.organization?.website).toBe('www.hwa.example.org');
  });

  it('never takes a fax number', async () => {
    const r = await read({
      from: 'Erion Dervishi <erion@forum.example.org>',
      subject: 'Join',
      text: 'Dear colleagues,\n\nThe Civic Forum Lezha would like to join the coalition.\n\nBest regards,\nErion Dervishi\nFax: +355 215 22 499\nTel: +355 215 22 410',
    });
    expect(r.contact?.phone).toBe('+355 215 22 410');
  });
});

describe('the town comes from an address, never from a name', () => {
  it('does not take the signer surname that equals a town', async () => {
    const r = await read({
      from: 'Ardit Berati <ardit@shoqata.example.org>',
      subject: 'Anëtarësim',
      text: 'Përshëndetje,\n\nShoqata për Mjedisin dëshiron të anëtarësohet në koalicion.\n\nMe respekt,\nArdit Berati\nShoqata për Mjedisin\nRruga e Pazarit 4, Korçë',
    });
    expect(r.organization?.city).toBe('Korçë');
  });

  it('leaves the town empty when the only town-like word is a surname', async () => {
    const r = await read({ from: 'Mirela Vlora <mirela@example.net>', subject: 'Join', text: 'Dear all,\n\nThe Society for Clean Beaches would like to join the coalition.\n\nKind regards,\nMirela Vlora\nSociety for Clean Beaches' });
    expect(r.organization?.city).toBeNull();
  });

  it('does not take a signer surname that equals a town even when the organisation has no address', async () => {
    const r = await read({ from: 'Arben Fieri <arben@qdn.example.org>', subject: 'Kërkesë', text: 'Përshëndetje,\n\nQendra për të Drejtat e Njeriut dëshiron të nënshkruajë Deklaratën.\n\nArben Fieri\nQendra për të Drejtat e Njeriut' });
    expect(r.organization?.name).toBe('Qendra për të Drejtat e Njeriut');
    expect(r.organization?.city).toBeNull();
  });

  it('reads the town after a postcode on its own line and ignores a town in passing', async () => {
    const r = await read({
      from: 'Dorian Kasa <dorian@hwa.example.org>',
      subject: 'Join',
      text: 'Hello,\n\nThe Heritage Watch Association would like to join the coalition. We also took part in a forum in Tirana last spring.\n\nKind regards,\nDorian Kasa\nHeritage Watch Association\nRr. Ismail Kadare 12\n6001 Gjirokastër',
    });
    expect(r.organization?.city).toBe('Gjirokastër');
  });

  it('reads a two-word town after a street', async () => {
    const r = await read({ from: 'Pal <pal@alpet.example.org>', subject: 'Join', text: 'Hello,\n\nThe Alps Tourism Association would like to join the coalition.\n\nRegards,\nPal Gjoni\nAlps Tourism Association\nRruga e Shkollës 3, Bajram Curri' });
    expect(r.organization?.city).toBe('Bajram Curri');
  });

  it('ignores a town mentioned in passing and takes the one in the signature address', async () => {
    const r = await read({
      from: 'Nora <nora@rinia.example.org>',
      subject: 'Join',
      text: 'Dear coordinators,\n\nLast year we ran a training in Durrës with other groups. Today the Youth Council of the North would like to join the coalition.\n\nNora Marku\nYouth Council of the North\n4501 Lezhë, Albania',
    });
    expect(r.organization?.city).toBe('Lezhë');
  });

  it('takes the town on its own line under a letterhead', async () => {
    const r = await read({ from: 'Fatos <fatos@qendra.example.org>', subject: 'Kërkesë', text: 'QENDRA RINORE E MALËSISË\nPeshkopi\n\nTë nderuar,\n\nQendra Rinore e Malësisë dëshiron të nënshkruajë Deklaratën e Përbashkët.\n\nFatos' });
    expect(r.organization?.city).toBe('Peshkopi');
  });
});

describe('the website as the sender wrote it', () => {
  it('takes the visible text of a link in an HTML-only message, not its target', async () => {
    const r = await read({
      from: 'Elsa <elsa@lab.example.org>',
      subject: 'Join',
      html: '<p>The Data Lab Albania would like to join the coalition and sign the statement.</p><p>Elsa Hoxha<br>Data Lab Albania<br><a href="https://www.lab.example.org/home?utm_source=sig">lab.example.org</a></p>',
    });
    expect(r.organization?.website).toBe('lab.example.org');
  });

  it('takes the sender own domain when it stands alone on a signature line', async () => {
    const r = await read({ from: 'Elsa <elsa@lab.example.org>', subject: 'Join', text: 'Hello,\n\nThe Data Lab Albania would like to join the coalition.\n\nElsa Hoxha\nData Lab Albania\nlab.example.org' });
    expect(r.organization?.website).toBe('lab.example.org');
  });

  it('does not take a mail domain mentioned in a sentence as the website', async () => {
    const r = await read({ from: 'Elsa <elsa@gmail.example.com>', subject: 'Join', text: 'Hello,\n\nThe Data Lab Albania would like to join the coalition. We have no site yet and write from gmail.example.com for now.\n\nElsa Hoxha' });
    expect(r.organization?.website).toBeNull();
  });
});
