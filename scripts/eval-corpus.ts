/**
 * npm run eval:corpus -- DIR [--coalition-address ADDR] [--json] [--robots]
 *
 * Runs parseRaw + understand over every .eml in DIR and compares with
 * DIR/expected.json (one {file, kind, language, organization, contact} per
 * message). Prints accuracy per field, the confusion table of kinds, and every
 * miss. With --robots, DIR holds automatic mail only (no expected.json): it
 * prints the share read as bounce or auto-reply and every other reading. Exit code: 0 when it ran, 2 when DIR or expected.json is missing.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KINDS } from '../src/domain/understand/index.ts';
import { scoreCorpus, scoreRobots, type CorpusScore } from './corpus-score.ts';

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
  if (args.includes('--robots')) {
    // A folder of automatic mail only (bounces, ARF reports, auto-replies): no expected.json needed.
    const r = await scoreRobots(dir, { coalitionAddress });
    if (json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `Automatic mail: ${dir} (${r.files} messages)`,
      `read as bounce or auto-reply: ${((r.automatic / Math.max(1, r.files)) * 100).toFixed(1)}% (${r.automatic}/${r.files})`,
      `kinds: ${Object.entries(r.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`,
      `asked about (join, withdrawal or possible request): ${r.askedAbout.length}`,
      '',
      ...r.misses.map((m) => `  ${m}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  let score: CorpusScore;
  try {
    score = await scoreCorpus(dir, { coalitionAddress });
  } catch (err) {
    process.stderr.write(`eval-corpus: cannot read ${join(dir, 'expected.json')}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const { results, confusion: table, autoOrBounceAsJoin: autoAsJoin, misses } = score;

  if (json) {
    process.stdout.write(`${JSON.stringify({ files: score.files, results, confusion: table, autoOrBounceAsJoin: autoAsJoin, misses }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [`Corpus: ${dir} (${score.files} messages)`, ''];
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  for (const [label, r] of Object.entries(results)) {
    lines.push(`${r.primary ? ' ' : '+'} ${label.padEnd(22)} ${pct(r.accuracy)}  (${r.correct}/${r.total})`);
  }
  lines.push('  (+ = extra field)', '');
  lines.push(`auto_reply/bounce read as join_request: ${autoAsJoin}`);
  lines.push(`join requests caught (flow or possible request): ${pct(score.joinCaught.recall)}  (${score.joinCaught.caught}/${score.joinCaught.total})`);
  lines.push(`possible requests: ${score.possible.count} (${pct(score.possible.rate).trim()} of the set); robots among them: ${score.robotsAsPossible}; without any mention of membership: ${score.possibleWithoutMention}`, '');
  const short: Record<string, string> = { join_request: 'join', withdrawal: 'withdr', auto_reply: 'auto', bounce: 'bounce', other: 'other' };
  lines.push(`${'expected \\ got'.padEnd(16)}${KINDS.map((k) => short[k]!.padStart(8)).join('')}`);
  for (const k of KINDS) lines.push(`${k.padEnd(16)}${KINDS.map((c) => String(table[k]![c]).padStart(8)).join('')}`);
  lines.push('', misses.length ? `Misses (${misses.length}):` : 'No misses.');
  for (const m of misses) lines.push(`  ${m}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
