import { inflateRawSync, inflateSync } from 'node:zlib';
import { MimeError } from './errors.ts';

/**
 * How much reading one message may cost, all its parts and attachments (and
 * the messages attached to it) together. A letter to the coalition is a few
 * kilobytes of text; these leave a wide margin for real mail and stop mail
 * built to exhaust the reader (issue 12: 750 KB on the wire, 4.3 GB once read).
 *
 * Past a budget the reader stops extracting, keeps what it has and notes it;
 * a stream that inflates hundreds of times its size is not read. What no mail
 * client produces (several such streams, hundreds of parts, HTML nested
 * thousands deep) is refused with MimeError MIME_HOSTILE.
 */
export interface ReadLimits {
  /** UTF-8 bytes of text kept from the body and every attachment together. */
  maxTextBytes: number;
  /** Attachments whose text is extracted; later ones are listed without text. */
  maxPartsRead: number;
  /** More parts than this (attachments, nested messages' ones included) is hostile. */
  maxParts: number;
  /** PDF streams looked at per message; later ones are not read. */
  maxPdfStreams: number;
  /** Bytes inflated (PDF streams, DOCX entries) per message; later streams are not read. */
  maxInflatedBytes: number;
  /** Bytes one stream or zip entry may inflate to; a larger one is not read. */
  maxInflatedPerStream: number;
  /** A stream inflating to more than `bombMinBytes` at more than this ratio is a decompression bomb: it is not read. */
  bombRatio: number;
  bombMinBytes: number;
  /** This many decompression bombs in one message make it hostile. */
  maxBombs: number;
  /** HTML characters converted to text per message; later HTML is not converted. */
  maxHtmlBytes: number;
  /** Element nesting deeper than this is hostile (parsers recurse, and htmlparser2 slows down quadratically). */
  maxHtmlDepth: number;
  /** HTML with more table cells than this is read by the plain linear reader (html-to-text's tables are quadratic). */
  maxHtmlCells: number;
}

export const DEFAULT_LIMITS: ReadLimits = Object.freeze({
  maxTextBytes: 1024 * 1024,
  maxPartsRead: 100,
  maxParts: 500,
  maxPdfStreams: 1000,
  maxInflatedBytes: 32 * 1024 * 1024,
  maxInflatedPerStream: 4 * 1024 * 1024,
  bombRatio: 100,
  bombMinBytes: 1024 * 1024,
  maxBombs: 3,
  maxHtmlBytes: 4 * 1000 * 1000,
  maxHtmlDepth: 1000,
  maxHtmlCells: 5000,
});

export type BudgetName = 'text' | 'parts' | 'pdf-streams' | 'inflated' | 'bomb' | 'html';

/** A budget the reader ran out of while reading one message. */
export interface ReadNote {
  budget: BudgetName;
  message: string;
}

/** The running account of one message's reading. */
export class ReadBudget {
  readonly limits: ReadLimits;
  readonly notes: ReadNote[] = [];
  private textBytes = 0;
  private partsRead = 0;
  private parts = 0;
  private pdfStreams = 0;
  private inflated = 0;
  private htmlBytes = 0;
  private bombs = 0;

  constructor(limits: Partial<ReadLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Notes a budget once: the first time it runs out is what an operator needs to see. */
  note(budget: BudgetName, message: string): void {
    if (!this.notes.some((n) => n.budget === budget)) this.notes.push({ budget, message });
  }

  hostile(message: string): never {
    throw new MimeError(`hostile message: ${message}`, { code: 'MIME_HOSTILE' });
  }

  /** Counts the parts of one (possibly nested) message; throws past maxParts. */
  countParts(n: number): void {
    this.parts += n;
    if (this.parts > this.limits.maxParts) this.hostile(`${this.parts} parts, more than ${this.limits.maxParts}`);
  }

  /** Whether the next attachment's content may be read. */
  readPart(): boolean {
    if (this.partsRead >= this.limits.maxPartsRead) {
      this.note('parts', `only the first ${this.limits.maxPartsRead} attachments were read`);
      return false;
    }
    this.partsRead++;
    return true;
  }

  get textLeft(): number {
    return Math.max(0, this.limits.maxTextBytes - this.textBytes);
  }

  /** The part of `s` that fits in the text budget ('' once it is spent). */
  takeText(s: string): string {
    if (s === '') return s;
    const left = this.textLeft;
    const bytes = Buffer.byteLength(s, 'utf8');
    if (bytes <= left) {
      this.textBytes += bytes;
      return s;
    }
    this.note('text', `text cut at ${this.limits.maxTextBytes} bytes`);
    this.textBytes = this.limits.maxTextBytes;
    if (left === 0) return '';
    // `left` bytes hold at most `left` characters; cut on a character boundary (drop a code point the cut split).
    return Buffer.from(s.slice(0, left), 'utf8').toString('utf8', 0, left).replace(/\uFFFD$/, '');
  }

  /** Whether the next PDF stream may be read. */
  readPdfStream(): boolean {
    if (this.pdfStreams >= this.limits.maxPdfStreams) {
      this.note('pdf-streams', `only the first ${this.limits.maxPdfStreams} PDF streams were read`);
      return false;
    }
    this.pdfStreams++;
    return true;
  }

  /**
   * Inflates a zlib (PDF /FlateDecode) or raw deflate (zip) stream within the
   * budget: null when the budget is spent or the stream is too large, broken or
   * a decompression bomb; throws MIME_HOSTILE at the maxBombs-th bomb.
   */
  inflate(data: Buffer, format: 'zlib' | 'raw'): Buffer | null {
    const { maxInflatedBytes, maxInflatedPerStream, bombRatio, bombMinBytes } = this.limits;
    const left = maxInflatedBytes - this.inflated;
    if (left <= 0) {
      this.note('inflated', `decompression stopped at ${maxInflatedBytes} bytes`);
      return null;
    }
    const max = Math.min(maxInflatedPerStream, left);
    let out: Buffer;
    try {
      out = format === 'zlib' ? inflateSync(data, { maxOutputLength: max }) : inflateRawSync(data, { maxOutputLength: max });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return null;
      // It inflates to more than `max`: a bomb when even that is past the ratio.
      this.inflated += max;
      if (max >= bombMinBytes && max > bombRatio * data.length) return this.bombed(data.length, max, true);
      if (max < maxInflatedPerStream) this.note('inflated', `decompression stopped at ${maxInflatedBytes} bytes`);
      return null;
    }
    this.inflated += out.length;
    if (out.length >= bombMinBytes && out.length > bombRatio * data.length) return this.bombed(data.length, out.length, false);
    return out;
  }

  /** A bomb is not read; the maxBombs-th in one message shows what the message is for. */
  private bombed(compressed: number, inflated: number, more: boolean): null {
    const ratio = Math.round(inflated / Math.max(1, compressed));
    const what = `a ${compressed}-byte stream inflates to ${more ? 'more than ' : ''}${inflated} bytes (${ratio}:1)`;
    this.bombs++;
    if (this.bombs >= this.limits.maxBombs) this.hostile(`decompression bombs: ${this.bombs} streams like this one: ${what}`);
    this.note('bomb', `not read, a decompression bomb: ${what}`);
    return null;
  }

  /** Whether an HTML document of `length` characters may still be converted. */
  readHtml(length: number): boolean {
    if (this.htmlBytes + length > this.limits.maxHtmlBytes) {
      this.note('html', `HTML past ${this.limits.maxHtmlBytes} characters was not converted`);
      return false;
    }
    this.htmlBytes += length;
    return true;
  }
}
