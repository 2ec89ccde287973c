import { describe, expect, it } from 'vitest';
import { parseRaw } from '../../../src/adapters/mime/index.ts';
import { understand, type Reading } from '../../../src/domain/understand/index.ts';
import { docx, message, pdf, type MessageSpec } from './builders.ts';

async function read(spec: MessageSpec | Buffer): Promise<Reading> {
  const raw = Buffer.isBuffer(spec) ? spec : message(spec);
  return understand(await parseRaw(raw), { coalitionAddress: 'info@coalition.example.org', knownCoordinators: ['koordinator@coalition.example.org'] });
}

describe('organisation names', () => {
  it('reads the fields of an Albanian structured list', async () => {
    const r = await read({
      from: 'gent.prifti@rrjeti.example.org',
      subject: 'Anëtarësim',
      text: [
        'Përshëndetje,',
        '',
        'Ju dërgojmë të dhënat për anëtarësim në Koalicion:',
        '',
        'Emri i organizatës: Rrjeti për Transparencë Lokale',
        'Akronimi: RTL',
        'Qyteti: Kukës',
        'Faqja e internetit: https://rtl.example.org',
        'Personi i kontaktit: Gent Prifti',
        'Telefon: 068 123 4567',
        'Email: gent.prifti@rrjeti.example.org',
      ].join('\n'),
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization).toEqual({ name: 'Rrjeti për Transparencë Lokale', acronym: 'RTL', city: 'Kukës', website: 'https://rtl.example.org' });
    expect(r.contact).toEqual({ name: 'Gent Prifti', email: 'gent.prifti@rrjeti.example.org', phone: '068 123 4567' });
    expect(r.confidence['organization.name']).toBeGreaterThan(0.9);
  });

  it('reads the fields of an English structured list', async () => {
    const r = await read({
      from: 'Office <office@wfa.example.net>',
      subject: 'Application to join the coalition',
      text: 'Dear team,\n\nWe would like to join the coalition. Our details:\n\nOrganization: Women Forum Albania\nCity: Shkoder\nWebsite: wfa.example.net\nContact person: Ms. Elira Gashi\nPhone: +355 69 555 1212\nE-mail: elira@wfa.example.net\n',
    });
    expect(r.organization?.name).toBe('Women Forum Albania');
    expect(r.organization?.city).toBe('Shkoder');
    expect(r.organization?.website).toBe('wfa.example.net');
    expect(r.contact).toEqual({ name: 'Elira Gashi', email: 'elira@wfa.example.net', phone: '+355 69 555 1212' });
  });

  it('turns a genitive name in the body into the nominative written in the signature', async () => {
    const r = await read({
      from: 'Sara Deda <sara@fondacioni.example.org>',
      subject: 'Kërkesë',
      text: 'Të nderuar,\n\nNë emër të Fondacionit për Zhvillim Komunitar, shprehim dëshirën për t’u bashkuar me Koalicionin.\n\nMe respekt,\nSara Deda\nFondacioni për Zhvillim Komunitar (FZHK)\nRruga e Elbasanit, Tiranë',
    });
    expect(r.organization?.name).toBe('Fondacioni për Zhvillim Komunitar');
    expect(r.organization?.acronym).toBe('FZHK');
    expect(r.organization?.city).toBe('Tiranë');
  });

  it('declines a genitive name to the nominative when there is no signature', async () => {
    const r = await read({
      from: 'Ardit <ardit@example.net>',
      subject: 'Deklarata',
      text: 'Në emër të Shoqatës së Mjekëve të Rinj, kërkojmë të nënshkruajmë Deklaratën e Përbashkët.',
    });
    expect(r.organization?.name).toBe('Shoqata e Mjekëve të Rinj');
  });

  it('declines a masculine head ("Institutit të ...") to the nominative', async () => {
    const r = await read({
      from: 'Iva <iva@example.net>',
      subject: 'Deklarata',
      text: 'Në emër të Institutit të Studimeve Urbane, ju shkruaj për t’u anëtarësuar në koalicion.',
    });
    expect(r.organization?.name).toBe('Instituti i Studimeve Urbane');
  });

  it('takes the full name given with an acronym when the body names only the acronym', async () => {
    const r = await read({
      from: 'Lea Toska <lea@ecoal.example.org>',
      subject: 'Joint statement',
      text: 'Hi,\n\nECO-AL would like to sign the joint statement.\n\nLea Toska\nEcological Association of Albania (ECO-AL)\nVlora',
    });
    expect(r.organization?.name).toBe('Ecological Association of Albania');
    expect(r.organization?.acronym).toBe('ECO-AL');
    expect(r.organization?.city).toBe('Vlora');
  });

  it('takes the organisation from the display name when nothing else names it', async () => {
    const r = await read({
      from: 'Qendra Kulturore Lezha <qkl.lezha@mail.example.com>',
      subject: '',
      text: 'Pershendetje, duam te bashkohemi me koalicionin dhe te nenshkruajme deklaraten.\n\nBeni',
    });
    expect(r.organization?.name).toBe('Qendra Kulturore Lezha');
    expect(r.contact?.email).toBe('qkl.lezha@mail.example.com');
  });

  it('keeps quotation marks in a name as written', async () => {
    const r = await read({
      from: 'Vera <vera@example.org>',
      subject: 'Deklarata',
      text: 'Organizata jonë, Shoqata "Gratë në Biznes" (SGB), dëshiron të bashkohet me Koalicionin.\n\nVera',
    });
    expect(r.organization?.name).toBe('Shoqata "Gratë në Biznes"');
    expect(r.organization?.acronym).toBe('SGB');
  });

  it('reports the organisation name as missing when it cannot be found', async () => {
    const r = await read({ from: 'Noname <n@example.net>', subject: 'Coalition', text: 'We would like to join the coalition.' });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBeNull();
    expect(r.missing).toContain('organization.name');
  });

  it('never takes the coalition or OGP for the requester', async () => {
    const r = await read({
      from: 'Nora <nora@example.org>',
      subject: 'Join',
      text: 'We wish to join the Coalition of CSOs for the Open Government Partnership (OGP) and sign the statement.\n\nNora',
    });
    expect(r.organization?.name ?? null).toBeNull();
  });
});

describe('cities, websites and phones', () => {
  it('skips a street named after another town and reads the town of the address', async () => {
    const r = await read({
      from: 'Toni <toni@example.org>',
      subject: 'Request to join',
      text: 'Hello,\n\nOpen Data Lab asks to join the coalition.\n\nBest,\nToni\nOpen Data Lab\nRruga e Kavajës 12, Durrës 2001',
    });
    expect(r.organization?.city).toBe('Durrës');
  });

  it('reads a town written without diacritics as written ("Korce")', async () => {
    const r = await read({
      from: 'Eli <eli@example.org>',
      subject: 'Anetaresim',
      text: 'Shoqata Arsimore Korca deshiron te anetaresohet ne koalicion.\n\nEli\nShoqata Arsimore Korca\nBulevardi Republika, Korce',
    });
    expect(r.organization?.city).toBe('Korce');
  });

  it('does not take the sender’s mail domain or an address for a website', async () => {
    const r = await read({
      from: 'Mimoza <mimoza@rinia.example.org>',
      subject: 'Join',
      text: 'Dear coalition,\n\nRinia Aktive (RA) would like to join the coalition. Write to mimoza@rinia.example.org.\n\nMimoza',
    });
    expect(r.organization?.website).toBeNull();
  });

  it('reads the visible website of an HTML-only message, not the link target', async () => {
    const r = await read({
      from: 'Kujtim Rama <kujtim@pro.example.org>',
      subject: 'Joining the coalition',
      html: '<p>Dear colleagues,</p><p>Pro Democracy Centre would be glad to join the coalition and sign the statement.</p><p>Best wishes,</p><table><tr><td>Kujtim Rama</td></tr><tr><td>Pro Democracy Centre | Rr. Durrësi 5, Tirana</td></tr><tr><td>+355 4 111 2222 | <a href="https://tracking.example.com/x">www.pro.example.org</a></td></tr></table>',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.website).toBe('www.pro.example.org');
    expect(r.organization?.city).toBe('Tirana');
    expect(r.contact?.phone).toBe('+355 4 111 2222');
  });

  it('reads Albanian mobile and landline numbers as written', async () => {
    const r = await read({
      from: 'Albi <albi@example.org>',
      subject: 'Kërkesë për anëtarësim',
      text: 'Qendra Rinore Fier dëshiron të bashkohet me koalicionin.\n\nAlbi\nQendra Rinore Fier\ntel. 034 22 3344',
    });
    expect(r.contact?.phone).toBe('034 22 3344');
  });
});

describe('contacts', () => {
  it('prefers a named focal point with her own address, without the honorific', async () => {
    const r = await read({
      from: 'Director <director@inst.example.org>',
      subject: 'Request to join',
      text: 'Dear colleagues,\n\nOn behalf of the Institute for Policy Research (IPR) I confirm our wish to join the coalition.\n\nOur contact person will be Mrs. Jonida Cela (jonida.cela@inst.example.org, mobile +355 67 222 3344).\n\nRegards,\nDirector',
    });
    expect(r.contact).toEqual({ name: 'Jonida Cela', email: 'jonida.cela@inst.example.org', phone: '+355 67 222 3344' });
  });

  it('answers a personal Reply-To rather than From', async () => {
    const r = await read({
      from: 'Shoqata Drini <office@drini.example.org>',
      replyTo: 'Ilir Dema <ilir.dema@drini.example.org>',
      subject: 'Anëtarësim',
      text: 'Shoqata Drini dëshiron të anëtarësohet në koalicion.\n\nIlir Dema',
    });
    expect(r.contact?.email).toBe('ilir.dema@drini.example.org');
    expect(r.contact?.name).toBe('Ilir Dema');
  });

  it('ignores a no-reply Reply-To', async () => {
    const r = await read({
      from: 'Ana Dushi <ana@example.org>',
      replyTo: 'noreply@example.org',
      subject: 'Join',
      text: 'Rural Voices Network would like to join the coalition.\n\nAna Dushi',
    });
    expect(r.contact?.email).toBe('ana@example.org');
  });
});

describe('quotes, forwards and replies', () => {
  it('reads only the top of an Outlook reply above an un-markered header block', async () => {
    const r = await read({
      from: 'Dea Marku <dea@vizion.example.org>',
      subject: 'RE: Ftesë: Deklarata e Përbashkët',
      text: [
        'Përshëndetje,',
        '',
        'Vizion Plus Lushnjë dëshiron të nënshkruajë deklaratën.',
        '',
        'Dea Marku',
        'Vizion Plus Lushnjë',
        '',
        'From: Koordinator <koordinator@coalition.example.org>',
        'Sent: Tuesday, January 20, 2026 11:02 AM',
        'To: Koordinator <koordinator@coalition.example.org>',
        'Subject: Ftesë: Deklarata e Përbashkët',
        '',
        'Të nderuar kolegë, ju ftojmë të bëheni pjesë e Koalicionit.',
        'Nënshkruesit:',
        'Instituti për Demokraci (ID)',
        'Qendra Ligjore (QL)',
        'Me respekt, Sekretariati, Tiranë',
      ].join('\n'),
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Vizion Plus Lushnjë');
    expect(r.organization?.acronym).toBeNull();
    expect(r.organization?.city).toBe('Lushnjë');
  });

  it('reads a bottom-posted reply below ">" quotes and ignores the attribution line', async () => {
    const r = await read({
      from: 'Eno <eno@example.org>',
      subject: 'Re: Coalition',
      text: 'On Mon, 12 Jan 2026 at 10:00, Coalition <info@coalition.example.org> wrote:\n> Would your organisation like to join?\n\nYes, Civic Hub Berat wants to join the coalition and sign the statement.\n\nEno',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Civic Hub Berat');
  });

  it('does not take a question quoted from the coalition as the sender’s intent', async () => {
    const r = await read({
      from: 'Eno <eno@example.org>',
      subject: 'Re: Invitation',
      text: 'Thanks, we will discuss it internally.\n\n> We invite your organisation to join the coalition and sign the joint statement.',
    });
    expect(r.kind).toBe('other');
  });

  it('reads a coordinator’s inline forward as the original requester’s join request', async () => {
    const r = await read({
      from: 'Koordinator <koordinator@coalition.example.org>',
      subject: 'Fwd: Anëtarësim',
      text: [
        'Për regjistrin.',
        '',
        '---------- Forwarded message ---------',
        'From: Marsela Kodra <marsela@ambient.example.org>',
        'Date: Thu, Jan 22, 2026 at 4:40 PM',
        'Subject: Anëtarësim',
        'To: <koordinator@coalition.example.org>',
        '',
        'Përshëndetje,',
        '',
        'Shoqata Ambienti i Pastër dëshiron t’i bashkohet Koalicionit.',
        '',
        'Marsela Kodra',
        'Shoqata Ambienti i Pastër',
        'Përmet',
      ].join('\n'),
    });
    expect(r.kind).toBe('join_request');
    expect(r.forwarded).toBe(true);
    expect(r.organization?.name).toBe('Shoqata Ambienti i Pastër');
    expect(r.organization?.city).toBe('Përmet');
    expect(r.contact).toEqual({ name: 'Marsela Kodra', email: 'marsela@ambient.example.org', phone: null });
  });

  it('reads a request forwarded as an attached message as a join request of its original sender', async () => {
    const original = message({
      from: 'Dorian Leka <dorian@youth.example.net>',
      subject: 'Request to join',
      text: 'Dear coalition,\n\nYouth Initiative Kavaja would like to join the coalition and sign the joint statement.\n\nDorian Leka',
    });
    const r = await read({
      from: 'Helper <helper@partner.example.org>',
      subject: 'Fwd: Request to join',
      text: 'See the attached request.',
      attachments: [{ contentType: 'message/rfc822', content: original.toString('utf8'), filename: 'request.eml' }],
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Youth Initiative Kavaja');
    expect(r.contact?.email).toBe('dorian@youth.example.net');
  });
});

describe('charsets and encodings', () => {
  it('decodes an ISO-8859-2 quoted-printable body', async () => {
    const r = await read({
      from: 'Erjon <erjon@example.org>',
      subject: 'Kërkesë për anëtarësim',
      encodeSubject: 'Q',
      charset: 'iso-8859-2',
      transfer: 'quoted-printable',
      text: 'Të nderuar,\n\nQendra Mjedisore Korçë dëshiron të anëtarësohet në Koalicion.\n\nErjon\nQendra Mjedisore Korçë',
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Qendra Mjedisore Korçë');
    expect(r.language).toBe('sq');
  });

  it('decodes a windows-1250 base64 body and an encoded-word subject', async () => {
    const mail = await parseRaw(
      message({
        from: 'Vasil <vasil@example.net>',
        subject: 'Deklarata e përbashkët',
        encodeSubject: 'B',
        charset: 'windows-1250',
        transfer: 'base64',
        text: 'Fondacioni “Ura” dëshiron të nënshkruajë Deklaratën e Përbashkët – faleminderit.\n\nVasil',
      }),
    );
    expect(mail.subject).toBe('Deklarata e përbashkët');
    expect(mail.text).toContain('Fondacioni “Ura” dëshiron');
    const r = understand(mail);
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Fondacioni “Ura”');
  });
});

describe('attachments', () => {
  it('lists attachments and reads the organisation from an attached DOCX letter', async () => {
    const letter = docx(['QENDRA PËR TË DREJTAT E FËMIJËVE (QDF)', 'Rruga e Kavajës, Tiranë', 'Lënda: Kërkesë për anëtarësim', 'Qendra për të Drejtat e Fëmijëve kërkon të anëtarësohet në Koalicionin e OShC-ve për OGP.']);
    const r = await read({
      from: 'Klea Zeka <klea@qdf.example.org>',
      subject: 'Kërkesë zyrtare',
      text: 'Të nderuar,\n\nBashkëlidhur gjeni kërkesën tonë zyrtare për anëtarësim.\n\nKlea Zeka',
      attachments: [{ filename: 'kerkese.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: letter }],
    });
    expect(r.kind).toBe('join_request');
    expect(r.attachments).toEqual([{ filename: 'kerkese.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', size: letter.length }]);
    expect(r.organization?.name).toBe('Qendra për të Drejtat e Fëmijëve');
    expect(r.organization?.acronym).toBe('QDF');
    expect(r.organization?.city).toBe('Tiranë');
  });

  it('reads a request letter attached as a Flate-compressed PDF', async () => {
    const letter = pdf(['MOUNTAIN TRAILS ASSOCIATION', 'Kukes, 2 February 2026', 'Mountain Trails Association (MTA) hereby requests to join the coalition and to sign the Joint Statement.']);
    const r = await read({
      from: 'Rina Doci <rina@mta.example.org>',
      subject: 'Letter',
      text: 'Dear colleagues,\n\nPlease find attached our letter.\n\nRina Doci',
      attachments: [{ filename: 'letter.pdf', contentType: 'application/pdf', content: letter }],
    });
    expect(r.kind).toBe('join_request');
    expect(r.organization?.name).toBe('Mountain Trails Association');
    expect(r.organization?.acronym).toBe('MTA');
  });

  it('does not crash on a broken PDF or DOCX', async () => {
    const r = await read({
      from: 'x <x@example.org>',
      subject: 'Files',
      text: 'Attached.',
      attachments: [
        { filename: 'broken.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4\nstream\nxx\nendstream') },
        { filename: 'broken.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: Buffer.from('PK\u0003\u0004garbage') },
      ],
    });
    expect(r.kind).toBe('other');
    expect(r.attachments).toHaveLength(2);
  });
});
