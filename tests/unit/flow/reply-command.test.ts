import { describe, expect, it } from 'vitest';
import { newText, parseReplyCommand, readFieldLines } from '../../../src/domain/reply-command.ts';

const QUOTE = [
  '',
  'On Mon, 30 Nov 2026 at 10:00, Koalicioni <info@example.org> wrote:',
  '> Kërkesë për miratim [REQ-7F3K2]',
  '> Përgjigjuni me PO ose JO.',
].join('\n');

describe('approval words', () => {
  for (const word of [
    'PO',
    'Po.',
    'po!',
    '*PO*',
    'Miratohet',
    'MIRATOJ',
    'miratoj',
    'APPROVE',
    'yes',
    'Yes!',
    'OK',
    'ok.',
    '"Po"',
    '_po_',
    '  PO  ',
  ]) {
    it(`treats "${word}" from a coordinator as approval`, () => {
      expect(parseReplyCommand(`${word}${QUOTE}`)).toEqual({ type: 'approve', corrections: {} });
    });
  }
  it('accepts a short sentence after the approval word', () => {
    expect(parseReplyCommand('Po, miratoj. Organizatë serioze.').type).toBe('approve');
    expect(parseReplyCommand('Yes, looks good to me').type).toBe('approve');
  });
  it('skips a greeting line before the decision', () => {
    expect(parseReplyCommand('Përshëndetje,\n\nPO\n\nAna').type).toBe('approve');
    expect(parseReplyCommand('Hi all,\nOK\n').type).toBe('approve');
  });
});

describe('rejection words and reasons', () => {
  for (const word of ['JO', 'jo', 'Jo.', 'NO', 'no!', 'REJECT', 'Refuzoj', 'REFUZOJ', '**JO**']) {
    it(`treats "${word}" as rejection without reason`, () => {
      expect(parseReplyCommand(`${word}${QUOTE}`)).toEqual({ type: 'reject', reason: null, shareReason: false });
    });
  }
  it('shares the reason only with the explicit "word:" form', () => {
    expect(parseReplyCommand('REJECT: not a civil society organisation')).toEqual({
      type: 'reject',
      reason: 'not a civil society organisation',
      shareReason: true,
    });
    expect(parseReplyCommand('JO: nuk është organizatë e shoqërisë civile')).toEqual({
      type: 'reject',
      reason: 'nuk është organizatë e shoqërisë civile',
      shareReason: true,
    });
  });
  it('keeps an "(internal)" reason among coordinators', () => {
    expect(parseReplyCommand('REJECT (internal): the director is a party official')).toEqual({
      type: 'reject',
      reason: 'the director is a party official',
      shareReason: false,
    });
    expect(parseReplyCommand('JO (e brendshme): drejtori është zyrtar partie')).toEqual({
      type: 'reject',
      reason: 'drejtori është zyrtar partie',
      shareReason: false,
    });
    expect(parseReplyCommand('Jo (brendshme) arsye private')).toMatchObject({
      reason: 'arsye private',
      shareReason: false,
    });
  });
  it('keeps a reason without colon internal', () => {
    expect(parseReplyCommand('NO they are a company')).toEqual({
      type: 'reject',
      reason: 'they are a company',
      shareReason: false,
    });
  });
  it('continues the reason over the rest of its paragraph, not into the signature', () => {
    const r = parseReplyCommand('REJECT: first line\nsecond line\n\nBest,\nAna\n-- \nAna Koordinatore\nTirana');
    expect(r).toEqual({ type: 'reject', reason: 'first line\nsecond line', shareReason: true });
  });
});

describe('unclear replies', () => {
  it('calls both approve and reject words unclear', () => {
    expect(parseReplyCommand('PO JO').type).toBe('unclear');
    expect(parseReplyCommand('OK, no').type).toBe('unclear');
    expect(parseReplyCommand('No, yes').type).toBe('unclear');
  });
  it('calls an unknown word unclear', () => {
    const r = parseReplyCommand('Maybe later' + QUOTE);
    expect(r.type).toBe('unclear');
  });
  it('calls an empty reply unclear', () => {
    expect(parseReplyCommand(QUOTE).type).toBe('unclear');
    expect(parseReplyCommand('').type).toBe('unclear');
  });
  it('does not take a decision word from the quoted approval request', () => {
    expect(parseReplyCommand('Let me think about it.\n> PO').type).toBe('unclear');
  });
  it('wants a question after INFO', () => {
    expect(parseReplyCommand('INFO').type).toBe('unclear');
  });
});

describe('information requests, undo and corrections', () => {
  it('reads INFO and PYET with the question to the end of the new text', () => {
    expect(parseReplyCommand('INFO: Which city are you based in?\nAnd your website?' + QUOTE)).toEqual({
      type: 'info',
      question: 'Which city are you based in?\nAnd your website?',
    });
    expect(parseReplyCommand('Pyet: Në cilin qytet veproni?')).toEqual({
      type: 'info',
      question: 'Në cilin qytet veproni?',
    });
    expect(parseReplyCommand('pyet ku e keni zyrën?')).toEqual({ type: 'info', question: 'ku e keni zyrën?' });
  });
  it('reads UNDO and ANULO', () => {
    expect(parseReplyCommand('UNDO').type).toBe('undo');
    expect(parseReplyCommand('Anulo!' + QUOTE).type).toBe('undo');
  });
  it('reads corrections alone', () => {
    expect(parseReplyCommand('Emri: Qendra Rinore Shkodër\nQyteti: Shkodër')).toEqual({
      type: 'correct',
      corrections: { name: 'Qendra Rinore Shkodër', city: 'Shkodër' },
    });
    expect(parseReplyCommand('Name: Partners Albania\nAcronym: PA\nWebsite: https://partners.example.net')).toEqual({
      type: 'correct',
      corrections: { name: 'Partners Albania', acronym: 'PA', website: 'https://partners.example.net' },
    });
  });
  it('reads corrections together with an approval', () => {
    expect(parseReplyCommand('Emri: Partners Albania\nPO')).toEqual({
      type: 'approve',
      corrections: { name: 'Partners Albania' },
    });
    expect(parseReplyCommand('PO\nAkronimi: PA')).toEqual({ type: 'approve', corrections: { acronym: 'PA' } });
  });
});

