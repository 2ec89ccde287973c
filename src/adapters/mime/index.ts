export { parseRaw } from './parse-raw.ts';
export { MimeError, type MimeErrorCode } from './errors.ts';
export { htmlToPlainText } from './html.ts';
export { attachmentText, docxText, pdfText } from './attachment-text.ts';
