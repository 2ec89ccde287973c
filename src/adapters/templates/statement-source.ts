import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseStatementDocument, SignatorySchema, type Signatory, type StatementDocument } from '../../domain/statement.ts';
import { DEFAULT_TEMPLATES_DIR, TemplateError } from './handlebars.ts';

/**
 * The coalition's own statement (templates/statement/joint-statement.txt, a
 * copy of the document it published) and its nine founding signatories
 * (founding-signatories.json, each keeping its line exactly as written).
 */
export interface StatementSource {
  document: StatementDocument;
  founding: Signatory[];
}

export function loadStatementSource(dir = DEFAULT_TEMPLATES_DIR): StatementSource {
  const base = join(dir, 'statement');
  const document = parseStatementDocument(readFileSync(join(base, 'joint-statement.txt'), 'utf8'));
  const founding = z.array(SignatorySchema).parse(JSON.parse(readFileSync(join(base, 'founding-signatories.json'), 'utf8')));
  const lines = founding.map((s) => s.line);
  const problems = document.foundingLines
    .map((l, i) => (lines[i] === l ? null : `founding signatory ${i + 1} is "${lines[i] ?? '(missing)'}" but the statement says "${l}"`))
    .filter((p): p is string => p !== null);
  if (founding.length !== document.foundingLines.length) {
    problems.push(`founding-signatories.json lists ${founding.length} signatories, the statement ${document.foundingLines.length}`);
  }
  if (problems.length) throw new TemplateError(problems);
  return { document, founding };
}
