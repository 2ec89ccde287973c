import { deflateSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { MimeError, parseRaw, readRaw } from '../../../src/adapters/mime/index.ts';
import { htmlShape } from '../../../src/adapters/mime/html.ts';
import { bombDocx, deepHtml, deepHtmlMail, docxSetMail, poisonPdfMail } from '../../harness/hostile-mail.ts';
import { docx, message } from './builders.ts';

/**
 * Issue 12: what one message may cost the reader, all its parts together.
 * Hostile input is generated as the issue found it; the soft budgets are
 * shown on ordinary text that is merely too much.
 */

let seed = 7;
/** Letters and spaces that deflate about 2:1, like real prose (no bomb). */
function prose(bytes: number): string {
  const words: string[] = [];
  let n = 0;
  while (n < bytes) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const len = 2 + (seed % 9);
    let w = '';
    for (let i = 0; i < len; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      w += String.fromCharCode(0x61 + (seed % 26));
    }
    words.push(w);
    n += len + 1;
  }
  return words.join(' ');
}

/** A PDF with one FlateDecode content stream per entry of `texts`. */
function pdfOfStreams(texts: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  texts.forEach((t, i) => {
    const stream = deflateSync(Buffer.from(`BT\n/F1 11 Tf\n(${t}) Tj\nET\n`, 'latin1'));
    parts.push(Buffer.from(`${i + 1} 0 obj << /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream\nendobj\n', 'latin1'));
  });
  parts.push(Buffer.from('trailer << >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

const attachmentTexts = (m: { attachments: { text: string | null }[] }): number => m.attachments.reduce((a, x) => a + (x.text?.length ?? 0), 0);

describe('hostile mail is refused with MIME_HOSTILE', () => {
  it('refuses the poison PDF of issue 12 (40 streams of 13 KB inflating to 4 MB each) as a decompression bomb', async () => {
    const err = await parseRaw(poisonPdfMail()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MimeError);
    expect(err).toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/^hostile message: decompression bombs: 3 streams like this one: a \d+-byte stream inflates to \d+ bytes/) });
  });

  it('refuses the PDF with 5 such streams', async () => {
    await expect(parseRaw(poisonPdfMail({ streams: 5 }))).rejects.toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/decompression bombs/) });
  });

  it('refuses three DOCX letters whose few kilobytes inflate to 4 MB of text each', async () => {
    const bomb = { filename: 'letter.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: bombDocx() };
    await expect(parseRaw(message({ text: 'Our letters are attached.', attachments: [bomb, bomb, bomb] }))).rejects.toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/decompression bombs/) });
  });

  it('refuses 998 DOCX parts of 4 MB of text each for their number of parts', async () => {
    await expect(parseRaw(docxSetMail())).rejects.toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/998 parts, more than 500/) });
  });

  it('refuses an HTML body of 200,000 nested <div>', async () => {
    await expect(parseRaw(deepHtmlMail())).rejects.toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/HTML nested more than 1000/) });
  });

  it('refuses the same nesting in an HTML attachment (three such parts)', async () => {
    await expect(parseRaw(deepHtmlMail({ parts: 3 }))).rejects.toMatchObject({ code: 'MIME_HOSTILE' });
  });

  it('refuses a bomb inside an attached message', async () => {
    const inner = poisonPdfMail({ streams: 3 });
    const raw = message({ text: 'Forwarding the request below.', attachments: [{ contentType: 'message/rfc822', content: inner }] });
    await expect(parseRaw(raw)).rejects.toMatchObject({ code: 'MIME_HOSTILE' });
  });
});

describe('past a budget the reader keeps what it has and notes it', () => {
  it('reads a message with one decompression bomb, without the bomb', async () => {
    const raw = message({ text: 'Our letter is attached.', attachments: [{ filename: 'letter.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: bombDocx() }] });
    const { mail, notes } = await readRaw(raw);
    expect(mail.text).toBe('Our letter is attached.');
    expect(mail.attachments[0]?.text ?? null).toBeNull();
    expect(notes).toEqual([{ budget: 'bomb', message: expect.stringMatching(/^not read, a decompression bomb: a \d+-byte stream inflates to \d+ bytes/) }]);
  });

  it('reads the text of a scanned letter without inflating its page image, however well the blank page compresses', async () => {
    // 2480×3508 grey pixels (A4 at 300 dpi), nearly all white: 8.7 MB that deflate about 800:1.
    const page = deflateSync(Buffer.alloc(2480 * 3508, 0xff));
    const text = deflateSync(Buffer.from('BT\n/F1 11 Tf\n(Kerkese per anetaresim) Tj\nET\n', 'latin1'));
    const pdf = Buffer.concat([
      Buffer.from(`%PDF-1.4\n1 0 obj << /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 2480 >> /Length ${page.length} >>\nstream\n`, 'latin1'),
      page,
      Buffer.from(`\nendstream\nendobj\n2 0 obj << /Length ${text.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'),
      text,
      Buffer.from('\nendstream\nendobj\ntrailer << >>\n%%EOF\n', 'latin1'),
    ]);
    const attachment = { filename: 'scan.pdf', contentType: 'application/pdf', content: pdf };
    const { mail, notes } = await readRaw(message({ text: 'Scans attached.', attachments: [attachment, attachment, attachment] }));
    expect(mail.attachments.map((a) => a.text)).toEqual(['Kerkese per anetaresim', 'Kerkese per anetaresim', 'Kerkese per anetaresim']);
    expect(notes).toEqual([]);
  });

  it('keeps at most 1 MiB of text from the body and all attachments together, the body first', async () => {
    const body = prose(300_000);
    const raw = message({
      text: body,
      attachments: [1, 2, 3].map((i) => ({ filename: `annex-${i}.txt`, contentType: 'text/plain', content: prose(600_000) })),
    });
    const { mail, notes } = await readRaw(raw);
    expect(mail.text.length).toBeGreaterThanOrEqual(body.length - 10);
    expect(mail.text.length + attachmentTexts(mail)).toBeLessThanOrEqual(1024 * 1024);
    expect(mail.attachments[0]?.text?.length).toBe(600_000);
    expect(mail.attachments[2]?.text ?? null).toBeNull();
    expect(notes).toContainEqual({ budget: 'text', message: 'text cut at 1048576 bytes' });
  });

  it('cuts the text of many DOCX letters that are not bombs at the same budget', async () => {
    const letter = docx(Array.from({ length: 40 }, () => prose(2_000)));
    const raw = message({ text: 'Letters attached.', attachments: Array.from({ length: 30 }, (_, i) => ({ filename: `l${i}.docx`, contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: letter })) });
    const { mail, notes } = await readRaw(raw);
    expect(mail.attachments).toHaveLength(30);
    expect(mail.text.length + attachmentTexts(mail)).toBeLessThanOrEqual(1024 * 1024);
    expect(mail.attachments[0]?.text?.length).toBeGreaterThan(70_000);
    expect(mail.attachments[29]?.text ?? null).toBeNull();
    expect(notes.map((n) => n.budget)).toContain('text');
  });

  it('reads the text of the first 100 attachments and lists the rest without it', async () => {
    const raw = message({ text: 'Annexes.', attachments: Array.from({ length: 150 }, (_, i) => ({ filename: `a${i}.txt`, contentType: 'text/plain', content: `annex number ${i}` })) });
    const { mail, notes } = await readRaw(raw);
    expect(mail.attachments).toHaveLength(150);
    expect(mail.attachments[99]?.text).toBe('annex number 99');
    expect(mail.attachments[100]?.text ?? null).toBeNull();
    expect(mail.attachments[149]?.filename).toBe('a149.txt');
    expect(notes).toContainEqual({ budget: 'parts', message: 'only the first 100 attachments were read' });
  });

  it('reads the first 1,000 streams of a PDF and no more', async () => {
    const pdf = pdfOfStreams(Array.from({ length: 1200 }, (_, i) => `Page ${i + 1} Shkoder`));
    const { mail, notes } = await readRaw(message({ text: 'Letter attached.', attachments: [{ filename: 'long.pdf', contentType: 'application/pdf', content: pdf }] }));
    const text = mail.attachments[0]?.text ?? '';
    expect(text).toContain('Page 1000 Shkoder');
    expect(text).not.toContain('Page 1001 ');
    expect(notes).toContainEqual({ budget: 'pdf-streams', message: 'only the first 1000 PDF streams were read' });
  });

  it('stops inflating once the message has inflated its budget', async () => {
    const pdf = pdfOfStreams(Array.from({ length: 8 }, (_, i) => `Stream${i} ${prose(200_000)}`));
    const { mail, notes } = await readRaw(message({ text: 'Letter.', attachments: [{ filename: 'big.pdf', contentType: 'application/pdf', content: pdf }] }), { maxInflatedBytes: 500_000 });
    const text = mail.attachments[0]?.text ?? '';
    expect(text).toContain('Stream1 ');
    expect(text).not.toContain('Stream3 ');
    expect(notes).toContainEqual({ budget: 'inflated', message: 'decompression stopped at 500000 bytes' });
  });

  it('reads a table of 120,000 cells in one row as plain text instead of formatting it', async () => {
    const html = `<html><body><p>Kërkesë për anëtarësim</p><table><tr>${Array.from({ length: 120_000 }, (_, i) => `<td>c${i}</td>`).join('')}</tr></table></body></html>`;
    const { mail, notes } = await readRaw(message({ html }));
    expect(mail.text).toContain('Kërkesë për anëtarësim');
    expect(mail.text).toContain('c119999');
    expect(notes).toContainEqual({ budget: 'html', message: 'HTML with more than 5000 table cells was read as plain text' });
  });

  it('converts no more HTML once the message has converted its HTML budget', async () => {
    const page = `<p>${prose(6_000)}</p>`;
    const raw = message({ html: `<p>First page</p>${page}`, attachments: [{ filename: 'second.html', contentType: 'text/html', content: `<p>Second page</p>${page}` }] });
    const { mail, notes } = await readRaw(raw, { maxHtmlBytes: 10_000 });
    expect(mail.text).toContain('First page');
    expect(mail.attachments[0]?.text ?? '').not.toContain('Second page');
    expect(notes).toContainEqual({ budget: 'html', message: 'HTML past 10000 characters was not converted' });
  });

  it('reads an ordinary letter with no notes', async () => {
    const { mail, notes } = await readRaw(message({ text: 'Dëshirojmë të anëtarësohemi.', html: '<div><p>Dëshirojmë të <b>anëtarësohemi</b>.</p></div>' }));
    expect(mail.text).toContain('anëtarësohemi');
    expect(notes).toEqual([]);
  });
});

