/**
 * `npm run bench`: the figures of issue 10 in one run, printed as a table and written to
 * bench/results/latest.json. Never part of `npm test`. Sets up what is missing first (Dovecot), as
 * `npm test` does.
 *  - acknowledgement latency (100 samples) and decision latency (20 samples), bench/latency.ts;
 *  - backlog catch-up for N = 1,000 / 2,000 / 4,000 against the same-work ceiling measured in the
 *    same run, with the peak RSS of the desk, bench/backlog.ts (approval digests off, so each
 *    request costs the same three mails as the ceiling sends);
 *  - a backlog of 500 with the approval digest as deployed (APPROVAL_DIGEST=30/h, the default):
 *    after the first 30, coordinators get digests instead of one mail per request. (The mail caps stay
 *    lifted in every run: MAIL_CAP_TOTAL=500/1h would otherwise hold back acknowledgements past 500.)
 * `BENCH_N="500 1000"` changes the backlog sizes; `BENCH_ACKS`, `BENCH_DECISIONS` the samples.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { backlog, type BacklogResult } from './backlog.ts';
import { latency } from './latency.ts';

const ROOT = join(import.meta.dirname, '..');
const setup = spawnSync('bash', [join(ROOT, 'scripts/setup.sh')], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

const ns = (process.env.BENCH_N ?? '1000 2000 4000').split(/[\s,]+/).filter(Boolean).map(Number);
const started = Date.now();
const lat = await latency(Number(process.env.BENCH_ACKS ?? 100), Number(process.env.BENCH_DECISIONS ?? 20));
console.log(`latency done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
const backlogs: BacklogResult[] = [];
for (const n of ns) {
  const r = await backlog(n, { env: { APPROVAL_DIGEST: 'off' } });
  backlogs.push(r);
  console.log(`backlog N=${n} done (${r.seconds.toFixed(1)} s)`);
}
const deployed = await backlog(500, { env: { APPROVAL_DIGEST: '30/h' } });

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const lines = [
  row(['measure', 'value']),
  row(['---', '---']),
  row(['acknowledgement latency p50 / p95 / max', `${lat.acknowledgementMs.p50} / ${lat.acknowledgementMs.p95} / ${lat.acknowledgementMs.max} ms (n=${lat.acknowledgementMs.n})`]),
  row(['decision latency (reply → confirmation) p50 / p95', `${lat.decisionMs.p50} / ${lat.decisionMs.p95} ms (n=${lat.decisionMs.n})`]),
  '',
  row(['backlog N', 'desk s', 'req/s', 'ms/req', 'mails', 'ceiling s (read + send)', 'ceiling req/s', 'of ceiling', 'peak RSS MiB']),
  row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ...[...backlogs.map((r) => ({ r, label: String(r.n) })), { r: deployed, label: `${deployed.n} (digest 30/h)` }].map(({ r, label }) =>
    row([
      label,
      r.seconds.toFixed(1),
      r.perSecond.toFixed(1),
      r.msPerRequest.toFixed(1),
      r.mailsSent,
      `${r.ceiling.seconds.toFixed(1)} (${r.ceiling.readSeconds.toFixed(1)} + ${r.ceiling.sendSeconds.toFixed(1)})`,
      r.ceiling.perSecond.toFixed(1),
      `${(r.fractionOfCeiling * 100).toFixed(0)}%`,
      r.peakRssMiB.toFixed(0),
    ]),
  ),
];
console.log(`\n${lines.join('\n')}\n`);
const out = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  seconds: Math.round((Date.now() - started) / 1000),
  latency: lat,
  backlog: backlogs,
  backlogWithDefaults: deployed,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`written bench/results/latest.json (${out.seconds} s in all)`);
