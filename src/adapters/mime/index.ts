export { parseRaw, readRaw, type ReadResult } from './parse-raw.ts';
export { parseRawIsolated, IsolatedReader, DEFAULT_ISOLATION, type IsolatedReaderOptions } from './isolated.ts';
export { MimeError, type MimeErrorCode } from './errors.ts';
export { DEFAULT_LIMITS, type ReadLimits, type ReadNote } from './budget.ts';
export { htmlToPlainText } from './html.ts';
export { attachmentText, docxText, pdfText } from './attachment-text.ts';
