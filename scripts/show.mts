import { readFileSync } from 'node:fs';
import { parseRaw } from '../src/adapters/mime/index.ts';
import { understand, splitMail, scoreIntent } from '../src/domain/understand/index.ts';
for (const f of process.argv.slice(2)) {
  const m = await parseRaw(readFileSync(f));
  const r = understand(m);
  const s = splitMail(m);
  console.log('=====', f, m.subject, JSON.stringify(m.headers['auto-submitted'] ?? null), r.kind, r.possibleReason, JSON.stringify(scoreIntent({ text: s.own, subject: m.subject })));
  console.log(s.own.slice(0, 1500));
}
