import { fold } from './text.ts';

/**
 * Albanian towns (and the larger Albanian-speaking towns of Kosovo and North
 * Macedonia), written in the indefinite nominative. Definite and declined
 * forms are generated: Tiranë/Tirana/Tiranës, Shkodër/Shkodra/Shkodrës,
 * Durrës/Durrësi/Durrësit, Berat/Berati/Beratit. Town names that are also
 * common words (Has, Mat) are left out on purpose.
 */
const TOWNS = [
  'Tiranë', 'Durrës', 'Shkodër', 'Korçë', 'Vlorë', 'Elbasan', 'Fier', 'Berat', 'Gjirokastër', 'Kukës', 'Lezhë',
  'Sarandë', 'Pogradec', 'Kavajë', 'Lushnjë', 'Peshkopi', 'Dibër', 'Krujë', 'Kuçovë', 'Përmet', 'Tepelenë', 'Gramsh',
  'Librazhd', 'Burrel', 'Laç', 'Fushë-Krujë', 'Shijak', 'Vorë', 'Kamëz', 'Patos', 'Ballsh', 'Delvinë', 'Himarë',
  'Konispol', 'Bulqizë', 'Pukë', 'Tropojë', 'Bajram Curri', 'Koplik', 'Mirditë', 'Rrëshen', 'Rubik', 'Ersekë',
  'Bilisht', 'Maliq', 'Divjakë', 'Rrogozhinë', 'Cërrik', 'Belsh', 'Peqin', 'Prrenjas', 'Selenicë', 'Orikum',
  'Memaliaj', 'Këlcyrë', 'Çorovodë', 'Poliçan', 'Roskovec', 'Mamurras', 'Krumë', 'Shëngjin', 'Manëz', 'Sukth',
  'Prishtinë', 'Prizren', 'Pejë', 'Gjakovë', 'Mitrovicë', 'Ferizaj', 'Gjilan', 'Tetovë', 'Shkup', 'Strugë', 'Gostivar',
  'Ulqin', 'Fushë-Arrëz', 'Libohovë', 'Leskovik', 'Finiq', 'Klos', 'Ura Vajgurore', 'Podujevë', 'Vushtrri', 'Suharekë',
  'Rahovec', 'Drenas', 'Malishevë', 'Kamenicë', 'Deçan', 'Istog', 'Klinë', 'Lipjan', 'Kaçanik', 'Dragash', 'Skenderaj',
  'Fushë Kosovë', 'Kërçovë', 'Kumanovë', 'Ohër', 'Tuz', 'Plavë',
];

/** English exonyms people use in English mail. */
const EXONYMS: Record<string, string> = {
  tirana: 'Tiranë',
  durazzo: 'Durrës',
  scutari: 'Shkodër',
  skopje: 'Shkup',
  pristina: 'Prishtinë',
  tetovo: 'Tetovë',
  ohrid: 'Ohër',
  kumanovo: 'Kumanovë',
  debar: 'Dibër',
  kicevo: 'Kërçovë',
  ulcinj: 'Ulqin',
  gjakova: 'Gjakovë',
  peja: 'Pejë',
};

export interface TownForm {
  town: string;
  /** Nominative (indefinite or definite) forms are how a sender names a town; the others are declined. */
  nominative: boolean;
}

const FORMS = new Map<string, TownForm>();

function add(form: string, town: string, nominative: boolean): void {
  const key = fold(form);
  if (!FORMS.has(key) || nominative) FORMS.set(key, { town, nominative });
}

for (const town of TOWNS) {
  add(town, town, true);
  if (/ër$/.test(town)) {
    // Shkodër -> Shkodra, Shkodrës, Shkodrën
    const stem = town.slice(0, -2);
    add(`${stem}ra`, town, true);
    for (const s of ['rës', 'rën', 'rave']) add(stem + s, town, false);
  } else if (/ë$/.test(town)) {
    // Tiranë -> Tirana, Tiranës, Tiranën
    const stem = town.slice(0, -1);
    add(`${stem}a`, town, true);
    for (const s of ['ës', 'ën']) add(stem + s, town, false);
  } else if (/i$/.test(town)) {
    // Peshkopi -> Peshkopia, Peshkopisë
    add(`${town}a`, town, true);
    add(`${town}së`, town, false);
  } else if (!town.includes(' ')) {
    // Elbasan -> Elbasani, Elbasanit, Elbasanin
    add(`${town}i`, town, true);
    for (const s of ['it', 'in']) add(town + s, town, false);
  }
}
for (const [form, town] of Object.entries(EXONYMS)) add(form, town, true);

const MAX_WORDS = 2;

/** The town a word (or two words, "Bajram Curri") names, folded lookup. */
export function townForm(word: string): TownForm | null {
  return FORMS.get(fold(word)) ?? null;
}

export interface TownHit {
  /** As written by the sender. */
  written: string;
  town: string;
  nominative: boolean;
  index: number;
}

const STREET_BEFORE = /(?:\brrug[ae]|\brr\.?|\bbulevardi|\bblv\.?|\blagj(?:j)?a|\bsheshi|\bstreet|\bstr\.|\brruga e|\bqarku|\bbashkia|\bprefektura|\buniversiteti|\bport(?:i)?)\s*(?:e\s+|i\s+|"|“)?$/i;

/** Every town named in the text, left to right, skipping street names ("Rruga e Durrësit"). */
export function findTowns(text: string): TownHit[] {
  const hits: TownHit[] = [];
  const re = /\p{Lu}[\p{L}-]+(?:\s+\p{Lu}[\p{L}]+)?/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const parts = m[0].split(/\s+/).slice(0, MAX_WORDS);
    let written = parts.join(' ');
    let form = townForm(written);
    if (!form && parts.length > 1) {
      written = parts[0]!;
      form = townForm(written);
    }
    if (!form) {
      // Continue scanning from the next word (the second capital may start a town).
      if (parts.length > 1) re.lastIndex = m.index + parts[0]!.length;
      continue;
    }
    re.lastIndex = m.index + written.length;
    const before = text.slice(Math.max(0, m.index - 20), m.index);
    if (STREET_BEFORE.test(before)) continue;
    hits.push({ written, town: form.town, nominative: form.nominative, index: m.index });
  }
  return hits;
}