describe('cutting quoted text', () => {
  it('cuts Gmail attribution wrapped over two lines', () => {
    expect(newText('PO\n\nOn Mon, 30 Nov 2026 at 10:00, Koalicioni <\ninfo@example.org> wrote:\n> JO')).toBe('PO');
  });
  it('cuts the Albanian Gmail attribution', () => {
    expect(newText('Po\n\nMë 30 nën 2026, në 10:00, Koalicioni <info@example.org> shkroi:\n> x')).toBe('Po');
    expect(newText('Po\n\nNë hën, 30 nën 2026 në 10:00 Koalicioni <info@example.org> shkroi:\nJO')).toBe('Po');
  });
  it('cuts an Outlook header block', () => {
    const t =
      'JO\n\n________________________________\nFrom: Koalicioni <info@example.org>\nSent: Monday\nTo: Ana\nSubject: PO\n\nPO';
    expect(newText(t)).toBe('JO');
    expect(newText('JO\nFrom: Koalicioni <info@example.org>\nSent: Monday, 30 November 2026 10:00\nPO')).toBe('JO');
    expect(newText('JO\nNga: Koalicioni\nDërguar: e hënë\nPO')).toBe('JO');
  });
  it('cuts "-----Original Message-----"', () => {
    expect(newText('OK\n-----Original Message-----\nNO')).toBe('OK');
  });
  it('cuts phone footers and signatures', () => {
    expect(newText('Po\n\nSent from my iPhone\n\n> JO')).toBe('Po');
    expect(newText('Po\n\nDërguar nga Samsung Galaxy\n> JO')).toBe('Po');
    expect(newText('Po\n-- \nAna\nJO')).toBe('Po');
    expect(
      parseReplyCommand(
        'Po\n\nSent from my iPhone\n\nOn 30 Nov 2026, at 10:00, Koalicioni <info@example.org> wrote:\n\n> JO',
      ).type,
    ).toBe('approve');
  });
  it('drops quoted lines of an inline reply', () => {
    expect(parseReplyCommand('> Approve or reject?\nREJECT: duplicate\n> thanks').type).toBe('reject');
  });
  it('handles CRLF line ends', () => {
    expect(parseReplyCommand('Miratoj\r\n\r\nOn Mon, Ana <a@example.org> wrote:\r\n> x')).toEqual({
      type: 'approve',
      corrections: {},
    });
  });
});

describe("an organisation's answer", () => {
  it('gives field lines and a bare web address', () => {
    expect(readFieldLines('Our website is https://civiclab.example.net.\n\nGenta\n> Website: old')).toEqual({
      website: 'https://civiclab.example.net',
    });
    expect(readFieldLines('Qyteti: Korçë\nFaqja: www.example.org')).toEqual({
      city: 'Korçë',
      website: 'www.example.org',
    });
  });
});

describe('a "no" that does not reject', () => {
  it('does not read "No objections, approve" or "No problem, OK" as a rejection', () => {
    for (const text of ['No objections, approve.', 'No problem, OK from me', 'Jo, s’kam kundërshtim: PO']) {
      expect(parseReplyCommand(text).type).not.toBe('reject');
    }
  });
  it('does not read "No objection" or "S\'kam kundërshtim" as a rejection', () => {
    for (const text of ['No objection.', 'No objections from my side', 'Jo kundërshtim']) {
      expect(parseReplyCommand(text).type).toBe('unclear');
    }
  });
  it('still reads a plain "No, they do not qualify" as an internal rejection', () => {
    expect(parseReplyCommand('No, they do not qualify')).toEqual({
      type: 'reject',
      reason: 'they do not qualify',
      shareReason: false,
    });
  });
});

describe('opening a possible request', () => {
  for (const word of ['JOIN', 'join', 'Join.', '*JOIN*']) {
    it(`reads "${word}" as opening it, never as an approval`, () => {
      expect(parseReplyCommand(`${word}${QUOTE}`)).toEqual({ type: 'open', corrections: {} });
    });
  }
  it('reads corrections together with JOIN', () => {
    expect(parseReplyCommand('JOIN\nEmri: Qendra për Transparencë Qytetare\nQyteti: Shkodër')).toEqual({
      type: 'open',
      corrections: { name: 'Qendra për Transparencë Qytetare', city: 'Shkodër' },
    });
  });
  it('calls JOIN together with a rejection word unclear', () => {
    expect(parseReplyCommand('JOIN? No').type).toBe('unclear');
    expect(parseReplyCommand('NO JOIN').type).toBe('unclear');
  });
});
