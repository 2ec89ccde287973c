import { compile } from 'html-to-text';

/**
 * HTML -> the text a reader sees: no link targets (a website is what the sender
 * wrote, not the href), no images, headings in their own case, no wrapping (line
 * structure carries meaning for signatures), table cells on one line separated
 * by spaces so a two-column signature reads "Tel: +355 ...".
 */
const convert = compile({
  wordwrap: false,
  preserveNewlines: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'head', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, colSpacing: 2, maxColumnWidth: 200 } },
    { selector: 'hr', format: 'skip' },
  ],
  limits: { maxInputLength: 2_000_000 },
});

export function htmlToPlainText(html: string): string {
  try {
    return convert(html)
      .split('\n')
      .map((l) => l.replace(/[ \t\u00a0]+$/g, ''))
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  } catch {
    return '';
  }
}
