/**
 * Scores the reader (parseRaw + understand) on a folder of .eml files with an
 * expected.json in the format of the coalition's sample corpus. Used by
 * `npm run eval:corpus` and by the tests that keep floors under every set.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MimeError, parseRaw } from '../src/adapters/mime/index.ts';
import { KINDS, understand, type Reading } from '../src/domain/understand/index.ts';
const Expected = z.array(
  z.object({
    file: z.string(),
    kind: z.enum(KINDS),
    language: z.enum(['sq', 'en']).nullable(),
    organization: z
      .object({ name: z.string().nullable(), acronym: z.string().nullable(), city: z.string().nullable(), website: z.string().nullable() })
      .nullable(),
    contact: z.object({ name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable() }).nullable(),
    notes: z.string().optional(),
  }),
);
type ExpectedEntry = z.infer<typeof Expected>[number];

function norm(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return v.normalize('NFC').replace(/[“”„]/g, '"').replace(/\s+/g, ' ').trim().toLowerCase();
}

interface Metric {
  label: string;
  primary: boolean;
  /** Only entries where the expectation is about this field. */
  applies: (e: ExpectedEntry) => boolean;
  expected: (e: ExpectedEntry) => string | null;
  actual: (r: Reading) => string | null;
}

const requestKinds = (e: ExpectedEntry): boolean => e.kind === 'join_request' || e.kind === 'withdrawal';

const METRICS: Metric[] = [
  { label: 'kind', primary: true, applies: () => true, expected: (e) => e.kind, actual: (r) => r.kind },
  { label: 'language', primary: true, applies: () => true, expected: (e) => e.language, actual: (r) => r.language },
  { label: 'organization.name', primary: true, applies: requestKinds, expected: (e) => e.organization?.name ?? null, actual: (r) => r.organization?.name ?? null },
  { label: 'contact.email', primary: true, applies: requestKinds, expected: (e) => e.contact?.email ?? null, actual: (r) => r.contact?.email ?? null },
  { label: 'organization.acronym', primary: false, applies: requestKinds, expected: (e) => e.organization?.acronym ?? null, actual: (r) => r.organization?.acronym ?? null },
  { label: 'organization.city', primary: false, applies: requestKinds, expected: (e) => e.organization?.city ?? null, actual: (r) => r.organization?.city ?? null },
  { label: 'organization.website', primary: false, applies: requestKinds, expected: (e) => e.organization?.website ?? null, actual: (r) => r.organization?.website ?? null },
  { label: 'contact.name', primary: false, applies: requestKinds, expected: (e) => e.contact?.name ?? null, actual: (r) => r.contact?.name ?? null },
  { label: 'contact.phone', primary: false, applies: requestKinds, expected: (e) => e.contact?.phone ?? null, actual: (r) => r.contact?.phone ?? null },
];


export interface CorpusScore {
  files: number;
  /** Per field: correct, total, accuracy (1 when no message is about the field). */
  results: Record<string, { correct: number; total: number; accuracy: number; primary: boolean }>;
  /** Rows: expected kind; columns: kind read. */
  confusion: Record<string, Record<string, number>>;
  autoOrBounceAsJoin: number;
  misses: string[];
}

/** Throws when DIR/expected.json is missing or malformed. */
export async function scoreCorpus(dir: string, opts: { coalitionAddress?: string } = {}): Promise<CorpusScore> {
  const expected = Expected.parse(JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')));
  const files = new Set((await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.eml')));
  const readings = new Map<string, Reading | { error: string }>();
  for (const e of expected) {
    if (!files.has(e.file)) {
      readings.set(e.file, { error: 'file missing' });
      continue;
    }
    try {
      const mail = await parseRaw(await readFile(join(dir, e.file)));
      readings.set(e.file, understand(mail, opts.coalitionAddress ? { coalitionAddress: opts.coalitionAddress } : {}));
    } catch (err) {
      readings.set(e.file, { error: err instanceof MimeError ? `${err.code}: ${err.message}` : String(err) });
    }
  }

  const results: CorpusScore['results'] = {};
  const misses: string[] = [];
  for (const m of METRICS) {
    let correct = 0;
    let total = 0;
    for (const e of expected) {
      if (!m.applies(e)) continue;
      total++;
      const r = readings.get(e.file)!;
      const actual = 'error' in r ? (m.label === 'kind' ? 'other' : null) : m.actual(r);
      const want = m.expected(e);
      if (norm(actual) === norm(want)) correct++;
      else misses.push(`${e.file}  ${m.label}: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual)}${'error' in r ? ` (${r.error})` : ''}`);
    }
    results[m.label] = { correct, total, accuracy: total ? correct / total : 1, primary: m.primary };
  }

  const confusion: Record<string, Record<string, number>> = {};
  for (const k of KINDS) confusion[k] = Object.fromEntries(KINDS.map((c) => [c, 0]));
  for (const e of expected) {
    const r = readings.get(e.file)!;
    const actual = 'error' in r ? 'other' : r.kind;
    confusion[e.kind]![actual]!++;
  }
  const autoOrBounceAsJoin = confusion.auto_reply!.join_request! + confusion.bounce!.join_request!;
  return { files: expected.length, results, confusion, autoOrBounceAsJoin, misses };
}
