/**
 * npm run eval:corpus -- DIR [--coalition-address ADDR] [--json]
 *
 * Runs parseRaw + understand over every .eml in DIR and compares with
 * DIR/expected.json (one {file, kind, language, organization, contact} per
 * message). Prints accuracy per field, the confusion table of kinds, and every
 * miss. Exit code: 0 when it ran, 2 when DIR or expected.json is missing.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
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

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  const json = args.includes('--json');
  const addrAt = args.indexOf('--coalition-address');
  const coalitionAddress = addrAt >= 0 ? args[addrAt + 1] : undefined;
  const dir = args.find((a, i) => !a.startsWith('--') && (addrAt < 0 || i !== addrAt + 1));
  if (!dir) {
    process.stderr.write('usage: npm run eval:corpus -- DIR [--coalition-address ADDR] [--json]\n');
    return 2;
  }
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    process.stderr.write(`eval-corpus: ${dir} is not a directory\n`);
    return 2;
  }
  let expected: ExpectedEntry[];
  try {
    expected = Expected.parse(JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')));
  } catch (err) {
    process.stderr.write(`eval-corpus: cannot read ${join(dir, 'expected.json')}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const files = new Set((await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.eml')));
  const readings = new Map<string, Reading | { error: string }>();
  for (const e of expected) {
    if (!files.has(e.file)) {
      readings.set(e.file, { error: 'file missing' });
      continue;
    }
    try {
      const mail = await parseRaw(await readFile(join(dir, e.file)));
      readings.set(e.file, understand(mail, coalitionAddress ? { coalitionAddress } : {}));
    } catch (err) {
      readings.set(e.file, { error: err instanceof MimeError ? `${err.code}: ${err.message}` : String(err) });
    }
  }

  const lines: string[] = [];
  const results: Record<string, { correct: number; total: number; accuracy: number }> = {};
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
    results[m.label] = { correct, total, accuracy: total ? correct / total : 1 };
  }

  // Confusion table: rows expected, columns actual.
  const table: Record<string, Record<string, number>> = {};
  for (const k of KINDS) table[k] = Object.fromEntries(KINDS.map((c) => [c, 0]));
  for (const e of expected) {
    const r = readings.get(e.file)!;
    const actual = 'error' in r ? 'other' : r.kind;
    table[e.kind]![actual]!++;
  }
  const autoAsJoin = table.auto_reply!.join_request! + table.bounce!.join_request!;

  if (json) {
    process.stdout.write(`${JSON.stringify({ files: expected.length, results, confusion: table, autoOrBounceAsJoin: autoAsJoin, misses }, null, 2)}\n`);
    return 0;
  }
  lines.push(`Corpus: ${dir} (${expected.length} messages)`, '');
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  for (const m of METRICS) {
    const r = results[m.label]!;
    lines.push(`${m.primary ? ' ' : '+'} ${m.label.padEnd(22)} ${pct(r.accuracy)}  (${r.correct}/${r.total})`);
  }
  lines.push('  (+ = extra field)', '');
  lines.push(`auto_reply/bounce read as join_request: ${autoAsJoin}`, '');
  const short: Record<string, string> = { join_request: 'join', withdrawal: 'withdr', auto_reply: 'auto', bounce: 'bounce', other: 'other' };
  lines.push(`${'expected \\ got'.padEnd(16)}${KINDS.map((k) => short[k]!.padStart(8)).join('')}`);
  for (const k of KINDS) lines.push(`${k.padEnd(16)}${KINDS.map((c) => String(table[k]![c]).padStart(8)).join('')}`);
  lines.push('', misses.length ? `Misses (${misses.length}):` : 'No misses.');
  for (const m of misses) lines.push(`  ${m}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
