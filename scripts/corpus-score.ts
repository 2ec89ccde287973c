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
    /** The mail's own text mentions joining, signing, membership, the coalition, the statement or OGP. */
    mentions_membership: z.boolean().optional(),
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
  /** Join requests that reach the flow or the coordinators (read as join_request, or shown as a possible request). */
  joinCaught: { caught: number; total: number; recall: number };
  /** Mail shown to coordinators as a possible request, and its share of the set. */
  possible: { count: number; rate: number };
  /** Auto-replies and bounces shown as possible requests (must be 0). */
  robotsAsPossible: number;
  /** Possible requests among mail that mentions neither joining, the coalition, the statement nor OGP (must be 0). */
  possibleWithoutMention: number;
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
  const read = (e: ExpectedEntry): Reading | null => {
    const r = readings.get(e.file)!;
    return 'error' in r ? null : r;
  };
  const joins = expected.filter((e) => e.kind === 'join_request');
  const caught = joins.filter((e) => {
    const r = read(e);
    return r !== null && (r.kind === 'join_request' || r.possible);
  }).length;
  for (const e of joins) {
    const r = read(e);
    if (!r || (r.kind !== 'join_request' && !r.possible)) misses.push(`${e.file}  LOST join request: read as ${r ? r.kind : 'unreadable'}`);
  }
  const possibleCount = expected.filter((e) => read(e)?.possible).length;
  const robotsAsPossible = expected.filter((e) => (e.kind === 'auto_reply' || e.kind === 'bounce') && read(e)?.possible).length;
  const possibleWithoutMention = expected.filter((e) => e.mentions_membership === false && read(e)?.possible).length;
  return {
    files: expected.length,
    results,
    confusion,
    autoOrBounceAsJoin,
    joinCaught: { caught, total: joins.length, recall: joins.length ? caught / joins.length : 1 },
    possible: { count: possibleCount, rate: expected.length ? possibleCount / expected.length : 0 },
    robotsAsPossible,
    possibleWithoutMention,
    misses,
  };
}

export interface RobotScore {
  files: number;
  /** Kind read, per kind. */
  kinds: Record<string, number>;
  /** Read as bounce or auto-reply. */
  automatic: number;
  /** Anything a human would be asked about: a join request, a withdrawal or a possible request. */
  askedAbout: string[];
  /** Files read as neither bounce nor auto-reply, with the kind read. */
  misses: string[];
}

/** Every .eml in DIR is automatic mail (a bounce, an ARF report, an auto-reply): how many does the reader see as such? */
export async function scoreRobots(dir: string, opts: { coalitionAddress?: string } = {}): Promise<RobotScore> {
  const files = (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.eml')).sort();
  const kinds: Record<string, number> = Object.fromEntries([...KINDS, 'unreadable'].map((k) => [k, 0]));
  const askedAbout: string[] = [];
  const misses: string[] = [];
  let automatic = 0;
  for (const f of files) {
    let r: Reading;
    try {
      r = understand(await parseRaw(await readFile(join(dir, f))), opts.coalitionAddress ? { coalitionAddress: opts.coalitionAddress } : {});
    } catch {
      kinds.unreadable!++;
      misses.push(`${f}  unreadable`);
      continue;
    }
    kinds[r.kind]!++;
    if (r.kind === 'bounce' || r.kind === 'auto_reply') automatic++;
    else misses.push(`${f}  read as ${r.kind}${r.possible ? ' (possible request)' : ''}`);
    if (r.kind === 'join_request' || r.kind === 'withdrawal' || r.possible) askedAbout.push(f);
  }
  return { files: files.length, kinds, automatic, askedAbout, misses };
}
