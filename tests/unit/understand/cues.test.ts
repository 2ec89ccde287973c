import { describe, expect, it } from 'vitest';
import { EN } from '../../../src/domain/understand/cues/en.ts';
import { SQ } from '../../../src/domain/understand/cues/sq.ts';
import type { Cue, LanguageCues } from '../../../src/domain/understand/cues/types.ts';
import { maskNames, sentenceScores } from '../../../src/domain/understand/intent.ts';
import { fold } from '../../../src/domain/understand/text.ts';

/**
 * Every cue of the reader, in the words of its own example: the cue matches its example, and the
 * example is read the way the cue's role says. A cue that stops doing its job, or an edit to
 * another cue that swallows it, fails here by name.
 */

type Expectation = (s: { join: number; withdrawal: number }) => void;

const clearJoin: Expectation = (s) => expect(s.join).toBeGreaterThanOrEqual(2);
const noJoin: Expectation = (s) => expect(s.join).toBe(0);
const ROLES: Record<keyof LanguageCues, Expectation> = {
  join: clearJoin,
  joinUs: clearJoin,
  wish: clearJoin,
  object: clearJoin,
  firstPerson: clearJoin,
  readerJoins: noJoin,
  otherObject: noJoin,
  negation: noJoin,
  deliberation: noJoin,
  conditionQuestion: noJoin,
  already: noJoin,
  notRequired: noJoin,
  withdraw: (s) => expect(s.withdrawal).toBeGreaterThanOrEqual(2),
  withdrawNot: (s) => expect(s.withdrawal).toBe(0),
};

function cases(lang: string, cues: LanguageCues): [string, string, Cue][] {
  return (Object.keys(ROLES) as (keyof LanguageCues)[]).flatMap((role) => cues[role].map((c): [string, string, Cue] => [`${lang} ${role}`, c.example, c]));
}

describe.each([
  ['sq', SQ],
  ['en', EN],
] as const)('%s cues', (lang, cues) => {
  it.each(cases(lang, cues))('%s: %s', (label, example, cue) => {
    const role = label.split(' ')[1] as keyof LanguageCues;
    expect(new RegExp(cue.re).test(fold(role === 'join' || role === 'withdraw' ? maskNames(example) : example))).toBe(true);
    ROLES[role](sentenceScores(example));
  });
});

describe('every mood and tense of an Albanian wish, with and without diacritics', () => {
  it.each([
    'Dëshirojmë të bashkohemi me koalicionin.',
    'Deshirojme te bashkohemi me koalicionin.',
    'Do të donim të bashkoheshim me koalicionin dhe ta nënshkruanim deklaratën.',
    'do te donim te beheshim pjese e koalicionit',
    'Organizata do të donte të bëhej pjesë e koalicionit dhe të nënshkruante deklaratën.',
    'Shpreh dëshirën për t’u bërë anëtar i koalicionit.',
    'Interesi ynë për anëtarësim në koalicion është i madh.',
    'Shprehim gatishmërinë tonë për t’u anëtarësuar në Koalicion.',
    'Ju lutem na shtoni në listën e nënshkruesve të deklaratës.',
    'Na regjistroni si nënshkrues të deklaratës, ju lutem.',
    'Kemi vendosur të aderojmë në Deklaratën e Përbashkët.',
    'Qoftë pranuar kërkesa jonë për anëtarësim në koalicion!',
    'Na intereson me u bashku me koalicionin e OShC-ve.',
    'Duem me nënshkru deklaratën e koalicionit.',
    'Me kënaqësi do ta firmosnim deklaratën e koalicionit.',
  ])('%s', (sentence) => {
    expect(sentenceScores(sentence).join).toBeGreaterThanOrEqual(2);
  });
});

describe('English requests in many words', () => {
  it.each([
    'Count us in for the joint statement!',
    'Please add our name to the statement.',
    'We endorse the joint statement.',
    'We would be honoured to be part of the coalition.',
    'Kindly register our organisation as a signatory of the declaration.',
    'Our board has decided to sign the statement.',
    'We are eager to become members of the OGP coalition.',
  ])('%s', (sentence) => {
    expect(sentenceScores(sentence).join).toBeGreaterThanOrEqual(2);
  });
});

describe('a name is not a wish', () => {
  it('masks the capitalised words after an organisation word, and quoted names, keeping the length', () => {
    const s = 'Lëvizja Bashkohu dhe Qendra "Largohu Tani" shkruajnë.';
    const m = maskNames(s);
    expect(m).toHaveLength(s.length);
    expect(m).not.toMatch(/Bashkohu|Largohu/);
    expect(m).toMatch(/^Lëvizja q+ dhe Qendra "q+"/);
  });

  it('does not read a withdrawal into "Qendra Largohet" asking to join', () => {
    const s = sentenceScores('Qendra Largohet dëshiron të bashkohet me koalicionin.');
    expect(s.withdrawal).toBe(0);
    expect(s.join).toBeGreaterThanOrEqual(2);
  });

  it('does not read a wish into "Lëvizja Bashkohu" writing about something else', () => {
    expect(sentenceScores('Lëvizja Bashkohu organizon një takim për koalicionin e të rinjve.').join).toBe(0);
  });
});

describe('the same wish in another tense, in Gheg, and typed without diacritics', () => {
  const bare = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  const wishes = [
    'Kërkuam të anëtarësohemi në koalicion.',
    'Kemi kërkuar të bëhemi pjesë e koalicionit.',
    'Do të kërkonim të bashkoheshim me koalicionin.',
    'Shprehëm dëshirën për t’u bashkuar me koalicionin.',
    'Vendosëm të nënshkruajmë deklaratën e përbashkët.',
    'Do të aderonim me kënaqësi në deklaratë.',
    'Qendra jonë do të donte të anëtarësohej në koalicion.',
    'Do të na pëlqente të nënshkruanim deklaratën.',
    'Na kishim dashtë me u bâ pjesë e koalicionit.',
    'Duem me u anëtarësu në koalicion.',
    'Ju lutem me na regjistru si anëtarë të koalicionit.',
    'We decided to sign the joint statement.',
    'Please accept us as members of the coalition.',
    'We would like to be counted among the signatories of the statement.',
  ];
  it.each(wishes.flatMap((w) => [w, bare(w)]))('%s', (sentence) => {
    expect(sentenceScores(sentence).join).toBeGreaterThanOrEqual(2);
  });
});
