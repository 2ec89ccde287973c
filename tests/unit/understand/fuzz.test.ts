import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MimeError, parseRaw } from '../../../src/adapters/mime/index.ts';
import { ReadingSchema, understand } from '../../../src/domain/understand/index.ts';

/**
 * A seeded, time-bounded fuzz of the reader: real messages from every fixture set, mutated the
 * ways broken and hostile mail is broken (bit flips, cuts, broken boundaries, bad charsets, NUL
 * bytes, invalid base64, a 1 MB header line, thousands of parts, deep nesting). Every message
 * ends as a typed MimeError or a reading that passes the schema; nothing else escapes. The seed
 * is printed so a failure can be replayed with FUZZ_SEED.
 */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8000);

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const set of readdirSync(FIXTURES)) {
    let files: string[];
    try {
      files = readdirSync(join(FIXTURES, set)).filter((f) => f.endsWith('.eml'));
    } catch {
      continue;
    }
    for (const f of files.slice(0, 40)) out.push(readFileSync(join(FIXTURES, set, f)));
  }
  return out;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (raw: Buffer, r: () => number) => Buffer;

const pick = <T,>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;

const MUTATIONS: Record<string, Mutation> = {
  flipBytes: (raw, r) => {
    const b = Buffer.from(raw);
    for (let i = 0; i < 1 + Math.floor(r() * 20); i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b;
  },
  cut: (raw, r) => raw.subarray(0, Math.floor(r() * raw.length)),
  breakBoundaries: (raw) => Buffer.from(raw.toString('latin1').replace(/boundary="?([^";\r\n]+)"?/gi, 'boundary="x$1"'), 'latin1'),
  badCharset: (raw, r) => Buffer.from(raw.toString('latin1').replace(/charset="?[\w-]+"?/gi, `charset=${pick(['x-unknown', 'utf-7', 'iso-2022-kr', '', 'utf-8"; foo'], r)}`), 'latin1'),
  nulBytes: (raw, r) => {
    const at = Math.floor(r() * raw.length);
    return Buffer.concat([raw.subarray(0, at), Buffer.alloc(1 + Math.floor(r() * 64)), raw.subarray(at)]);
  },
  badBase64: (raw) => Buffer.from(raw.toString('latin1').replace(/base64\r?\n\r?\n/gi, (m) => `${m}!!!***not base64***%%%\r\n`), 'latin1'),
  hugeHeader: (raw) => Buffer.concat([Buffer.from(`X-Long: ${'a'.repeat(1_000_000)}\r\n`), raw]),
  manyParts: () => {
    const parts = Array.from({ length: 3000 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    return Buffer.from(`From: a@example.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`);
  },
  deepNesting: () => {
    let body = 'Content-Type: text/plain\r\n\r\nWe would like to join the coalition.\r\n';
    for (let i = 0; i < 600; i++) body = `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n${body}--n${i}--\r\n`;
    return Buffer.from(`From: a@example.org\r\nSubject: deep\r\n${body}`);
  },
  headersOnly: (raw) => {
    const t = raw.toString('latin1');
    const end = t.search(/\r?\n\r?\n/);
    return Buffer.from(end < 0 ? t : t.slice(0, end), 'latin1');
  },
  shuffleLines: (raw, r) => {
    const lines = raw.toString('latin1').split('\n');
    for (let i = lines.length - 1; i > 0 && i > lines.length - 30; i--) {
      const j = Math.floor(r() * (i + 1));
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    }
    return Buffer.from(lines.join('\n'), 'latin1');
  },
};

describe('the reader under fuzzed mail', () => {
  it(`ends every mutated message as a MimeError or a valid reading (seed ${SEED})`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const seeds = corpus();
    expect(seeds.length).toBeGreaterThan(50);
    const r = rng(SEED);
    const names = Object.keys(MUTATIONS);
    const counts = { messages: 0, refused: 0, read: 0 };
    const t0 = Date.now();
    while (Date.now() - t0 < BUDGET_MS && counts.messages < 5000) {
      const name = pick(names, r);
      const raw = MUTATIONS[name]!(pick(seeds, r), r);
      counts.messages++;
      let mail;
      try {
        mail = await parseRaw(raw);
      } catch (err) {
        if (!(err instanceof MimeError)) throw new Error(`${name} (seed ${SEED}, #${counts.messages}): ${String(err)}`, { cause: err });
        counts.refused++;
        continue;
      }
      const reading = understand(mail, { coalitionAddress: 'info@coalition.example.org' });
      expect(ReadingSchema.safeParse(reading).success, `${name} #${counts.messages}`).toBe(true);
      counts.read++;
    }
    // The run did real work of both kinds: mail read despite damage, and mail refused with a reason.
    expect(counts.read).toBeGreaterThan(100);
    expect(counts.refused).toBeGreaterThan(0);
  });
});
