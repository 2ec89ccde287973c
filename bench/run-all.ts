/**
 * `npm run bench`: every benchmark, one after another, each in its own process
 * so one's memory does not colour the next. Never part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches: [string, string[]][] = [
  ['parse.bench.ts', []],
  ['ingest-latency.ts', ['100']],
  ['join-to-ack.ts', ['50']],
];

let failed = 0;
for (const [file, args] of benches) {
  console.log(`\n== ${file} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...args], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
