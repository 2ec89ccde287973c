import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { message, type MessageSpec } from './builders.ts';

/**
 * General rules written for this file's own phrasings: a question about the way
 * in next to a stated wish, invitations that mention membership, where an
 * organisation's name begins (never a clause, a role or a person's cell before
 * it), and which number is the contact's.
 */
async function read(spec: MessageSpec): Promise<Reading> {
  return understand(await parseRaw(message(spec)), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

describe('a question about how to join, next to a wish', () => {
  it('reads "how could we co-sign?" followed by "we really want our club in there" as a join request', async () => {
    const r = await read({
      from: 'Besa Marku <besa.marku@example.net>',
      subject: 'the declaration',
      text: 'Hello, how could we co-sign the declaration? We really want River Runners in there too.\nCheers\nBesa',
    });
    expect(r.kind).toBe('join_request');
  });

  it('reads an Albanian wish stated before the question as a join request', async () => {
    const r = await read({
      from: 'Dritan Hoxha <dritan@example.net>',
      subject: 'deklarata',
      text: 'Përshëndetje. Duam që Klubi Ecim Bashkë të jetë në listë. Si mund ta nënshkruajmë deklaratën?\nDritan',
    });
    expect(r.kind).toBe('join_request');
  });

  it('keeps a question followed by a wish to learn more as other', async () => {
    const r = await read({
      from: 'Erion <erion@example.net>',
      subject: 'statement',
      text: 'Hi, how do we sign the joint statement? We would like to know the conditions first.\nErion',
    });
    expect(r.kind).toBe('other');
  });
});

describe('invitations are not requests, even when they mention membership', () => {
  it('reads an Albanian "join us at our forum" that says no membership is needed as other', async () => {
    const r = await read({
      from: 'Arben <arben@valle.example.org>',
      subject: 'Ftesë: bashkohuni me ne në takimin e qershorit',
      text: 'Të dashur kolegë të koalicionit,\n\nJu ftojmë të bashkoheni me ne në takimin rajonal për buxhetin e hapur, më 12 qershor në Elbasan.\n\nTakimi është i hapur për të gjithë dhe për të marrë pjesë nuk kërkohet anëtarësim në koalicion.\n\nArben\nShoqata Vallja',
    });
    expect(r.kind).toBe('other');
  });

  it('reads an English invitation whose event needs no membership as other', async () => {
    const r = await read({
      from: 'Nora <nora@openvalley.example.org>',
      subject: 'Join us in Korçë for the budget hackathon',
      text: 'Dear coalition members,\n\nWe invite you to the budget hackathon on 4 May. We would be glad to see you there; membership in our network is not required.\n\nBest,\nNora',
    });
    expect(r.kind).toBe('other');
  });
});

describe('where an organisation name begins', () => {
  it('leaves out an announcing clause before a quoted name', async () => {
    const r = await read({
      from: 'Mira <mira@drita.example.org>',
      subject: 'Tërheqje',
      text: 'Të nderuar,\n\nJu informojmë se Shoqata e Nënave "Drita e Re" ka vendosur të tërhiqet nga koalicioni dhe ju lutemi të hiqni emrin tonë nga lista.\n\nMira',
    });
    expect(r.kind).toBe('withdrawal');
    expect(r.organization?.name).toBe('Shoqata e Nënave "Drita e Re"');
  });

  it('leaves out the governing body written before the organisation', async () => {
    const r = await read({
      from: 'Tom <tom@greenwatch.example.org>',
      subject: 'Joining',
      text: 'Dear coordinators,\n\nThe Executive Board of Green Rivers Watch (GRW) decided yesterday that we would like to join the coalition and sign the statement.\n\nTom',
    });
    expect(r.organization?.name).toBe('Green Rivers Watch');
    expect(r.organization?.acronym).toBe('GRW');
  });

  it('leaves out an Albanian office title written before the organisation', async () => {
    const r = await read({
      from: 'Luan <luan@lindje.example.org>',
      subject: 'Anëtarësim',
      text: 'Përshëndetje,\n\nKryetari i Forumit Rinor Lindja (FRL) ka miratuar vendimin: dëshirojmë të anëtarësohemi në koalicion.\n\nLuan',
    });
    expect(r.organization?.name).toBe('Forumi Rinor Lindja');
  });

  it('keeps a person in the neighbouring cell of a signature table out of the name', async () => {
    const r = await read({
      from: 'Sokol Meta <smeta@qpm.example.org>',
      subject: 'Kërkesë për anëtarësim',
      text: 'Përshëndetje,\n\nDëshirojmë të anëtarësohemi në koalicion dhe të nënshkruajmë deklaratën.\n\nFaleminderit,\n\nSokol Meta          Qendra për Politika Mjedisore (QPM)\nDrejtor ekzekutiv   Rr. "Dibrës", Nr. 12, Tiranë',
    });
    expect(r.organization?.name).toBe('Qendra për Politika Mjedisore');
    expect(r.organization?.acronym).toBe('QPM');
  });
});

describe('the contact person’s own number, not the office line', () => {
  it('takes the mobile given with a named contact person after "cel." over the signature office line', async () => {
    const r = await read({
      from: 'Fatos Lala <fatos@zhvillimi.example.org>',
      subject: 'Anëtarësim',
      text: 'Të nderuar,\n\nShoqata për Zhvillim Rural dëshiron të anëtarësohet në koalicion. Person kontakti do të jetë z. Genti Bushi (genti.bushi@zhvillimi.example.org, cel. 067 455 1290). Ju lutem shkruajini atij.\n\nMe respekt,\nFatos Lala\nShoqata për Zhvillim Rural\nTel. 054 111 222',
    });
    expect(r.contact?.email).toBe('genti.bushi@zhvillimi.example.org');
    expect(r.contact?.phone).toBe('067 455 1290');
  });

  it('takes the number a sender gives for themself in a sentence ("my mobile is ...")', async () => {
    const r = await read({
      from: 'Klea Dervishi <klea@lumi.example.org>',
      subject: 'Joining the coalition',
      text: 'Dear colleagues,\n\nThe Lumi Youth Network would like to join the coalition and sign the joint statement. I will be the contact for this; my mobile is +355 68 777 1020.\n\nBest,\nKlea Dervishi',
    });
    expect(r.contact?.phone).toBe('+355 68 777 1020');
  });

  it('takes the contact person’s number in an attached letter over its letterhead number', async () => {
    const letter = 'Qendra Ura e Jugut (QUJ)\nRruga e Detit 4, Sarandë\nTel. 085 222 333\n\nQendra Ura e Jugut (QUJ) kërkon të anëtarësohet në Koalicion dhe të nënshkruajë Deklaratën.\n\nPersoni i kontaktit: Elira Tafa, elira@uraejugut.example.org, tel. +355 69 808 1234\n\nDrejtori';
    const r = await read({
      from: 'Elira Tafa <elira@uraejugut.example.org>',
      subject: 'Kërkesë',
      text: 'Përshëndetje,\n\nBashkëlidhur kërkesa jonë për anëtarësim në koalicion.\n\nElira',
      attachments: [{ filename: 'kerkesa.txt', contentType: 'text/plain', content: letter }],
    });
    expect(r.kind).toBe('join_request');
    expect(r.contact?.phone).toBe('+355 69 808 1234');
  });
});

describe('a name without an organisation word', () => {
  it('takes the proper name the sender wants to be on the statement, and its town from a closing "Name – Town" line', async () => {
    const r = await read({
      from: 'Jonida Kola <jonida.kola@example.com>',
      subject: 'the list',
      text: 'Hey! What do we need to do to endorse your statement? We would like Open Stage Collective... sorry, Open Stage to be added.\nJonida\nOpen Stage – Shkodër',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Open Stage');
    expect(r.organization?.city).toBe('Shkodër');
    expect(r.contact?.name).toBe('Jonida Kola');
  });

  it('takes the organisation from an Albanian wish "duam që X të jetë ..."', async () => {
    const r = await read({
      from: 'Arlind Beqiri <arlind@example.net>',
      subject: 'Koalicioni',
      text: 'Përshëndetje,\n\nDuam që Hapa të Gjelbër të jetë pjesë e koalicionit dhe të nënshkruajë deklaratën.\n\nArlind',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Hapa të Gjelbër');
  });

  it('does not take a person asked to act as the organisation', async () => {
    const r = await read({
      from: 'Ermal <ermal@example.net>',
      subject: 'Joining',
      text: 'Hello, we would like to join the coalition. We would like Ana Koçi to add our name to the statement.\nErmal',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name ?? null).not.toBe('Ana Koçi');
  });

  it('does not take the sender’s own name on a "Name – Town" line as the organisation', async () => {
    const r = await read({
      from: 'Blerta Sinani <blerta@example.net>',
      subject: 'Anëtarësim',
      text: 'Përshëndetje, dëshirojmë të anëtarësohemi në koalicion.\nBlerta Sinani – Fier',
    });
    expect(r.organization?.name ?? null).toBeNull();
  });
});
