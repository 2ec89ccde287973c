/**
 * `npm run test:faults [-- --seed N] [-- --minutes M]`: the full fault run. A
 * stream of join requests and coordinators' decisions while the desk is
 * SIGKILLed at random moments, Redis (AOF) and Dovecot restart and the SMTP
 * side refuses for a while; then every invariant is checked against Redis and
 * the mailboxes, and the summary table is printed. Exit code 1 when any
 * invariant is broken. The same seed gives the same stream and faults.
 * A reduced run is part of `npm test` (tests/integration/faults/faults.test.ts).
 */
import { parseArgs } from 'node:util';
import { formatSummary, runFaults } from '../tests/integration/faults/fault-run.ts';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, minutes: { type: 'string' }, quiet: { type: 'boolean' } },
});
const seed = Number(values.seed ?? process.env.FAULTS_SEED ?? Date.now() % 100_000);
const minutes = Number(values.minutes ?? 2);
if (!Number.isFinite(seed) || !Number.isFinite(minutes) || minutes <= 0) {
  process.stderr.write('usage: npm run test:faults -- [--seed N] [--minutes M]\n');
  process.exit(2);
}
const streamMs = Math.round(minutes * 60_000);
const perMinute = (n: number) => Math.max(1, Math.round(n * minutes));
process.stdout.write(`fault run: seed ${seed}, ${minutes} min of requests and faults (repeat it with --seed ${seed})\n`);
const summary = await runFaults({
  seed,
  organisations: perMinute(30),
  streamMs,
  kills: perMinute(4),
  redisRestarts: perMinute(1),
  dovecotRestarts: perMinute(1),
  smtpRefusals: perMinute(1),
  settleMs: 180_000,
  log: values.quiet ? undefined : (l) => process.stdout.write(`  ${l}\n`),
});
process.stdout.write(`${formatSummary(summary)}\n`);
process.exit(summary.violations.length ? 1 : 0);
