/**
 * Albanian or English, by function words and Albanian letters (ë, ç). The
 * language that comes first wins, so a bilingual auto-reply written "Albanian
 * first" is Albanian; a paragraph decides only when it says enough.
 */

const SQ = new Set(
  (
    'dhe të te në ne për per që qe është eshte jemi janë jane ju juaj jonë jone tonë tone tona nga një nje se ' +
    'kjo ky këtë kete këtij ketij mund nuk si por edhe më me ka kemi kanë kane do duhet faleminderit përshëndetje pershendetje ' +
    'respekt lutem lutemi nderuar nderuara kërkesë kerkese organizata organizatës organizates shoqata koalicionin ' +
    'deklaratën deklaraten përbashkët perbashket tuaj sa pas deri kur cili cila cilat ishte u së ose çdo cdo ' +
    'dëshiron deshiron dëshirojmë deshirojme bashkohet bashkohemi gjithë gjithe tim tij saj tyre mirë mire ' +
    'duam dua nënshkruajmë nenshkruajme anëtarësohemi anetaresohemi anëtarësim anetaresim koalicioni koalicionit ' +
    'deklarata mirëdita miredita tungjatjeta ta ti t\'u t\'i'
  ).split(/\s+/),
);
const EN = new Set(
  (
    'the and to of in for we our is are be with on this that you your would please thank thanks regards dear am will ' +
    'from as at by it an have has not can could should us they their which who what when if or was were been ' +
    'hello hi like want best kind sincerely organisation organization coalition statement join sign request my me'
  ).split(/\s+/),
);

export interface LanguageGuess {
  language: 'sq' | 'en' | null;
  confidence: number;
}

function score(text: string): { sq: number; en: number } {
  let sq = 0;
  let en = 0;
  const lower = text.toLowerCase();
  for (const w of lower.match(/[\p{L}']+/gu) ?? []) {
    const word = w.replace(/^'+|'+$/g, '');
    if (SQ.has(word)) sq++;
    if (EN.has(word)) en++;
    if (/[ëç]/.test(word)) sq += 0.5;
  }
  return { sq, en };
}

export function detectLanguage(text: string): LanguageGuess {
  const paragraphs = text.split(/\n\s*\n/);
  let totalSq = 0;
  let totalEn = 0;
  for (const p of paragraphs) {
    const { sq, en } = score(p);
    totalSq += sq;
    totalEn += en;
    if (sq + en >= 4 && Math.abs(sq - en) >= 3) {
      const language = sq > en ? 'sq' : 'en';
      return { language, confidence: Math.min(0.99, 0.6 + Math.abs(sq - en) / (sq + en) / 2.5) };
    }
  }
  if (totalSq + totalEn === 0) return { language: null, confidence: text.trim() === '' ? 1 : 0.3 };
  if (totalSq === totalEn) return { language: null, confidence: 0.3 };
  const language = totalSq > totalEn ? 'sq' : 'en';
  return { language, confidence: Math.min(0.9, 0.5 + Math.abs(totalSq - totalEn) / (totalSq + totalEn) / 2.5) };
}