describe('the HTML depth check', () => {
  /** The depth htmlparser2 itself builds (the parser html-to-text uses). */
  function parserDepth(html: string): number {
    let d = 0;
    let max = 0;
    const p = new Parser({
      onopentag() {
        d++;
        if (d > max) max = d;
      },
      onclosetag() {
        d--;
      },
    });
    p.end(html);
    return max;
  }

  const samples: Record<string, string> = {
    'unclosed paragraphs': '<body><div><p>one<p>two<p>three</div><p>four',
    'unclosed list items and cells': '<ul><li>a<li>b<ul><li>c<li>d</ul><li>e</ul><table><tr><td>1<td>2<tr><td>3</table>',
    'void and self-closing tags': '<div><br><img src="x"><hr/><span/><b>x</b><input><div/></div>',
    'svg with self-closing children': '<div><svg><path d="M0"/><g><rect/></g></svg><span>x</span></div>',
    'tags inside script, style and comments': '<div><script>if (a<b) document.write("<div><div><div>")</script><style>p>a{}</style><!-- <div><div> --><p>x</p></div>',
    'closing tags that close nothing': '<div></span></b><p>x</p></i></div></div></div>',
    'Outlook reply chain': '<html><head><meta charset="utf-8"><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1>' + '<div style="border:none"><blockquote><p class=MsoNormal>On Monday wrote:<o:p></o:p></p>'.repeat(40) + '</blockquote></div>'.repeat(40) + '</div></body></html>',
    'upper case tags': '<DIV><P>x<TABLE><TR><TD>y</TD></TR></TABLE></DIV>',
  };
  for (const [name, html] of Object.entries(samples)) {
    it(`finds the depth the parser builds: ${name}`, () => {
      expect(htmlShape(html).depth).toBe(parserDepth(html));
    });
  }

  it('finds 200,000 nested <div> at once, without reading past the limit', () => {
    expect(htmlShape(deepHtml(200_000), 1000).depth).toBe(1001);
  });

  it('reads a reply chain nested 300 deep, as mail clients write them', async () => {
    const html = `${'<blockquote><div>'.repeat(150)}Ne dëshirojmë të anëtarësohemi.${'</div></blockquote>'.repeat(150)}`;
    const mail = await parseRaw(message({ html }));
    expect(mail.text).toContain('Ne dëshirojmë të anëtarësohemi.');
  });
});
